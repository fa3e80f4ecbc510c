"""Writes on the organisation tree. Keyword-only, atomic; views and imports call these."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.models import Member, OrgUnit, Transfer, UnitRole


class OrganizationError(Exception):
    """A domain rule was broken; the message is shown to the user."""


@transaction.atomic
def member_transfer(
    *,
    member: Member,
    to_unit: OrgUnit,
    approved_by=None,
    requested_by=None,
    reason: str = "",
) -> Transfer:
    """Move a member to another unit and record the move. The member row is locked so two
    concurrent transfers cannot both read the same `from_unit`."""
    locked = Member.objects.select_for_update().select_related("unit").get(pk=member.pk)
    if locked.unit_id == to_unit.pk:
        raise OrganizationError("该党员已在目标党组织中")
    if not to_unit.is_active:
        raise OrganizationError(f"目标党组织“{to_unit.name}”已停用")
    if locked.status != Member.Status.ACTIVE:
        raise OrganizationError("只有状态正常的党员才能转接组织关系")
    transfer = Transfer.objects.create(
        member=locked,
        from_unit_id=locked.unit_id,
        to_unit=to_unit,
        approved_by=approved_by,
        requested_by=requested_by,
        reason=reason,
        transferred_at=timezone.now(),
    )
    locked.unit = to_unit
    locked.is_overseas = to_unit.country != "CN"
    locked.save(update_fields=["unit", "is_overseas", "updated_at"])
    member.unit = to_unit
    return transfer


@transaction.atomic
def unit_role_grant(*, user, unit: OrgUnit, role: str) -> UnitRole:
    if role not in UnitRole.Role.values:
        raise OrganizationError(f"未知角色：{role}")
    obj, _ = UnitRole.objects.get_or_create(user=user, unit=unit, role=role)
    return obj


@transaction.atomic
def member_create(
    *,
    unit: OrgUnit,
    name: str,
    member_no: str,
    username: str | None = None,
    password: str | None = None,
    **fields,
) -> Member:
    """Create a login user and their member record together."""
    User = get_user_model()
    user = User(username=username or member_no, first_name=name[:150])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    fields.setdefault("is_overseas", unit.country != "CN")
    return Member.objects.create(user=user, unit=unit, name=name, member_no=member_no, **fields)
