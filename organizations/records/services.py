"""Writes to member records: reveals, edits, exports — each one written to the access log —
and consents. Keyword-only, atomic; refusals are `RecordError` (a DomainError)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from organizations import privacy as F
from organizations.models import (
    REQUIRED_PURPOSES,
    AccessLog,
    ConsentRecord,
    Member,
    MemberRecord,
    OrgUnit,
    Purpose,
)
from organizations.names import user_display_name
from organizations.privacy import normalize_id_number, normalize_phone
from organizations.records.selectors import (
    RECORD_ROLES,
    access_member_record_by_id,
    consent_state,
    my_access_log,
)

PURPOSE_MAX = 300


class RecordError(DomainError):
    """A refusal about member records; the message names what is wrong."""


class NoPhoto(DomainError):
    """The record exists and may be seen, but no photo was uploaded (not "not found":
    the caller may know the member)."""

    code = "no_photo"
    status = 404

    def __init__(self):
        super().__init__("该党员尚未上传照片")


def _actor_name(user) -> str:
    try:
        return user_display_name(user)[:150]
    except Exception:  # noqa: BLE001 - a display name is never worth a failed log write
        return str(getattr(user, "username", ""))[:150]


def clean_purpose(purpose) -> str:
    text = " ".join(str(purpose or "").split())
    if not text:
        raise RecordError(
            "请说明查看用途（必填），例如“核对组织关系转接材料”", code="purpose_required"
        )
    if len(text) > PURPOSE_MAX:
        raise RecordError(f"用途说明不能超过 {PURPOSE_MAX} 个字", code="purpose_too_long")
    return text


def access_log_write(
    *,
    user,
    action: str,
    fields: list[str],
    purpose: str,
    ip: str,
    member: Member | None = None,
    unit: OrgUnit | None = None,
    count: int = 1,
) -> AccessLog:
    """Append one access-log entry (the only way one is written)."""
    unit = unit or (member.unit if member is not None else None)
    return AccessLog.objects.create(
        actor=user if getattr(user, "pk", None) else None,
        actor_name=_actor_name(user),
        member=member,
        member_name=member.name if member else "",
        member_no=member.member_no if member else "",
        unit=unit,
        action=action,
        fields=list(fields),
        count=count,
        purpose=purpose[:PURPOSE_MAX],
        ip=(ip or "")[:64],
    )


def _clean_fields(names) -> list[str]:
    if isinstance(names, str):
        names = [n for n in names.replace("，", ",").split(",") if n.strip()]
    names = [str(n).strip() for n in (names or [])]
    if not names or names == ["*"]:
        return list(F.SENSITIVE_FIELDS)
    unknown = [n for n in names if n not in F.SENSITIVE_FIELDS]
    if unknown:
        raise RecordError(
            f"不能查看的字段：{'、'.join(unknown)}；可查看的敏感字段为 {'、'.join(F.SENSITIVE_FIELDS)}",
            code="invalid_fields",
        )
    return sorted(set(names), key=F.SENSITIVE_FIELDS.index)


@transaction.atomic
def record_reveal(*, user, member_id, fields, purpose, ip: str) -> tuple[Member, dict[str, str]]:
    """The plaintext of `fields` (default: every sensitive field) of one member's record,
    for a holder of a record role over the member's unit who states a purpose. Writes
    exactly one access-log entry. Out of scope or no such member: ObjectNotFound."""
    purpose = clean_purpose(purpose)
    names = _clean_fields(fields)
    member = access_member_record_by_id(user, member_id, action="reveal")
    access_log_write(
        user=user,
        action=AccessLog.Action.REVEAL,
        fields=names,
        purpose=purpose,
        ip=ip,
        member=member,
    )
    full = F.full_record(member)
    return member, {n: full[n] for n in names}


def record_photo_logged(*, user, member: Member, ip: str, purpose: str = "查看照片") -> None:
    access_log_write(
        user=user,
        action=AccessLog.Action.PHOTO,
        fields=["photo"],
        purpose=purpose,
        ip=ip,
        member=member,
    )


RECORD_EDITABLE = (
    "id_number",
    "phones",
    "address",
    "family_situation",
    "emergency_contact",
    "emergency_phone",
    "education",
    "occupation",
    "post",
    "probation_start",
    "conversion_due",
    "converted_on",
    "interests",
)


def _normalize(name: str, value):
    if name == "id_number":
        return normalize_id_number(value or "")
    if name in ("emergency_phone",):
        return normalize_phone(value or "")
    if isinstance(value, str):
        return value.strip()
    return value


@transaction.atomic
def record_update(*, user, member_id, data: dict, ip: str, purpose: str = "") -> MemberRecord:
    """Change fields of a member's record (a record role over the member's unit). Only the
    keys given change; a sensitive field given as "" is cleared. Validates everything first
    (nothing is written on an error) and logs the changed field names (never values)."""
    member = access_member_record_by_id(user, member_id, action="change")
    unknown = sorted(set(data) - set(RECORD_EDITABLE))
    if unknown:
        raise RecordError(f"不能修改的字段：{'、'.join(unknown)}", code="invalid_fields")
    record = MemberRecord.objects.filter(member=member).first() or MemberRecord(member=member)
    changed = []
    for name, value in data.items():
        value = _normalize(name, value)
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    if not changed:
        return record
    record_check(record)
    record.updated_by = user
    record.save()
    access_log_write(
        user=user,
        action=AccessLog.Action.EDIT,
        fields=changed,
        purpose=" ".join(str(purpose or "").split()) or "修改档案",
        ip=ip,
        member=member,
    )
    return record


def record_check(record: MemberRecord) -> None:
    """Field validators and the cross-field rules; a RecordError naming every problem."""
    try:
        record.full_clean(exclude=["member", "photo", "updated_by"])
    except ValidationError as exc:
        problems = []
        for name, messages in exc.message_dict.items():
            label = F.label_of(name)
            problems.extend(f"{label}：{m}" for m in messages)
        raise RecordError("；".join(problems), code="invalid") from None
    if (
        record.converted_on
        and record.probation_start
        and record.converted_on < record.probation_start
    ):
        raise RecordError("转正日期不能早于接收为预备党员日期", code="invalid")


def export_logged(
    *, user, count: int, fields: list[str], purpose: str, ip: str, unit=None
) -> AccessLog:
    """One access-log entry for an export of `count` members' records."""
    if unit is None:
        from organizations.selectors import top_unit_in_scope

        unit = top_unit_in_scope(user, roles=RECORD_ROLES)
    return access_log_write(
        user=user,
        action=AccessLog.Action.EXPORT,
        fields=fields,
        purpose=purpose,
        ip=ip,
        unit=unit,
        count=count,
    )


def watermark(user) -> str:
    """The line every export carries: who exported it and when."""
    now = timezone.localtime()
    return f"导出人：{_actor_name(user)}（{getattr(user, 'username', '')}）  导出时间：{now:%Y-%m-%d %H:%M} — 含个人信息，仅限工作使用，不得外传"


# --- consent ------------------------------------------------------------------------------
@transaction.atomic
def consent_set(*, member: Member, purpose: str, granted: bool, ip: str = "") -> ConsentRecord:
    """Record the member's consent to (or withdrawal from) `purpose` under the current
    policy version. The required purpose cannot be withdrawn in the app."""
    if purpose not in Purpose.values:
        raise RecordError(f"未知的用途：{purpose}", code="invalid_purpose")
    if not granted and purpose in REQUIRED_PURPOSES:
        raise RecordError(
            "“党员教育管理”是必需的用途，不能在应用中撤回；如有异议请联系所在党组织",
            code="required_consent",
        )
    current = consent_state(member).get(purpose)
    if (
        current is not None
        and current.granted == granted
        and current.policy_version == policy_version()
    ):
        return current
    return ConsentRecord.objects.create(
        member=member,
        purpose=purpose,
        granted=granted,
        policy_version=policy_version(),
        ip=(ip or "")[:64],
    )


def policy_version() -> str:
    return settings.EHOME_PRIVACY_POLICY_VERSION


def my_data(member: Member) -> dict:
    """Everything the system holds in the member's record, in plaintext (the member's
    own download), with their consents and the access log about them."""
    return {
        "member": {
            "name": member.name,
            "member_no": member.member_no,
            "unit": member.unit.name,
            "gender": member.get_gender_display() if member.gender else "",
            "category": member.get_category_display(),
            "join_date": F.display(member.join_date),
            "birthday": F.display(member.birthday),
            "is_overseas": member.is_overseas,
            "status": member.get_status_display(),
        },
        "record": F.full_record(member),
        "consents": [
            {
                "purpose": c.purpose,
                "label": c.get_purpose_display(),
                "granted": c.granted,
                "policy_version": c.policy_version,
                "at": c.at.isoformat(),
            }
            for c in ConsentRecord.objects.filter(member_id=member.pk).order_by("at", "id")
        ],
        "access_log": [
            {
                "at": e.at.isoformat(),
                "who": e.actor_name,
                "action": e.action,
                "fields": e.fields,
                "purpose": e.purpose,
            }
            for e in my_access_log(member)
        ],
        "exported_at": timezone.now().isoformat(),
    }
