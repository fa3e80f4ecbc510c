"""Member-record privacy basics (no model imports, so organizations.models can use them):
the field catalogue (which fields are sensitive, their labels and masks), the masks, and
checks on what goes into a member record: the resident identity number (GB 11643 with its
ISO 7064 MOD 11-2 check character), phone numbers and dates that cannot lie ahead.
Each raises a Django ValidationError with a Chinese message naming what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^[1-9]\d{16}[\dX]$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
INTL_RE = re.compile(r"^\+[1-9]\d{6,14}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """An 18-character resident identity number: digits, a real birth date not in the
    future, and the right check character."""
    number = normalize_id_number(value)
    if not number:
        return
    if not ID_RE.match(number):
        raise ValidationError(
            "身份证号应为 18 位：17 位数字加 1 位校验码（数字或 X）", code="id_format"
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            "身份证号中的出生日期（第 7–14 位）不是有效日期", code="id_birth"
        ) from None
    if born > timezone.localdate() or born.year < 1900:
        raise ValidationError("身份证号中的出生日期（第 7–14 位）不合理", code="id_birth")
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            f"身份证号校验码错误：最后一位应为 {expected}，请核对号码", code="id_checksum"
        )


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s()]", "", (value or "").strip())


def validate_phone(value: str) -> None:
    """A mainland mobile (11 digits from 13–19), a landline with its area code
    (010-12345678) or an international number (+255712345678)."""
    phone = normalize_phone(value)
    if not phone:
        return
    if phone.startswith("+86"):
        phone = phone[3:].lstrip("-")
    if MOBILE_RE.match(phone) or INTL_RE.match(phone) or LANDLINE_RE.match(phone):
        return
    raise ValidationError(
        f"电话号码“{value}”格式不正确：手机号为 11 位（如 13812345678），座机带区号"
        "（如 010-12345678），境外号码以 + 和国家代码开头",
        code="phone",
    )


def validate_phones(value: str) -> None:
    for part in split_phones(value):
        validate_phone(part)


def split_phones(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,，;；\n]+", value or "") if p.strip()]


def validate_not_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(f"日期 {value:%Y-%m-%d} 晚于今天，不能是将来的日期", code="future")


# --- masking ------------------------------------------------------------------------------
def mask(value: str, *, head: int = 3, tail: int = 4) -> str:
    """138****1234, 4201**********1234: the first `head` and last `tail` characters, the
    rest starred. Short values are starred entirely except the last character."""
    value = value or ""
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * (len(value) - 1) + value[-1:] if len(value) > 1 else "*"
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_phone(value: str) -> str:
    return ", ".join(mask(p, head=3, tail=4) for p in split_phones(value)) if value else ""


def mask_id(value: str) -> str:
    return mask(value, head=4, tail=4)


def mask_text(value: str) -> str:
    """Free text (an address, family situation): only that something is recorded."""
    return "******" if value else ""


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
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return member.record is not None
    except ObjectDoesNotExist:
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
