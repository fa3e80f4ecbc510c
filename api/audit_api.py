"""/api/v1/audit/: the audit log, the trace of one content item and the outlet registry,
for auditors (docs/api.md "Audit").

An auditor holds the `auditor` (监督员) or `secretary` (书记) role on a unit and sees the
entries, content and outlets of that unit's subtree (plus, in the registry, the outlets
of the units above it, which the subtree's content goes out through); anyone else gets
403. Content outside scope answers 404 like a missing id. Reads only: the log is
append-only and the API has no write. Logic in `cms.trace` and `cms.outlets`.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from api.content import _page_of
from api.pagination import PAGE_PARAMS, PagePagination
from cms.models import AuditEntry, Outlet
from cms.outlets import outlets_visible_to_auditor
from cms.trace import AUDITOR_ROLES, audit_entries, can_audit, page_trace
from organizations.models import OrgUnit

ERRORS = {
    400: OpenApiTypes.OBJECT,
    401: OpenApiTypes.OBJECT,
    403: OpenApiTypes.OBJECT,
    404: OpenApiTypes.OBJECT,
}
NOT_AUDITOR = "只有监督员或书记可以查看审核发布记录和阵地备案"


def _require_auditor(request) -> None:
    if not can_audit(request.user, AUDITOR_ROLES):
        raise PermissionDenied(NOT_AUDITOR)


def _unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise serializers.ValidationError({"unit": [f"找不到组织代码“{code}”"]})
    return unit


class AuditEntryFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, max_length=32, help_text="单位代码，含下级单位")
    person = serializers.CharField(
        required=False, max_length=64, help_text="操作人：姓名（部分）、党员编号或登录名"
    )
    outlet = serializers.IntegerField(required=False, min_value=1, help_text="阵地 ID")
    date_from = serializers.DateField(required=False, help_text="日期起（含）")
    date_to = serializers.DateField(required=False, help_text="日期止（含）")
    action = serializers.ChoiceField(
        required=False, choices=AuditEntry.Action.choices, help_text="操作"
    )
    content = serializers.IntegerField(required=False, min_value=1, help_text="内容（页面）ID")

    def validate(self, attrs):
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_from"] > attrs["date_to"]
        ):
            raise serializers.ValidationError({"date_to": ["结束日期不能早于开始日期"]})
        return attrs


def entry_json(e: AuditEntry) -> dict:
    return {
        "id": e.pk,
        "at": e.timestamp,
        "action": e.action,
        "action_display": e.get_action_display(),
        "operator": {"id": e.operator_id, "name": e.operator_name},
        "unit": {"id": e.unit_id, "code": e.unit.code if e.unit else None, "name": e.unit_name},
        "object": {
            "type": e.object_type,
            "label": e.object_label,
            "content_id": e.page_id,
            "revision_id": e.revision_id,
        },
        "comment": e.comment,
        "outlets": [
            {"id": r.outlet_id, "name": r.outlet_name, "kind": r.outlet_kind, "owner": r.owner_name}
            for r in e.outlet_rows.all()
        ],
        "data": e.data,
    }


class AuditEntryListApi(APIView):
    @extend_schema(
        tags=["audit"],
        operation_id="audit_entries_list",
        summary="审核发布记录（本单位及下级，最新在前）",
        parameters=[AuditEntryFilterSerializer, *PAGE_PARAMS],
        responses={200: _page_of("AuditEntryList"), **ERRORS},
    )
    def get(self, request):
        _require_auditor(request)
        s = AuditEntryFilterSerializer(data=request.query_params)
        s.is_valid(raise_exception=True)
        p = dict(s.validated_data)
        filters = {k: p[k] for k in ("person", "date_from", "date_to", "action") if k in p}
        if "unit" in p:
            filters["unit"] = _unit(p["unit"])
        if "outlet" in p:
            visible = outlets_visible_to_auditor(request.user, AUDITOR_ROLES)
            filters["outlet"] = visible.filter(pk=p["outlet"]).first()
            if filters["outlet"] is None:  # missing and out of scope alike
                raise serializers.ValidationError(
                    {"outlet": [f"找不到 ID 为 {p['outlet']} 的阵地"]}
                )
        if "content" in p:
            filters["page_id"] = p["content"]
        qs = audit_entries(request.user, roles=AUDITOR_ROLES, **filters)
        paginator = PagePagination()
        rows = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([entry_json(e) for e in rows])


class ContentTraceApi(APIView):
    @extend_schema(
        tags=["audit"],
        operation_id="audit_content_trace",
        summary="内容追溯：发布阵地及责任人、作者、每一步审核（人、时间、意见）、发布后的修改、全部记录",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, id: int):
        _require_auditor(request)
        # TraceNotFound (missing or out of scope) is api.errors' plain 404
        return Response(page_trace(request.user, id, roles=AUDITOR_ROLES))


class OutletFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, max_length=32, help_text="主办单位代码，含下级")
    kind = serializers.ChoiceField(required=False, choices=Outlet.Kind.choices)
    status = serializers.ChoiceField(required=False, choices=Outlet.Status.choices)


def _person(user) -> dict | None:
    from cms.models.outlets import display_name

    return None if user is None else {"id": user.pk, "name": display_name(user)}


def outlet_json(o: Outlet) -> dict:
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "kind_display": o.get_kind_display(),
        "owner_unit": {"id": o.owner_unit_id, "code": o.owner_unit.code, "name": o.owner_unit.name},
        "owner": _person(o.owner),
        "deputy": _person(o.deputy),
        "address": o.address,
        "status": o.status,
        "status_reason": o.status_reason,
        "approved": o.is_approved,
        "approved_by": _person(o.approved_by),
        "approved_at": o.approved_at,
        "builtin": o.builtin,
    }


class OutletListApi(APIView):
    @extend_schema(
        tags=["audit"],
        operation_id="audit_outlets_list",
        summary="阵地备案（本单位及下级的阵地，以及上级的门户和 App）",
        parameters=[OutletFilterSerializer, *PAGE_PARAMS],
        responses={200: _page_of("OutletList"), **ERRORS},
    )
    def get(self, request):
        _require_auditor(request)
        s = OutletFilterSerializer(data=request.query_params)
        s.is_valid(raise_exception=True)
        p = s.validated_data
        qs = outlets_visible_to_auditor(request.user, AUDITOR_ROLES).select_related(
            "owner__member", "deputy__member", "approved_by__member"
        )
        if "unit" in p:
            qs = qs.filter(owner_unit__path__startswith=_unit(p["unit"]).path)
        if "kind" in p:
            qs = qs.filter(kind=p["kind"])
        if "status" in p:
            qs = qs.filter(status=p["status"])
        paginator = PagePagination()
        rows = paginator.paginate_queryset(
            qs.order_by("owner_unit__path", "name", "id"), request, view=self
        )
        return paginator.get_paginated_response([outlet_json(o) for o in rows])


urlpatterns = [
    path("audit/entries/", AuditEntryListApi.as_view(), name="audit-entries"),
    path("audit/content/<int:id>/", ContentTraceApi.as_view(), name="audit-content-trace"),
    path("audit/outlets/", OutletListApi.as_view(), name="audit-outlets"),
]
