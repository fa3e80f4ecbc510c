"""What the supervision resources share: the tag, id bounds, the report parameters and
shapes, uploads, and the two view bases — `ScopedListApi` (a paged list of one resource
inside the caller's scope, narrowed to a unit's subtree and a status) and
`PanelReportApi` (a report over a unit's subtree and period, as JSON or an Excel file).

The view classes of this package are described in comments, not docstrings: drf-spectacular
publishes a view's docstring as its operations' description, and the schema is the
contract."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import DomainError
from api.learning.common import ERRORS
from api.pagination import PagePagination
from organizations.selectors import access_unit_by_id, top_unit_in_scope
from supervision import dashboard
from supervision.common import MANAGE_ROLES, default_period, period_parse

TAG = "supervision"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_PARAMS = [
    OpenApiParameter("unit", int, description="组织 id（默认：您担任书记的最上级组织）"),
    OpenApiParameter(
        "period", str, description="周期：2026（年）、2026-Q2（季度）、2026-05（月）；默认本季度"
    ),
    OpenApiParameter("export", str, enum=["xlsx"], description="导出 Excel"),
]
Report = inline_serializer(
    "SupervisionReport",
    {
        "unit": serializers.DictField(),
        "period": serializers.DictField(allow_null=True),
        "rows": serializers.ListField(child=serializers.DictField()),
        "total": serializers.DictField(),
    },
)

#: ids are database keys: 1 … 2⁶³−1 (a bigger number is a 400, never an overflow)
DB_ID = {"min_value": 1, "max_value": 2**63 - 1}

UploadIn = inline_serializer(
    "SupervisionUpload",
    {"file": serializers.FileField(), "kind": serializers.CharField(required=False)},
)
FileOut = inline_serializer(
    "SupervisionFile",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "url": serializers.CharField(),
    },
)


def int_param(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(f"{name} 须为整数", code="invalid") from None


def xlsx_response(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return resp


def report_scope(request, *, roles=MANAGE_ROLES):
    """The unit (`?unit=`, default the user's top unit for `roles`) and period
    (`?period=`, default the current quarter on the unit's clock) of a report."""
    qp = request.query_params
    if qp.get("export", "") not in ("", "xlsx"):
        raise DomainError("export 只能是 xlsx", code="invalid")
    if qp.get("unit"):
        unit = access_unit_by_id(request.user, int_param(qp["unit"], "unit"), roles=roles)
    else:
        unit = top_unit_in_scope(request.user, roles=roles)
        if unit is None:
            raise DomainError("您没有可查看的组织", code="not_found", status=404)
    period = period_parse(qp["period"]) if qp.get("period") else default_period(unit)
    return unit, period


# A paged list of one resource inside the caller's scope. Subclasses give
# `scoped(request)` (the queryset), `narrow(request, qs)` (their own filters),
# `ordering` and `as_dict(row)`; their `get` (with its schema) calls `list`.
class ScopedListApi(APIView):
    #: the roles for which `?unit=` must be in scope (None: any)
    unit_roles: tuple[str, ...] | None = MANAGE_ROLES
    #: whether `?status=` narrows the list
    status_filter = True
    ordering: tuple[str, ...] = ("-id",)

    def scoped(self, request):
        raise NotImplementedError

    def narrow(self, request, qs):
        return qs

    def as_dict(self, row) -> dict:
        raise NotImplementedError

    def list(self, request):
        qp = request.query_params
        qs = self.scoped(request)
        if qp.get("unit"):
            unit = access_unit_by_id(
                request.user, int_param(qp["unit"], "unit"), roles=self.unit_roles
            )
            qs = qs.filter(unit__path__startswith=unit.path)
        if self.status_filter and qp.get("status"):
            qs = qs.filter(status=qp["status"])
        qs = self.narrow(request, qs).order_by(*self.ordering)
        pager = PagePagination()
        rows = pager.paginate_queryset(qs, request, view=self)
        return pager.get_paginated_response([self.as_dict(r) for r in rows])


# A dashboard panel's report for a unit's subtree and period (`?unit`, `?period`), or
# (`?export=xlsx`) its Excel file named `<panel_key>-<unit code>-<period>.xlsx`.
class PanelReportApi(APIView):
    panel_key = ""

    def build(self, *, unit, period) -> dict:
        raise NotImplementedError

    def export(self, report: dict) -> bytes:
        panel = dashboard.panel_by_key(self.panel_key)
        return dashboard.panel_xlsx(title=panel.title, columns=panel.columns, report=report)

    def as_json(self, report: dict) -> dict:
        return report

    @extend_schema(
        tags=[TAG],
        parameters=REPORT_PARAMS,
        responses={200: Report, (200, XLSX): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request):
        unit, period = report_scope(request)
        report = self.build(unit=unit, period=period)
        if request.query_params.get("export") == "xlsx":
            return xlsx_response(self.export(report), f"{self.panel_key}-{unit.code}-{period.key}")
        return Response(self.as_json(report))
