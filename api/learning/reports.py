"""/api/v1/reports/completion/: an assignment's completion over a unit's subtree for its
secretaries, as JSON, CSV or Excel, with the drill-down to members (elearning.reports)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import DomainError
from api.learning.common import ERRORS, TAG
from api.schema import shape_serializer
from elearning.reports import exports as report_exports
from elearning.reports import selectors as reports
from elearning.reports.selectors import CompletionReportJSON


class CompletionReportApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[
            OpenApiParameter("assignment", int, required=True),
            OpenApiParameter("unit", int, required=True),
            OpenApiParameter("members", bool, description="true：下钻到党员名单（分页）"),
            OpenApiParameter(
                "status",
                str,
                enum=["completed", "overdue", "in_progress", "not_started"],
                description="党员名单只列此状态的党员（如全部逾期人员）",
            ),
            OpenApiParameter("export", str, enum=["csv", "xlsx"], description="导出文件格式"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={
            200: shape_serializer(CompletionReportJSON),
            (200, "text/csv"): OpenApiTypes.BINARY,
            **ERRORS,
        },
    )
    def get(self, request):
        qp = request.query_params
        try:
            assignment_id, unit_id = int(qp.get("assignment", "")), int(qp.get("unit", ""))
        except ValueError:
            raise DomainError("须提供整数参数 assignment 和 unit", code="invalid") from None
        assignment, unit = reports.access_report_by_id(
            request.user, assignment_id=assignment_id, unit_id=unit_id
        )
        fmt = qp.get("export", "")
        if fmt not in ("", "csv", "xlsx"):
            raise DomainError("export 只能是 csv 或 xlsx", code="invalid")
        if qp.get("members") in ("1", "true"):
            try:
                page = max(1, int(qp.get("page", 1)))
                size = max(1, min(200, int(qp.get("page_size", 50))))
            except ValueError:
                raise DomainError("page/page_size 须为正整数", code="invalid") from None
            status = qp.get("status") or None
            if status is not None and status not in reports.MEMBER_STATUSES:
                raise DomainError(
                    "status 只能是 " + "、".join(reports.MEMBER_STATUSES), code="invalid"
                )
            data = reports.completion_members(
                user=request.user,
                assignment=assignment,
                unit=unit,
                limit=size,
                offset=(page - 1) * size,
                status=status,
            )
            return Response(data)
        report = reports.completion_report(user=request.user, assignment=assignment, unit=unit)
        name = f"completion-{assignment.pk}-{unit.code}"
        if fmt == "csv":
            resp = HttpResponse(
                report_exports.report_csv(report), content_type="text/csv; charset=utf-8"
            )
            resp["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return resp
        if fmt == "xlsx":
            resp = HttpResponse(
                report_exports.report_xlsx(report),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            resp["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return resp
        return Response(report)
