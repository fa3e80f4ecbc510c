"""Writes to liaison files: log a contact, raise and follow up a need, reveal a family
contact (a purpose; one access-log entry), edit a family contact (logged)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from care.liaison.models import FamilyContact, LiaisonContact, LiaisonFile, LiaisonNeed
from care.liaison.selectors import (
    access_family_contact_by_id,
    access_liaison_file_by_id,
    access_liaison_need_by_id,
)
from core.errors import DomainError
from organizations.privacy import mask_phone, mask_text
from organizations.records.services import access_log_write, clean_purpose

FAMILY_SENSITIVE = ("name", "phone", "address")


class LiaisonError(DomainError):
    """A refusal about liaison files; the message names what is wrong."""


def _check(obj, exclude=()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        parts = []
        for name, messages in exc.message_dict.items():
            label = obj._meta.get_field(name).verbose_name if name != "__all__" else ""
            parts.extend(f"{label}：{m}" if label else m for m in messages)
        raise LiaisonError("；".join(parts), code="invalid") from None


@transaction.atomic
def contact_log(*, user, file_id, kind: str, on, notes: str) -> LiaisonContact:
    """Record a call or visit; the file's last contact date moves forward (never back)."""
    file = access_liaison_file_by_id(user, file_id, action="change")
    file = LiaisonFile.objects.select_for_update().get(pk=file.pk)
    contact = LiaisonContact(file=file, kind=kind, on=on, by=user, notes=(notes or "").strip())
    _check(contact, exclude=["file", "by"])
    contact.save()
    if file.last_contact_on is None or on > file.last_contact_on:
        file.last_contact_on = on
        file.save(update_fields=["last_contact_on", "updated_at"])
    return contact


@transaction.atomic
def need_raise(*, user, file_id, raised_on, description: str) -> LiaisonNeed:
    file = access_liaison_file_by_id(user, file_id, action="change")
    need = LiaisonNeed(file=file, raised_on=raised_on, description=(description or "").strip())
    _check(need, exclude=["file"])
    need.save()
    return need


@transaction.atomic
def need_follow_up(*, user, need_id, status: str, follow_up: str, resolved_on=None) -> LiaisonNeed:
    need = access_liaison_need_by_id(user, need_id, action="change")
    need.status = status
    need.follow_up = (follow_up or "").strip()
    need.resolved_on = resolved_on
    if status == LiaisonNeed.Status.RESOLVED and not resolved_on:
        raise LiaisonError("标为已解决时请填写解决日期", code="invalid")
    _check(need, exclude=["file"])
    need.save()
    return need


def family_masked(contact: FamilyContact) -> dict:
    return {
        "id": contact.pk,
        "relation": contact.relation,
        "name": (contact.name[:1] + "*" * (len(contact.name) - 1)) if contact.name else "",
        "phone": mask_phone(contact.phone),
        "address": mask_text(contact.address),
        "notes": contact.notes,
    }


@transaction.atomic
def family_reveal(*, user, contact_id, purpose, ip: str) -> tuple[FamilyContact, dict]:
    """A family contact in plaintext for a stated purpose: one access-log entry."""
    purpose = clean_purpose(purpose)
    contact = access_family_contact_by_id(user, contact_id, action="reveal")
    access_log_write(
        user=user,
        action="reveal",
        fields=[f"family.{n}" for n in FAMILY_SENSITIVE],
        purpose=purpose,
        ip=ip,
        member=contact.file.member,
    )
    return contact, {
        "id": contact.pk,
        "relation": contact.relation,
        "name": contact.name,
        "phone": contact.phone,
        "address": contact.address,
        "notes": contact.notes,
    }


@transaction.atomic
def family_save(*, user, contact: FamilyContact, changed: list[str], ip: str) -> FamilyContact:
    """Save a family contact (admin form); sensitive changes are logged (names only)."""
    _check(contact, exclude=["file"])
    contact.save()
    sensitive = [f"family.{n}" for n in changed if n in FAMILY_SENSITIVE]
    if sensitive:
        access_log_write(
            user=user,
            action="edit",
            fields=sensitive,
            purpose="修改家属联系人",
            ip=ip,
            member=contact.file.member,
        )
    return contact
