"""The record's field catalogue: what each field is called, whether it is sensitive (encrypted,
masked, revealed only with a purpose) and how it is masked. One list, read by the admin,
the API, the portal and the exports."""

from __future__ import annotations

from dataclasses import dataclass

from organizations.records.validation import mask_id, mask_phone, mask_text


@dataclass(frozen=True)
class FieldSpec:
    name: str  # "phone" is Member.phone; every other name is a MemberRecord field
    label: str
    sensitive: bool
    masker: object = None

    def masked(self, value) -> str:
        return self.masker(value or "") if self.masker else (value or "")


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("phone", "手机号", True, mask_phone),
    FieldSpec("phones", "其他电话", True, mask_phone),
    FieldSpec("id_number", "身份证号", True, mask_id),
    FieldSpec("address", "家庭住址", True, mask_text),
    FieldSpec("family_situation", "家庭情况", True, mask_text),
    FieldSpec("emergency_contact", "紧急联系人", True, mask_text),
    FieldSpec("emergency_phone", "紧急联系人电话", True, mask_phone),
    FieldSpec("education", "学历", False),
    FieldSpec("occupation", "职业", False),
    FieldSpec("post", "工作岗位", False),
    FieldSpec("probation_start", "接收为预备党员日期", False),
    FieldSpec("conversion_due", "预计转正日期", False),
    FieldSpec("converted_on", "转正日期", False),
    FieldSpec("interests", "兴趣爱好", False),
)
BY_NAME = {f.name: f for f in FIELDS}
SENSITIVE_FIELDS = tuple(f.name for f in FIELDS if f.sensitive)
RECORD_SENSITIVE_FIELDS = tuple(n for n in SENSITIVE_FIELDS if n != "phone")


def label_of(name: str) -> str:
    spec = BY_NAME.get(name)
    return spec.label if spec else {"photo": "照片", "*": "全部字段"}.get(name, name)


def raw_value(member, name: str):
    if name == "phone":
        return member.phone or ""
    record = getattr(member, "record", None) if _has_record(member) else None
    value = getattr(record, name, "") if record is not None else ""
    if name == "education" and record is not None:
        return record.get_education_display() if value else ""
    return value if value is not None else ""


def _has_record(member) -> bool:
    from organizations.records.models import MemberRecord

    try:
        return member.record is not None
    except MemberRecord.DoesNotExist:
        return False


def display(value) -> str:
    if value is None or value == "":
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def masked_record(member) -> dict[str, str]:
    """Every field of `member`'s record: sensitive ones masked."""
    return {
        f.name: (
            f.masked(raw_value(member, f.name))
            if f.sensitive
            else display(raw_value(member, f.name))
        )
        for f in FIELDS
    }


def full_record(member) -> dict[str, str]:
    return {f.name: display(raw_value(member, f.name)) for f in FIELDS}
