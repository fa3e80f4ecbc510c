"""/api/v1/supervision/dashboard/: a secretary's one screen for their subtree and
period, assembled from each app's panels: supervision's (learning from the academy,
meetings, ledger, rectification) and `DUES_PANEL`, built on
dues.selectors.dashboard_report."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import DomainError
from api.learning.common import ERRORS
from api.supervision.common import REPORT_PARAMS, TAG, XLSX, report_scope, xlsx_response
from dues import selectors as dues_selectors
from supervision import dashboard
from supervision.common import DASHBOARD_ROLES

#: The dues collection panel: `dues` (another layer-6 app, which supervision may not
#: import) provides the report (`dues.selectors.dashboard_report`, one query by child
#: unit); the panel is assembled here. Were it None, the dashboard would list it as
#: {"key": "dues", "available": false}.
DUES_PANEL: dashboard.Panel | None = dashboard.Panel(
    "dues", "党费收缴情况", dues_selectors.DASHBOARD_COLUMNS, dues_selectors.dashboard_report
)


def dashboard_panels() -> list[dashboard.Panel]:
    return [*dashboard.PANELS, *([DUES_PANEL] if DUES_PANEL is not None else [])]


class DashboardApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[
            *REPORT_PARAMS,
            OpenApiParameter(
                "panel",
                str,
                enum=["learning", "meetings", "ledger", "rectification", "dues"],
                description="只取一个面板（导出 Excel 时必填）",
            ),
        ],
        responses={
            200: inline_serializer(
                "SupervisionDashboard",
                {
                    "unit": serializers.DictField(),
                    "period": serializers.DictField(),
                    "panels": serializers.ListField(child=serializers.DictField()),
                },
            ),
            (200, XLSX): OpenApiTypes.BINARY,
            **ERRORS,
        },
    )
    def get(self, request):
        unit, period = report_scope(request, roles=DASHBOARD_ROLES)
        wanted = request.query_params.get("panel") or None
        panels = dashboard_panels()
        keys = [p.key for p in panels] + ([] if DUES_PANEL else ["dues"])
        if wanted is not None and wanted not in keys:
            raise DomainError("panel 只能是 " + "、".join(keys), code="invalid")
        export = request.query_params.get("export") == "xlsx"
        if export and (wanted is None or wanted == "dues" and DUES_PANEL is None):
            raise DomainError("导出 Excel 须指定一个可用的 panel", code="invalid")
        out = []
        for panel in panels:
            if wanted is not None and panel.key != wanted:
                continue
            report = panel.build(user=request.user, unit=unit, period=period)
            if export:
                return xlsx_response(
                    dashboard.panel_xlsx(title=panel.title, columns=panel.columns, report=report),
                    f"{panel.key}-{unit.code}-{period.key}",
                )
            out.append(
                {
                    "key": panel.key,
                    "title": panel.title,
                    "available": True,
                    "columns": [{"label": c[0], "key": c[1], "kind": c[2]} for c in panel.columns],
                    "rows": report["rows"],
                    "total": report["total"],
                }
            )
        if DUES_PANEL is None and wanted in (None, "dues"):
            out.append({"key": "dues", "title": "党费收缴情况", "available": False})
        return Response(
            {
                "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
                "period": {"key": period.key, "label": period.label()},
                "panels": out,
            }
        )
