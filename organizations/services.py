"""Writes on the organisation tree. Keyword-only, atomic; views and imports call these."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import ProtectedError, Q

from core.errors import DomainError
from organizations.models import Member, OrgUnit, UnitRole
from organizations.signals import members_moved, unit_roles_changed

# Everyone holding a UnitRole is in this Wagtail group; it grants admin access only. What
# they may do inside the admin is decided from their roles (organizations.permissions and
# the apps that listen to `unit_roles_changed`).
ADMIN_GROUP_NAME = "后台用户"


class OrganizationError(DomainError):
    """A rule of the organisation tree was broken; the message is shown to the user."""


def admin_group() -> Group:
    """The Wagtail group "后台用户" holding `wagtailadmin.access_admin` (created on demand)."""
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP_NAME)
    perm = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    if perm is not None:
        group.permissions.add(perm)
    return group


def user_admin_group_sync(*, user) -> None:
    """Put `user` into "后台用户" exactly when they hold at least one UnitRole."""
    if UnitRole.objects.filter(user=user).exists():
        user.groups.add(admin_group())
    else:
        user.groups.remove(*Group.objects.filter(name=ADMIN_GROUP_NAME))


def _role_cache_forget(user) -> None:
    for attr in [a for a in vars(user) if a.startswith("_ehome_role_paths_")]:
        delattr(user, attr)  # selectors cache role paths on the user object


def _roles_changed(user) -> None:
    """Re-derive what `user` may do from their roles: the admin group now (same
    transaction), and `unit_roles_changed` on commit for the apps that map roles to their
    own groups (cms: 内容编辑/内容审核, elearning: 网络学院教员). Runs for every grant and
    revoke, whatever the route (service, import, Django admin, a plain
    `UnitRole.objects.create`): organizations.apps connects it to post_save/post_delete."""
    _role_cache_forget(user)
    user_admin_group_sync(user=user)
    transaction.on_commit(lambda: unit_roles_changed.send(sender=UnitRole, user=user))


GRANTER_ROLES = (UnitRole.Role.UNIT_ADMIN,)


def _check_granter(granter, *, user, unit: OrgUnit, verb: str) -> None:
    """A person (not the operator at the command line) may grant or revoke roles only on
    units in the subtree where they are 组织管理员, and never for themselves — a reviewer
    role one could give oneself would be a way round review. Superusers: anywhere, but
    not for themselves either."""
    if granter is None:
        return
    if granter.pk == user.pk:
        raise OrganizationError(f"不能给自己{verb}角色：须由上级组织管理员办理")
    if granter.is_superuser:
        return
    from organizations.selectors import unit_in_scope

    if not granter.is_active or not unit_in_scope(granter, unit, roles=GRANTER_ROLES):
        raise OrganizationError(
            f"你不能在“{unit.name}”{verb}角色：只能在你担任组织管理员的单位及其下级单位{verb}"
        )


@transaction.atomic
def unit_role_grant(*, user, unit: OrgUnit, role: str, granted_by=None) -> UnitRole:
    """Give `user` `role` on `unit` (covering its subtree) and the admin rights the role
    implies. Idempotent; granting again re-syncs the user's groups (repairs them).
    `granted_by`: the person granting it (checked: 组织管理员 of the unit or above, not
    the user themselves) and recorded on the role; None for the operator's command line,
    imports and set-up."""
    if role not in UnitRole.Role.values:
        raise OrganizationError(f"未知角色：{role}")
    _check_granter(granted_by, user=user, unit=unit, verb="授予")
    obj, created = UnitRole.objects.get_or_create(
        user=user, unit=unit, role=role, defaults={"granted_by": granted_by}
    )
    _role_cache_forget(user)
    if not created:  # a new row re-syncs through post_save; an old one is repaired here
        _roles_changed(user)
    return obj


@transaction.atomic
def unit_role_revoke(*, user, unit: OrgUnit, role: str | None = None, revoked_by=None) -> int:
    """Take `role` (or every role when None) on `unit` away from `user`. A user left with no
    role loses the admin group and every role-derived group. Returns how many roles were
    removed. `revoked_by`: checked like a granter (see `unit_role_grant`)."""
    _check_granter(revoked_by, user=user, unit=unit, verb="撤销")
    qs = UnitRole.objects.filter(user=user, unit=unit)
    if role is not None:
        qs = qs.filter(role=role)
    removed, _ = qs.delete()  # each deleted row re-syncs the user through post_delete
    _role_cache_forget(user)
    if not removed:
        _roles_changed(user)
    return removed


def role_holders_resync() -> int:
    """Re-derive the groups of every user who holds a role or sits in any group (a
    broken install, roles granted before set-up). Sends `unit_roles_changed` right away,
    not on commit. Returns how many users were synced."""
    User = get_user_model()
    users = User.objects.filter(
        Q(pk__in=UnitRole.objects.values("user_id"))
        | Q(pk__in=User.groups.through.objects.values("user_id"))
    ).order_by("pk")
    n = 0
    for user in users.iterator():
        user_admin_group_sync(user=user)
        unit_roles_changed.send(sender=UnitRole, user=user)
        n += 1
    return n


def setup_ensure(stdout=None) -> dict:
    """`ehome_setup` step: the "后台用户" group, and every login named as its member
    (organizations.names; rows written before that rule)."""
    from organizations.names import user_names_sync

    admin_group()
    return {"groups": ADMIN_GROUP_NAME, "logins_renamed": user_names_sync()}


# --- units ----------------------------------------------------------------------------
UNIT_FIELDS = ("code", "name", "kind", "country", "timezone", "is_active")


def _fresh(unit: OrgUnit | None) -> OrgUnit | None:
    # treebeard computes paths from numchild/path of the object it is handed: a stale
    # parent object would produce a duplicate path, so always work on the row as stored.
    return None if unit is None else OrgUnit.objects.get(pk=unit.pk)


@transaction.atomic
def unit_create(*, parent: OrgUnit | None, code: str, name: str, **fields) -> OrgUnit:
    """Add a unit under `parent` (a new root when None), kept in code order."""
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown unit fields: {sorted(unknown)}")
    if OrgUnit.objects.filter(code=code).exists():
        raise OrganizationError(f"组织代码“{code}”已存在")
    parent = _fresh(parent)
    if parent is None:
        return OrgUnit.add_root(code=code, name=name, **fields)
    return parent.add_child(code=code, name=name, **fields)


@transaction.atomic
def unit_update(*, unit: OrgUnit, parent: OrgUnit | None = None, **fields) -> OrgUnit:
    """Change a unit's fields and, when `parent` is given and differs, move it (with its
    subtree) under `parent`. Moving a unit below itself is refused."""
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown unit fields: {sorted(unknown)}")
    unit = _fresh(unit)
    code = fields.get("code")
    if code and OrgUnit.objects.filter(code=code).exclude(pk=unit.pk).exists():
        raise OrganizationError(f"组织代码“{code}”已存在")
    for key, value in fields.items():
        setattr(unit, key, value)
    unit.save()
    if parent is not None:
        parent = _fresh(parent)
        current_parent_path = unit.path[: -OrgUnit.steplen]
        if parent.path != current_parent_path:
            if parent.path.startswith(unit.path):
                raise OrganizationError(
                    f"不能把“{unit.name}”移动到它自己或它的下级组织“{parent.name}”之下（会形成循环）"
                )
            unit.move(parent, pos="sorted-child")
            unit = _fresh(unit)
            transaction.on_commit(lambda: members_moved.send(sender=OrgUnit, member_ids=None))
    return unit


@transaction.atomic
def unit_delete(*, unit: OrgUnit) -> None:
    """Delete an empty unit. Units with sub-units or members are refused: deactivate them
    instead, so nobody loses their organisation by accident."""
    unit = _fresh(unit)
    if (
        unit.numchild
        or OrgUnit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth).exists()
    ):
        raise OrganizationError(f"“{unit.name}”还有下级组织，不能删除；可改为停用")
    if Member.objects.filter(unit=unit).exists():
        raise OrganizationError(f"“{unit.name}”还有党员，不能删除；请先转出党员或改为停用")
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError as exc:  # content, outlets, audit records name the unit
        raise OrganizationError(
            f"“{unit.name}”仍被内容、宣传阵地或审核发布记录引用，不能删除；可改为停用"
        ) from exc


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
    username = username or member_no
    if User.objects.filter(username=username).exists():
        raise OrganizationError(f"登录名“{username}”已被占用，请换一个党员编号或登录名")
    user = User(username=username, first_name=name[:150])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    fields.setdefault("is_overseas", unit.country != "CN")
    if Member.objects.filter(member_no=member_no).exists():
        raise OrganizationError(f"党员编号“{member_no}”已存在")
    return Member.objects.create(user=user, unit=unit, name=name, member_no=member_no, **fields)


MEMBER_FIELDS = (
    "name",
    "member_no",
    "gender",
    "join_date",
    "category",
    "birthday",
    "phone",
    "is_overseas",
    "status",
)


@transaction.atomic
def member_update(
    *, member: Member, unit: OrgUnit | None = None, changed_by=None, **fields
) -> Member:
    """Change a member's profile. The unit is not changed here: a move is a transfer,
    started by the out-unit and accepted by the in-unit (organizations.transfers)."""
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"unknown member fields: {sorted(unknown)}")
    number = fields.get("member_no")
    if number and Member.objects.filter(member_no=number).exclude(pk=member.pk).exists():
        raise OrganizationError(f"党员编号“{number}”已存在")
    # Admin forms set the new unit on the instance before we get it: compare with the row.
    stored_unit_id = Member.objects.filter(pk=member.pk).values_list("unit_id", flat=True).get()
    if unit is not None and unit.pk != stored_unit_id:
        raise OrganizationError("不能直接修改所在党组织：请发起组织关系转接，由转入方接收后生效")
    for key, value in fields.items():
        setattr(member, key, value)
    member.full_clean(exclude=["user", "unit"])
    member.save()
    if "name" in fields and member.user.first_name != member.name[:150]:
        member.user.first_name = member.name[:150]
        member.user.save(update_fields=["first_name"])
    return member


@transaction.atomic
def member_delete(*, member: Member) -> None:
    """Remove a member together with their login (transfer history goes with them)."""
    user = member.user
    member.delete()
    user.delete()
