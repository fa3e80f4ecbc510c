"""The records API's request and response shapes and the helpers both sides use."""

from __future__ import annotations

from rest_framework import serializers

from core.errors import ObjectNotFound
from organizations import privacy as F
from organizations.models import AccessLog, Member, MemberRecord, Purpose
from organizations.records import selectors, services
from organizations.scope import member_for_user

TAG = "records"


def _own_member(request) -> Member:
    member = member_for_user(request.user)
    if member is None:
        raise ObjectNotFound
    return Member.objects.select_related("unit", "record").get(pk=member.pk)


# --- shapes -------------------------------------------------------------------------------
class MemberRecordFieldsOut(serializers.Serializer):
    """Every record field (masked in a manager's view, in full in the member's own)."""

    locals().update({f.name: serializers.CharField(help_text=f.label) for f in F.FIELDS})


class RecordConsentOut(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    label = serializers.CharField()
    required = serializers.BooleanField()
    granted = serializers.BooleanField(allow_null=True)
    policy_version = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)


class OwnMemberRecordOut(serializers.Serializer):
    name = serializers.CharField()
    member_no = serializers.CharField()
    unit = serializers.CharField()
    record = MemberRecordFieldsOut()
    has_photo = serializers.BooleanField()
    policy_version = serializers.CharField()
    consents = RecordConsentOut(many=True)


class MemberRecordOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    member_no = serializers.CharField()
    unit = serializers.CharField()
    category = serializers.CharField()
    is_overseas = serializers.BooleanField()
    masked = serializers.BooleanField()
    record = MemberRecordFieldsOut()
    has_photo = serializers.BooleanField()


class RecordAccessLogOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    who = serializers.CharField()
    action = serializers.ChoiceField(choices=AccessLog.Action.choices)
    action_label = serializers.CharField()
    member = serializers.CharField()
    member_no = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()
    purpose = serializers.CharField()
    ip = serializers.CharField(required=False)


class RecordAccessLogPage(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = RecordAccessLogOut(many=True)


class MaskedMemberRowOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    member_no = serializers.CharField()
    unit = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    is_overseas = serializers.BooleanField()
    phone = serializers.CharField(help_text="掩码")
    id_number = serializers.CharField(help_text="掩码")
    education = serializers.CharField()


class MaskedMemberPage(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = MaskedMemberRowOut(many=True)


class RecordRevealIn(serializers.Serializer):
    purpose = serializers.CharField(
        allow_blank=True, required=False, max_length=1000, help_text="查看用途（必填，不能为空）"
    )
    fields = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=20,
        help_text=f"要查看的敏感字段，省略则全部：{', '.join(F.SENSITIVE_FIELDS)}",
    )


class RecordRevealOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    purpose = serializers.CharField()
    values = serializers.DictField(child=serializers.CharField())


class MemberRecordPatchIn(serializers.Serializer):
    locals().update(
        {
            name: serializers.CharField(required=False, allow_blank=True, max_length=2000)
            for name in services.RECORD_EDITABLE
            if name not in ("probation_start", "conversion_due", "converted_on")
        }
    )
    probation_start = serializers.DateField(required=False, allow_null=True)
    conversion_due = serializers.DateField(required=False, allow_null=True)
    converted_on = serializers.DateField(required=False, allow_null=True)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=300)


class RecordConsentIn(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    granted = serializers.BooleanField()


def _consents(member) -> list[dict]:
    from organizations.models import REQUIRED_PURPOSES

    state = selectors.consent_state(member)
    out = []
    for p in Purpose:
        row = state.get(p.value)
        out.append(
            {
                "purpose": p.value,
                "label": str(p.label),
                "required": p in REQUIRED_PURPOSES,
                "granted": row.granted if row else None,
                "policy_version": row.policy_version if row else None,
                "at": row.at if row else None,
            }
        )
    return out


def _has_photo(member) -> bool:
    try:
        return bool(member.record.photo)
    except MemberRecord.DoesNotExist:
        return False


def _log_row(e: AccessLog, *, with_ip: bool) -> dict:
    row = {
        "id": e.pk,
        "at": e.at,
        "who": e.actor_name,
        "action": e.action,
        "action_label": e.get_action_display(),
        "member": e.member_name,
        "member_no": e.member_no,
        "fields": e.fields,
        "count": e.count,
        "purpose": e.purpose,
    }
    if with_ip:
        row["ip"] = e.ip
    return row
