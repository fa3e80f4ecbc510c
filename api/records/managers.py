"""The managers' views: the masked member list, a member's record (PATCH edits), reveal with a
purpose, the photo, and the unit admins' access-log search."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.records.shapes import (
    MaskedMemberPage,
    MemberRecordOut,
    MemberRecordPatchIn,
    RecordAccessLogOut,
    RecordAccessLogPage,
    RecordRevealIn,
    RecordRevealOut,
    _has_photo,
    _log_row,
)
from core.client_ip import client_ip
from core.files import protected_file_response
from organizations import privacy as F
from organizations.models import AccessLog, MemberRecord
from organizations.privacy import mask_id, mask_phone
from organizations.records import selectors, services

TAG = "records"


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
