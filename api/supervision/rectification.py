"""/api/v1/supervision/rectifications/…: problem transfer lists (问题移交单) — hand a
problem down, reply with measures and evidence, verify (close or return) — and the
rectification report."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS, paged
from api.pagination import PAGE_PARAMS
from api.schema import shape_serializer
from api.supervision.common import (
    DB_ID,
    TAG,
    FileOut,
    PanelReportApi,
    ScopedListApi,
    UploadIn,
)
from core.files import protected_file_response
from supervision.rectification import selectors as rect
from supervision.rectification import services as rect_services
from supervision.rectification.models import Rectification
from supervision.representations import RectificationJSON, rectification_as_dict

RectificationOut = shape_serializer(RectificationJSON)


class RectificationIn(serializers.Serializer):
    unit = serializers.IntegerField(**DB_ID, help_text="整改单位")
    issued_by_unit = serializers.IntegerField(
        **DB_ID, help_text="移交单位（上级，您须在其管理范围内）"
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True)
    category = serializers.CharField(max_length=64, allow_blank=True)
    source = serializers.ChoiceField(choices=Rectification.Source.choices, default="upper")
    deadline = serializers.DateField(help_text="整改期限（整改单位当地日期，当天 24:00 截止）")
    responsible_person = serializers.CharField(max_length=64, allow_blank=True)


def evidence_url(f) -> str:
    return reverse("api:rectification-evidence", args=[f.pk])


class RectificationListApi(ScopedListApi):
    ordering = ("deadline", "id")

    @extend_schema(
        operation_id="supervision_rectifications_list",
        tags=[TAG],
        parameters=[
            *PAGE_PARAMS,
            OpenApiParameter("unit", int),
            OpenApiParameter("status", str, enum=list(Rectification.Status.values)),
            OpenApiParameter("overdue", bool, description="true：只列已逾期未销号的"),
        ],
        responses={200: paged("RectificationPage", RectificationOut), **ERRORS},
    )
    def get(self, request):
        return self.list(request)

    def scoped(self, request):
        return rect.rectifications_in_scope(request.user)

    def narrow(self, request, qs):
        if request.query_params.get("overdue") in ("1", "true"):
            qs = qs.filter(rect.overdue_q())
        return qs

    def as_dict(self, row) -> dict:
        return rectification_as_dict(row)

    @extend_schema(
        operation_id="supervision_rectifications_create",
        tags=[TAG],
        request=RectificationIn,
        responses={201: RectificationOut, **ERRORS},
    )
    def post(self, request):
        s = RectificationIn(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        r = rect_services.rectification_issue(
            user=request.user,
            unit_id=d["unit"],
            issued_by_unit_id=d["issued_by_unit"],
            title=d["title"],
            description=d["description"],
            category=d["category"],
            source=d["source"],
            deadline=d["deadline"],
            responsible_person=d["responsible_person"],
        )
        return Response(rectification_as_dict(r), status=status.HTTP_201_CREATED)


class RectificationDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: RectificationOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        r = rect.access_rectification_by_id(request.user, pk)
        return Response(
            rectification_as_dict(r, files=list(r.files.order_by("id")), file_url=evidence_url)
        )


class ReplyIn(serializers.Serializer):
    measures = serializers.CharField(allow_blank=True)
    evidence_text = serializers.CharField(required=False, allow_blank=True, default="")


class RectificationReplyApi(APIView):
    @extend_schema(tags=[TAG], request=ReplyIn, responses={200: RectificationOut, **ERRORS})
    def post(self, request, pk: int):
        rect.access_rectification_by_id(request.user, pk, action="change")
        s = ReplyIn(data=request.data)
        s.is_valid(raise_exception=True)
        r = rect_services.rectification_reply(
            user=request.user,
            rectification_id=pk,
            measures=s.validated_data["measures"],
            evidence_text=s.validated_data["evidence_text"],
        )
        return Response(rectification_as_dict(r))


class VerifyIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=["close", "return"])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RectificationVerifyApi(APIView):
    @extend_schema(tags=[TAG], request=VerifyIn, responses={200: RectificationOut, **ERRORS})
    def post(self, request, pk: int):
        rect.access_rectification_by_id(request.user, pk, action="change")
        s = VerifyIn(data=request.data)
        s.is_valid(raise_exception=True)
        r = rect_services.rectification_verify(
            user=request.user,
            rectification_id=pk,
            close=s.validated_data["action"] == "close",
            reason=s.validated_data["reason"],
        )
        return Response(rectification_as_dict(r))


class RectificationUploadApi(APIView):
    @extend_schema(
        tags=[TAG], request={"multipart/form-data": UploadIn}, responses={201: FileOut, **ERRORS}
    )
    def post(self, request, pk: int):
        f = rect_services.rectification_evidence_add(
            user=request.user, rectification_id=pk, upload=request.FILES.get("file")
        )
        return Response(
            {"id": f.pk, "name": f.name, "url": evidence_url(f)},
            status=status.HTTP_201_CREATED,
        )


class RectificationEvidenceApi(APIView):
    @extend_schema(tags=[TAG], responses={200: OpenApiTypes.BINARY, 404: ERRORS[404]})
    def get(self, request, pk: int):
        f = rect.access_rectification_evidence_by_id(request.user, pk)
        return protected_file_response(f.file, filename=f.name)


# Open, overdue, closed on time and average time to close, per child unit.
class RectificationReportApi(PanelReportApi):
    panel_key = "rectification"

    def build(self, *, unit, period) -> dict:
        return rect.rectification_report(unit=unit, period=period)
