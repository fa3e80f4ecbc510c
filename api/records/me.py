"""The member's own record: `me/record/`, its download and photo, consents, the access log."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.records.shapes import (
    OwnMemberRecordOut,
    RecordAccessLogOut,
    RecordAccessLogPage,
    RecordConsentIn,
    RecordConsentOut,
    _consents,
    _has_photo,
    _log_row,
    _own_member,
)
from core.client_ip import client_ip
from core.files import protected_file_response
from organizations import privacy as F
from organizations.models import AccessLog
from organizations.records import selectors, services

TAG = "records"


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
