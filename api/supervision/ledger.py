"""/api/v1/supervision/ledger/…: the work ledger (电子台账) — the items, a unit's reports
with evidence, the level above's review, and the completion grid."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
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
from supervision.common import period_parse
from supervision.ledger import selectors as ledger
from supervision.ledger import services as ledger_services
from supervision.ledger.exports import grid_xlsx
from supervision.representations import LedgerReportJSON, ledger_report_as_dict

LedgerReportOut = shape_serializer(LedgerReportJSON)


ItemOut = inline_serializer(
    "LedgerItem",
    {
        "id": serializers.IntegerField(),
        "code": serializers.CharField(),
        "title": serializers.CharField(),
        "category": serializers.CharField(),
        "period": serializers.CharField(),
        "unit_kinds": serializers.ListField(child=serializers.CharField()),
        "description": serializers.CharField(),
    },
)


class LedgerItemListApi(APIView):
    @extend_schema(tags=[TAG], responses={200: serializers.ListSerializer(child=ItemOut)})
    def get(self, request):
        return Response(
            [
                {
                    "id": i.pk,
                    "code": i.code,
                    "title": i.title,
                    "category": i.category,
                    "period": i.period,
                    "unit_kinds": i.unit_kinds,
                    "description": i.description,
                }
                for i in ledger.items_active()
            ]
        )


class LedgerReportIn(serializers.Serializer):
    unit = serializers.IntegerField(**DB_ID)
    item = serializers.IntegerField(**DB_ID)
    period = serializers.CharField(max_length=8)
    text = serializers.CharField(allow_blank=True)


def evidence_url(f) -> str:
    return reverse("api:ledger-evidence", args=[f.pk])


class LedgerReportListApi(ScopedListApi):
    ordering = ("-submitted_at", "-id")

    @extend_schema(
        operation_id="supervision_ledger_reports_list",
        tags=[TAG],
        parameters=[
            *PAGE_PARAMS,
            OpenApiParameter("unit", int),
            OpenApiParameter("period", str),
            OpenApiParameter("status", str, enum=["submitted", "accepted", "returned"]),
        ],
        responses={200: paged("LedgerReportPage", LedgerReportOut), **ERRORS},
    )
    def get(self, request):
        return self.list(request)

    def scoped(self, request):
        return ledger.reports_in_scope(request.user)

    def narrow(self, request, qs):
        period = request.query_params.get("period")
        return qs.filter(period__in=period_parse(period).overlapping_keys()) if period else qs

    def as_dict(self, row) -> dict:
        return ledger_report_as_dict(row)

    @extend_schema(
        operation_id="supervision_ledger_reports_create",
        tags=[TAG],
        request=LedgerReportIn,
        responses={201: LedgerReportOut, **ERRORS},
    )
    def post(self, request):
        s = LedgerReportIn(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        r = ledger_services.ledger_report_submit(
            user=request.user,
            unit_id=d["unit"],
            item_id=d["item"],
            period=d["period"],
            text=d["text"],
        )
        return Response(ledger_report_as_dict(r), status=status.HTTP_201_CREATED)


class LedgerReportDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: LedgerReportOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        r = ledger.access_ledger_report_by_id(request.user, pk)
        return Response(
            ledger_report_as_dict(r, files=list(r.files.order_by("id")), file_url=evidence_url)
        )


class ReviewIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=["accept", "return"])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LedgerReportReviewApi(APIView):
    @extend_schema(tags=[TAG], request=ReviewIn, responses={200: LedgerReportOut, **ERRORS})
    def post(self, request, pk: int):
        ledger.access_ledger_report_by_id(request.user, pk, action="change")
        s = ReviewIn(data=request.data)
        s.is_valid(raise_exception=True)
        r = ledger_services.ledger_report_review(
            user=request.user,
            report_id=pk,
            accept=s.validated_data["action"] == "accept",
            reason=s.validated_data["reason"],
        )
        return Response(ledger_report_as_dict(r))


class LedgerReportUploadApi(APIView):
    @extend_schema(
        tags=[TAG], request={"multipart/form-data": UploadIn}, responses={201: FileOut, **ERRORS}
    )
    def post(self, request, pk: int):
        f = ledger_services.ledger_evidence_add(
            user=request.user, report_id=pk, upload=request.FILES.get("file")
        )
        return Response(
            {"id": f.pk, "name": f.name, "url": evidence_url(f)}, status=status.HTTP_201_CREATED
        )


class LedgerEvidenceApi(APIView):
    @extend_schema(tags=[TAG], responses={200: OpenApiTypes.BINARY, 404: ERRORS[404]})
    def get(self, request, pk: int):
        f = ledger.access_ledger_evidence_by_id(request.user, pk)
        return protected_file_response(f.file, filename=f.name)


# The completion grid: units × items, coloured by state, with per-item rates.
class LedgerGridApi(PanelReportApi):
    panel_key = "ledger"

    def build(self, *, unit, period) -> dict:
        return ledger.ledger_grid(unit=unit, period=period)

    def export(self, report: dict) -> bytes:
        return grid_xlsx(report)

    def as_json(self, report: dict) -> dict:
        report.pop("item_names", None)
        for row in report["rows"]:
            row["cells"] = {str(k): v for k, v in row["cells"].items()}
        return report
