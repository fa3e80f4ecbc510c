"""Member records over the API (docs/api.md "Member records and privacy").

The member's own: `me/record/` (their record in full, consents, policy version),
`me/record/download/` (everything, as a JSON file), `me/consents/` (give or withdraw an
optional consent), `me/access-log/` (who looked at or changed their record), `me/record/photo/`.

For organizers, secretaries and unit admins of the member's subtree: `members/` (masked
list), `members/<id>/record/` (masked; PATCH edits), `members/<id>/record/reveal/` (POST
with a purpose: plaintext, one access-log entry), `members/<id>/record/photo/`. Unit
admins: `access-log/` (search). Anyone else — editors, instructors, reviewers — and any
member outside the subtree: 404, the same as a missing id.

Length: 500 lines, nearly all request/response serializers and their schema declarations
for the ten endpoints; the rules are in organizations.records. The natural split (the
member's own `me/…` views vs the managers' `members/…` views) is left for the next change
to this file.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from core.client_ip import client_ip
from core.errors import ObjectNotFound
from core.files import protected_file_response
from organizations import privacy as F
from organizations.models import AccessLog, Member, MemberRecord, Purpose
from organizations.privacy import mask_id, mask_phone
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


# --- the member's own -----------------------------------------------------------------------
class MeRecordApi(APIView):
    @extend_schema(
        operation_id="me_record", tags=[TAG], responses={200: OwnMemberRecordOut, 404: ERRORS[404]}
    )
    def get(self, request):
        member = _own_member(request)
        data = {
            "name": member.name,
            "member_no": member.member_no,
            "unit": member.unit.name,
            "record": F.full_record(member),
            "has_photo": _has_photo(member),
            "policy_version": services.policy_version(),
            "consents": _consents(member),
        }
        response = Response(OwnMemberRecordOut(data).data)
        response["Cache-Control"] = "private, no-store"
        return response


class MeRecordDownloadApi(APIView):
    @extend_schema(
        operation_id="me_record_download",
        tags=[TAG],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, 404: ERRORS[404]},
    )
    def get(self, request):
        member = _own_member(request)
        services.access_log_write(
            user=request.user,
            action=AccessLog.Action.DOWNLOAD,
            fields=["*"],
            purpose="本人下载个人数据",
            ip=client_ip(request),
            member=member,
        )
        body = json.dumps(services.my_data(member), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="my-record-{stamp}.json"'
        response["Cache-Control"] = "private, no-store"
        return response


class MeConsentsApi(APIView):
    @extend_schema(
        operation_id="me_consents_set",
        tags=[TAG],
        request=RecordConsentIn,
        responses={200: RecordConsentOut(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request):
        member = _own_member(request)
        data = RecordConsentIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.consent_set(
            member=member,
            purpose=data.validated_data["purpose"],
            granted=data.validated_data["granted"],
            ip=client_ip(request),
        )
        return Response(RecordConsentOut(_consents(member), many=True).data)


class MeAccessLogApi(APIView):
    @extend_schema(
        operation_id="me_access_log",
        tags=[TAG],
        parameters=CURSOR_PARAMS,
        responses={200: RecordAccessLogPage, 404: ERRORS[404]},
    )
    def get(self, request):
        member = _own_member(request)
        pager = KeysetCursorPagination(ordering=("-at", "-id"))
        rows = pager.paginate_queryset(
            selectors.my_access_log(member).values("at", "id"), request, self
        )
        entries = {e.pk: e for e in AccessLog.objects.filter(pk__in=[r["id"] for r in rows])}
        return pager.get_paginated_response(
            [RecordAccessLogOut(_log_row(entries[r["id"]], with_ip=False)).data for r in rows]
        )


class MePhotoApi(APIView):
    @extend_schema(
        operation_id="me_record_photo",
        tags=[TAG],
        responses={(200, "image/*"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def get(self, request):
        member = _own_member(request)
        if not _has_photo(member):
            raise services.NoPhoto
        return protected_file_response(member.record.photo, filename=f"{member.member_no}.jpg")


# --- managers -------------------------------------------------------------------------------
class MaskedMemberListParams(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=64)
    overseas = serializers.BooleanField(required=False, allow_null=True, default=None)


MEMBER_ROW_FIELDS = (
    "id",
    "name",
    "member_no",
    "unit__name",
    "category",
    "status",
    "is_overseas",
    "phone",
    "record__id_number",
    "record__education",
)


class MemberListApi(APIView):
    @extend_schema(
        operation_id="members_list",
        tags=[TAG],
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter("q", OpenApiTypes.STR, description="姓名或党员编号"),
            OpenApiParameter("overseas", OpenApiTypes.BOOL, description="true：只列海外党员"),
        ],
        responses={200: MaskedMemberPage, 400: ERRORS[400]},
    )
    def get(self, request):
        params = MaskedMemberListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        qs = selectors.record_members(request.user)
        if p.get("q"):
            qs = qs.filter(name__icontains=p["q"]) | qs.filter(member_no=p["q"])
        if p.get("overseas") is not None:
            qs = qs.filter(is_overseas=p["overseas"])
        pager = KeysetCursorPagination(ordering=("id",))
        rows = pager.paginate_queryset(qs.values(*MEMBER_ROW_FIELDS), request, self)
        education = dict(MemberRecord.Education.choices)
        return pager.get_paginated_response(
            [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "member_no": r["member_no"],
                    "unit": r["unit__name"],
                    "category": r["category"],
                    "status": r["status"],
                    "is_overseas": r["is_overseas"],
                    "phone": mask_phone(r["phone"] or ""),
                    "id_number": mask_id(r["record__id_number"] or ""),
                    "education": str(education.get(r["record__education"] or "", "")),
                }
                for r in rows
            ]
        )


def _member_out(member, *, masked: bool) -> dict:
    return {
        "id": member.pk,
        "name": member.name,
        "member_no": member.member_no,
        "unit": member.unit.name,
        "category": member.category,
        "is_overseas": member.is_overseas,
        "masked": masked,
        "record": F.masked_record(member),
        "has_photo": _has_photo(member),
    }


class MemberRecordApi(APIView):
    @extend_schema(
        operation_id="member_record", tags=[TAG], responses={200: MemberRecordOut, 404: ERRORS[404]}
    )
    def get(self, request, pk: int):
        member = selectors.access_member_record_by_id(request.user, pk)
        return Response(MemberRecordOut(_member_out(member, masked=True)).data)

    @extend_schema(
        operation_id="member_record_update",
        tags=[TAG],
        request=MemberRecordPatchIn,
        responses={200: MemberRecordOut, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def patch(self, request, pk: int):
        selectors.access_member_record_by_id(request.user, pk, action="change")
        data = MemberRecordPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        purpose = values.pop("purpose", "")
        services.record_update(
            user=request.user, member_id=pk, data=values, ip=client_ip(request), purpose=purpose
        )
        member = selectors.access_member_record_by_id(request.user, pk)
        return Response(MemberRecordOut(_member_out(member, masked=True)).data)


class MemberRecordRevealApi(APIView):
    @extend_schema(
        operation_id="member_record_reveal",
        tags=[TAG],
        request=RecordRevealIn,
        responses={200: RecordRevealOut, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request, pk: int):
        selectors.access_member_record_by_id(request.user, pk, action="reveal")
        data = RecordRevealIn(data=request.data)
        data.is_valid(raise_exception=True)
        member, values = services.record_reveal(
            user=request.user,
            member_id=pk,
            fields=data.validated_data.get("fields") or [],
            purpose=data.validated_data.get("purpose", ""),
            ip=client_ip(request),
        )
        response = Response(
            RecordRevealOut(
                {
                    "id": member.pk,
                    "name": member.name,
                    "purpose": services.clean_purpose(data.validated_data.get("purpose")),
                    "values": values,
                }
            ).data
        )
        response["Cache-Control"] = "private, no-store"
        return response


class MemberPhotoApi(APIView):
    @extend_schema(
        operation_id="member_record_photo",
        tags=[TAG],
        responses={(200, "image/*"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        member = selectors.access_member_record_by_id(request.user, pk)
        if not _has_photo(member):
            raise services.NoPhoto
        services.record_photo_logged(user=request.user, member=member, ip=client_ip(request))
        return protected_file_response(member.record.photo, filename=f"{member.member_no}.jpg")


class RecordAccessLogParams(serializers.Serializer):
    member = serializers.CharField(required=False, allow_blank=True, max_length=64)
    actor = serializers.CharField(required=False, allow_blank=True, max_length=64)
    action = serializers.ChoiceField(choices=AccessLog.Action.choices, required=False)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)


class AccessLogApi(APIView):
    @extend_schema(
        operation_id="access_log_search",
        tags=[TAG],
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter("member", OpenApiTypes.STR, description="党员姓名（包含）或党员编号"),
            OpenApiParameter("actor", OpenApiTypes.STR, description="操作人（包含）"),
            OpenApiParameter("action", OpenApiTypes.STR, enum=AccessLog.Action.values),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
        ],
        responses={200: RecordAccessLogPage, 400: ERRORS[400]},
    )
    def get(self, request):
        params = RecordAccessLogParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.access_log_search(request.user, **params.validated_data)
        pager = KeysetCursorPagination(ordering=("-at", "-id"))
        rows = pager.paginate_queryset(qs.values("at", "id"), request, self)
        entries = {e.pk: e for e in AccessLog.objects.filter(pk__in=[r["id"] for r in rows])}
        return pager.get_paginated_response(
            [RecordAccessLogOut(_log_row(entries[r["id"]], with_ip=True)).data for r in rows]
        )


urlpatterns = [
    path("me/record/", MeRecordApi.as_view(), name="me-record"),
    path("me/record/download/", MeRecordDownloadApi.as_view(), name="me-record-download"),
    path("me/record/photo/", MePhotoApi.as_view(), name="me-record-photo"),
    path("me/consents/", MeConsentsApi.as_view(), name="me-consents"),
    path("me/access-log/", MeAccessLogApi.as_view(), name="me-access-log"),
    path("members/", MemberListApi.as_view(), name="member-list"),
    path("members/<int:pk>/record/", MemberRecordApi.as_view(), name="member-record"),
    path(
        "members/<int:pk>/record/reveal/",
        MemberRecordRevealApi.as_view(),
        name="member-record-reveal",
    ),
    path("members/<int:pk>/record/photo/", MemberPhotoApi.as_view(), name="member-record-photo"),
    path("access-log/", AccessLogApi.as_view(), name="access-log"),
]
