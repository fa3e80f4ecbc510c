"""/api/v1/transfers/, /api/v1/me/transfers/ and /api/v1/assistance-cases/ (docs/api.md
"Transfers and pairing assistance"). The rules live in organizations.transfers and
care.assistance.services; the shapes in their representations. Out of scope = 404."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.schema import shape_serializer
from care.assistance import services as assistance
from care.assistance.models import AssistanceCase, AssistanceVisit
from care.assistance.representations import (
    AssistanceCaseDetailJSON,
    AssistanceCaseJSON,
    case_as_dict,
    helper_as_dict,
    visit_as_dict,
)
from core.errors import DomainError
from organizations import transfers
from organizations.models import OrgUnit, Transfer
from organizations.scope import member_for_user, scope_for
from organizations.selectors import access_member_by_id, access_unit_by_id, object_or_not_found
from organizations.transfer_representations import TransferJSON, transfer_as_dict

TAG_T = "transfers"
TAG_A = "assistance"
TransferOut = shape_serializer(TransferJSON)
CaseOut = shape_serializer(AssistanceCaseJSON)
CaseDetailOut = shape_serializer(AssistanceCaseDetailJSON)


def _page(name, item):
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.CharField(allow_null=True),
            "previous": serializers.CharField(allow_null=True),
            "results": item(many=True),
        },
    )


TransferPage = _page("TransferPage", TransferOut)
CasePage = _page("AssistanceCasePage", CaseOut)


def _valid(serializer_class, data):
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


# --- transfers ------------------------------------------------------------------------------
class TransferListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=Transfer.Status.choices, required=False)
    member_id = serializers.IntegerField(required=False)


class TransferStartIn(serializers.Serializer):
    member_id = serializers.IntegerField()
    direction = serializers.ChoiceField(
        choices=Transfer.Direction.choices, default=Transfer.Direction.INTERNAL
    )
    to_unit_id = serializers.IntegerField(required=False, allow_null=True)
    external_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class AcceptIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RejectIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        error_messages={"required": "退回须填写退回原因", "blank": "退回须填写退回原因"},
    )


class TransferListApi(APIView):
    @extend_schema(
        operation_id="transfers_list",
        tags=[TAG_T],
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter(
                "status", OpenApiTypes.STR, description="pending/accepted/rejected/expired"
            ),
            OpenApiParameter("member_id", OpenApiTypes.INT, description="只看该党员的转接历史"),
        ],
        responses={200: TransferPage, 400: ERRORS[400]},
    )
    def get(self, request):
        """转接记录：转出组织、转入组织或党员所在组织在我的管理范围内的全部转接。"""
        p = _valid(TransferListParams, request.query_params)
        qs = transfers.transfers_visible(request.user)
        if "status" in p:
            qs = qs.filter(status=p["status"])
        if "member_id" in p:
            qs = qs.filter(member_id=p["member_id"])
        pager = KeysetCursorPagination(ordering=("-id",))
        rows = pager.paginate_queryset(qs, request, view=self)
        return pager.get_paginated_response([transfer_as_dict(t) for t in rows])

    @extend_schema(
        operation_id="transfers_start",
        tags=[TAG_T],
        request=TransferStartIn,
        responses={201: TransferOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request):
        """发起转接（转出方书记、组织委员或组织管理员）。系统外转入时由转入方发起。"""
        d = _valid(TransferStartIn, request.data)
        to_unit = None
        if d.get("to_unit_id") is not None:
            to_unit = object_or_not_found(OrgUnit.objects.all(), d["to_unit_id"])
        if d["direction"] == Transfer.Direction.IN:
            # the in-unit side registers a member coming from outside
            if to_unit is None or not scope_for(
                request.user, roles=transfers.TRANSFER_ROLES
            ).covers(to_unit.path):
                raise DomainError("请选择你管理范围内的转入党组织", code="not_found", status=404)
        member = access_member_by_id(request.user, d["member_id"], roles=transfers.TRANSFER_ROLES)
        t = transfers.transfer_start(
            member=member,
            started_by=request.user,
            to_unit=to_unit,
            direction=d["direction"],
            external_name=d.get("external_name", ""),
            reason=d.get("reason", ""),
        )
        t = transfers.access_transfer_by_id(request.user, t.pk)
        return Response(transfer_as_dict(t), status=status.HTTP_201_CREATED)


class TransferDetailApi(APIView):
    @extend_schema(tags=[TAG_T], responses={200: TransferOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        return Response(transfer_as_dict(transfers.access_transfer_by_id(request.user, pk)))


class TransferAcceptApi(APIView):
    @extend_schema(
        operation_id="transfers_accept",
        tags=[TAG_T],
        request=AcceptIn,
        responses={200: TransferOut, 403: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request, pk: int):
        """接收：转入组织（或共同上级党组织）的书记办理；接收后党员才转入。"""
        t = transfers.access_transfer_by_id(request.user, pk, action="decide")
        d = _valid(AcceptIn, request.data)
        transfers.transfer_accept(transfer=t, accepted_by=request.user, note=d.get("note", ""))
        return Response(
            transfer_as_dict(transfers.access_transfer_by_id(request.user, pk, action="decide"))
        )


class TransferRejectApi(APIView):
    @extend_schema(
        operation_id="transfers_reject",
        tags=[TAG_T],
        request=RejectIn,
        responses={200: TransferOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request, pk: int):
        """退回（须填写原因）：党员留在转出组织。"""
        t = transfers.access_transfer_by_id(request.user, pk, action="decide")
        d = _valid(RejectIn, request.data)
        transfers.transfer_reject(transfer=t, rejected_by=request.user, reason=d["reason"])
        return Response(
            transfer_as_dict(transfers.access_transfer_by_id(request.user, pk, action="decide"))
        )


def _letter_response(t) -> HttpResponse:
    pdf = transfers.transfer_letter_pdf(t)
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="transfer-letter-{t.pk}.pdf"'
    resp["Cache-Control"] = "private, no-store"
    return resp


class TransferLetterApi(APIView):
    @extend_schema(
        tags=[TAG_T],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            404: ERRORS[404],
        },
    )
    def get(self, request, pk: int):
        """介绍信 PDF（带编号）。"""
        return _letter_response(transfers.access_transfer_by_id(request.user, pk))


class CountsParams(serializers.Serializer):
    unit_id = serializers.IntegerField()
    since = serializers.DateField()
    until = serializers.DateField()


class TransferCountRow(serializers.Serializer):
    unit_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_unit_itself = serializers.BooleanField()
    out = serializers.IntegerField()
    # "in" is a Python keyword: declared below


TransferCountRow._declared_fields["in"] = serializers.IntegerField()


class TransferCountsApi(APIView):
    @extend_schema(
        operation_id="transfers_counts",
        tags=[TAG_T],
        parameters=[
            OpenApiParameter("unit_id", OpenApiTypes.INT, required=True),
            OpenApiParameter("since", OpenApiTypes.DATE, required=True),
            OpenApiParameter("until", OpenApiTypes.DATE, required=True),
        ],
        responses={200: TransferCountRow(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request):
        """各下级组织在期间内转入、转出（已接收）人数（一次查询）。"""
        p = _valid(CountsParams, request.query_params)
        unit = access_unit_by_id(request.user, p["unit_id"], roles=transfers.TRANSFER_ROLES)
        return Response(transfers.transfer_counts(unit, since=p["since"], until=p["until"]))


class MyTransferListApi(APIView):
    @extend_schema(
        operation_id="me_transfers", tags=[TAG_T], responses={200: TransferOut(many=True)}
    )
    def get(self, request):
        """我的组织关系转接（最新在前，含进行中的一条的状态）。"""
        rows = transfers.member_transfers(member_for_user(request.user))[:50]
        return Response([transfer_as_dict(t) for t in rows])


# --- pairing assistance ---------------------------------------------------------------------
class CaseListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=AssistanceCase.Status.choices, required=False)
    category = serializers.ChoiceField(choices=AssistanceCase.Category.choices, required=False)


class CaseIn(serializers.Serializer):
    member_id = serializers.IntegerField()
    category = serializers.ChoiceField(choices=AssistanceCase.Category.choices)
    situation = serializers.CharField(max_length=2000)
    plan = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    opened_on = serializers.DateField()


class PlanIn(serializers.Serializer):
    plan = serializers.CharField(allow_blank=True, max_length=2000)


class HelperIn(serializers.Serializer):
    helper_id = serializers.IntegerField()
    paired_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class VisitIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssistanceVisit.Kind.choices)
    visited_on = serializers.DateField()
    amount_fen = serializers.IntegerField(required=False, default=0, min_value=0)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    helper_id = serializers.IntegerField(required=False, allow_null=True)


class CloseIn(serializers.Serializer):
    closed_on = serializers.DateField()
    summary = serializers.CharField(max_length=2000)


def _detail(case) -> dict:
    extra = assistance.case_detail(case)
    return {
        **case_as_dict(case),
        "helpers": [helper_as_dict(h) for h in extra["helpers"]],
        "visits": [visit_as_dict(v) for v in extra["visits"]],
    }


def _member_in_scope(user, member_id):
    return access_member_by_id(user, member_id, roles=assistance.CASE_ROLES)


class CaseListApi(APIView):
    @extend_schema(
        operation_id="assistance_cases_list",
        tags=[TAG_A],
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("category", OpenApiTypes.STR),
        ],
        responses={200: CasePage, 400: ERRORS[400]},
    )
    def get(self, request):
        """结对帮扶：我管理范围内的帮扶对象。"""
        p = _valid(CaseListParams, request.query_params)
        qs = assistance.cases_in_scope(request.user)
        for key in ("status", "category"):
            if key in p:
                qs = qs.filter(**{key: p[key]})
        pager = KeysetCursorPagination(ordering=("-id",))
        rows = pager.paginate_queryset(qs, request, view=self)
        return pager.get_paginated_response([case_as_dict(c) for c in rows])

    @extend_schema(
        operation_id="assistance_cases_open",
        tags=[TAG_A],
        request=CaseIn,
        responses={201: CaseDetailOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request):
        d = _valid(CaseIn, request.data)
        member = _member_in_scope(request.user, d["member_id"])
        case = assistance.case_open(
            member=member,
            category=d["category"],
            situation=d["situation"],
            plan=d.get("plan", ""),
            opened_on=d["opened_on"],
            created_by=request.user,
        )
        case = assistance.access_assistance_case_by_id(request.user, case.pk)
        return Response(_detail(case), status=status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    @extend_schema(tags=[TAG_A], responses={200: CaseDetailOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        return Response(_detail(assistance.access_assistance_case_by_id(request.user, pk)))

    @extend_schema(
        operation_id="assistance_cases_plan",
        tags=[TAG_A],
        request=PlanIn,
        responses={200: CaseDetailOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def patch(self, request, pk: int):
        """修改帮扶计划。"""
        case = assistance.access_assistance_case_by_id(request.user, pk, action="change")
        d = _valid(PlanIn, request.data)
        assistance.case_update_plan(case=case, plan=d["plan"])
        return Response(_detail(assistance.access_assistance_case_by_id(request.user, pk)))


class CaseHelpersApi(APIView):
    @extend_schema(
        operation_id="assistance_cases_pair",
        tags=[TAG_A],
        request=HelperIn,
        responses={201: CaseDetailOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request, pk: int):
        """结对：增加一名帮扶人。"""
        case = assistance.access_assistance_case_by_id(request.user, pk, action="change")
        d = _valid(HelperIn, request.data)
        helper = _member_in_scope(request.user, d["helper_id"])
        assistance.helper_pair(
            case=case, helper=helper, paired_on=d["paired_on"], note=d.get("note", "")
        )
        return Response(
            _detail(assistance.access_assistance_case_by_id(request.user, pk)),
            status=status.HTTP_201_CREATED,
        )


class CaseVisitsApi(APIView):
    @extend_schema(
        operation_id="assistance_cases_visit",
        tags=[TAG_A],
        request=VisitIn,
        responses={201: CaseDetailOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request, pk: int):
        """记录一次走访、联系或帮扶（金额以分为单位的整数）。"""
        case = assistance.access_assistance_case_by_id(request.user, pk, action="change")
        d = _valid(VisitIn, request.data)
        helper = None
        if d.get("helper_id") is not None:
            helper = _member_in_scope(request.user, d["helper_id"])
        assistance.visit_record(
            case=case,
            kind=d["kind"],
            visited_on=d["visited_on"],
            amount_fen=d.get("amount_fen", 0),
            notes=d.get("notes", ""),
            helper=helper,
            recorded_by=request.user,
        )
        return Response(
            _detail(assistance.access_assistance_case_by_id(request.user, pk)),
            status=status.HTTP_201_CREATED,
        )


class CaseCloseApi(APIView):
    @extend_schema(
        operation_id="assistance_cases_close",
        tags=[TAG_A],
        request=CloseIn,
        responses={200: CaseDetailOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request, pk: int):
        """结案（须填写结案说明）。"""
        case = assistance.access_assistance_case_by_id(request.user, pk, action="change")
        d = _valid(CloseIn, request.data)
        assistance.case_close(case=case, closed_on=d["closed_on"], summary=d["summary"])
        return Response(_detail(assistance.access_assistance_case_by_id(request.user, pk)))


class ReportParams(CountsParams):
    export = serializers.ChoiceField(choices=[("json", "json"), ("xlsx", "xlsx")], default="json")


class AssistanceReportRow(serializers.Serializer):
    unit_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_unit_itself = serializers.BooleanField()
    opened = serializers.IntegerField()
    open = serializers.IntegerField()
    closed = serializers.IntegerField()
    visits = serializers.IntegerField()
    amount_fen = serializers.IntegerField()


class CaseReportApi(APIView):
    @extend_schema(
        operation_id="assistance_report",
        tags=[TAG_A],
        parameters=[
            OpenApiParameter("unit_id", OpenApiTypes.INT, required=True),
            OpenApiParameter("since", OpenApiTypes.DATE, required=True),
            OpenApiParameter("until", OpenApiTypes.DATE, required=True),
            OpenApiParameter(
                "export", OpenApiTypes.STR, description="json（默认）或 xlsx（Excel 文件）"
            ),
        ],
        responses={200: AssistanceReportRow(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request):
        """各下级组织的结对帮扶情况（一次查询）；export=xlsx 导出 Excel。"""
        p = _valid(ReportParams, request.query_params)
        unit = access_unit_by_id(request.user, p["unit_id"], roles=assistance.CASE_ROLES)
        rows = assistance.assistance_report(unit, since=p["since"], until=p["until"])
        if p["export"] == "xlsx":
            data = assistance.report_xlsx(unit, rows, since=p["since"], until=p["until"])
            resp = HttpResponse(
                data,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            resp["Content-Disposition"] = 'attachment; filename="assistance-report.xlsx"'
            return resp
        return Response(rows)


urlpatterns = [
    path("transfers/", TransferListApi.as_view(), name="transfer-list"),
    path("transfers/counts/", TransferCountsApi.as_view(), name="transfer-counts"),
    path("transfers/<int:pk>/", TransferDetailApi.as_view(), name="transfer-detail"),
    path("transfers/<int:pk>/accept/", TransferAcceptApi.as_view(), name="transfer-accept"),
    path("transfers/<int:pk>/reject/", TransferRejectApi.as_view(), name="transfer-reject"),
    path("transfers/<int:pk>/letter/", TransferLetterApi.as_view(), name="transfer-letter"),
    path("me/transfers/", MyTransferListApi.as_view(), name="my-transfer-list"),
    path("assistance-cases/", CaseListApi.as_view(), name="assistance-case-list"),
    path("assistance-cases/report/", CaseReportApi.as_view(), name="assistance-case-report"),
    path("assistance-cases/<int:pk>/", CaseDetailApi.as_view(), name="assistance-case-detail"),
    path(
        "assistance-cases/<int:pk>/helpers/",
        CaseHelpersApi.as_view(),
        name="assistance-case-helpers",
    ),
    path(
        "assistance-cases/<int:pk>/visits/", CaseVisitsApi.as_view(), name="assistance-case-visits"
    ),
    path("assistance-cases/<int:pk>/close/", CaseCloseApi.as_view(), name="assistance-case-close"),
]
