"""/api/v1/supervision/: meetings and lessons (三会一课), the work ledger (电子台账), problem
transfer lists (问题移交单) and the supervision dashboard (docs/api.md "Supervision").

Every rule lives in supervision's services/selectors; the JSON shapes in
supervision.representations. An id outside the caller's scope answers 404 like a
missing one. The dashboard is assembled here from each app's panels: supervision's
(learning from the academy, meetings, ledger, rectification) and `DUES_PANEL`, built on
dues.selectors.dashboard_report (see below).

Length: ~820 lines for four resources; it should split into one module per resource
(meetings, ledger, rectification, dashboard) under api/supervision/, as api/learning/ is —
not done in this change, which had no CI run left to prove the move."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import DomainError
from api.learning.common import ERRORS, paged
from api.pagination import PAGE_PARAMS, PagePagination
from api.schema import shape_serializer
from core.files import protected_file_response
from dues import selectors as dues_selectors
from organizations.selectors import access_unit_by_id, member_for_user
from supervision import dashboard
from supervision.common import MANAGE_ROLES, default_period, period_parse
from supervision.ledger import selectors as ledger
from supervision.ledger import services as ledger_services
from supervision.meetings import selectors as meetings
from supervision.meetings import services as meeting_services
from supervision.meetings.models import Attendance, MeetingFile, MeetingKind
from supervision.rectification import selectors as rect
from supervision.rectification import services as rect_services
from supervision.rectification.models import Rectification
from supervision.representations import (
    LedgerReportJSON,
    MeetingJSON,
    RectificationJSON,
    ledger_report_as_dict,
    meeting_as_dict,
    rectification_as_dict,
)

TAG = "supervision"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MeetingOut = shape_serializer(MeetingJSON)
LedgerReportOut = shape_serializer(LedgerReportJSON)
RectificationOut = shape_serializer(RectificationJSON)
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

#: The dues collection panel: `dues` (another layer-6 app, which supervision may not
#: import) provides the report (`dues.selectors.dashboard_report`, one query by child
#: unit); the panel is assembled here. Were it None, the dashboard would list it as
#: {"key": "dues", "available": false}.
DUES_PANEL: dashboard.Panel | None = dashboard.Panel(
    "dues", "党费收缴情况", dues_selectors.DASHBOARD_COLUMNS, dues_selectors.dashboard_report
)


def dashboard_panels() -> list[dashboard.Panel]:
    return [*dashboard.PANELS, *([DUES_PANEL] if DUES_PANEL is not None else [])]


def _int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(f"{name} 须为整数", code="invalid") from None


def _xlsx(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return resp


def _report_scope(request, *, roles=MANAGE_ROLES):
    qp = request.query_params
    if qp.get("export", "") not in ("", "xlsx"):
        raise DomainError("export 只能是 xlsx", code="invalid")
    if qp.get("unit"):
        unit = access_unit_by_id(request.user, _int(qp["unit"], "unit"), roles=roles)
    else:
        from organizations.selectors import top_unit_in_scope

        unit = top_unit_in_scope(request.user, roles=roles)
        if unit is None:
            raise DomainError("您没有可查看的组织", code="not_found", status=404)
    period = period_parse(qp["period"]) if qp.get("period") else default_period(unit)
    return unit, period


def _page(request, view, qs, as_dict):
    pager = PagePagination()
    rows = pager.paginate_queryset(qs, request, view=view)
    return pager.get_paginated_response([as_dict(r) for r in rows])


# --- meetings ---------------------------------------------------------------------------
class MeetingIn(serializers.Serializer):
    unit = serializers.IntegerField(**DB_ID)
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    title = serializers.CharField(max_length=200)
    starts_local = serializers.DateTimeField(
        help_text="开始时间，本组织时区的当地时间（不带时区，如 2026-12-10T14:30）"
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    online_link = serializers.URLField(required=False, allow_blank=True, default="")
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    lecturer = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    invitees = serializers.ListField(
        child=serializers.IntegerField(**DB_ID),
        required=False,
        help_text="党员 id；默认本组织全体党员",
    )


def _file_url(f: MeetingFile) -> str:
    return reverse("api:meeting-file", args=[f.pk])


def _meeting_json(request, m, *, detail: bool = False):
    manage = meetings.can_manage(request.user, m)
    mine = meetings.my_attendance(request.user, m)
    return meeting_as_dict(
        m,
        my_status=mine.status if mine else None,
        can_manage=manage,
        attendance=list(meetings.attendance_of(m)) if detail and manage else None,
        files=list(m.files.order_by("id")) if detail else None,
        file_url=_file_url,
    )


class MeetingListApi(APIView):
    @extend_schema(
        operation_id="supervision_meetings_list",
        tags=[TAG],
        parameters=[
            *PAGE_PARAMS,
            OpenApiParameter("mine", bool, description="true：只列我被邀请参加的会议"),
            OpenApiParameter("unit", int, description="只列此组织（含下级）的会议"),
            OpenApiParameter("kind", str, enum=list(MeetingKind.values)),
        ],
        responses={200: paged("MeetingPage", MeetingOut), **ERRORS},
    )
    def get(self, request):
        qp = request.query_params
        if qp.get("mine") in ("1", "true"):
            qs = meetings.meetings_for_member(request.user)
        else:
            qs = meetings.meetings_visible(request.user)
        if qp.get("unit"):
            unit = access_unit_by_id(request.user, _int(qp["unit"], "unit"))
            qs = qs.filter(unit__path__startswith=unit.path)
        if qp.get("kind"):
            qs = qs.filter(kind=qp["kind"])
        member = member_for_user(request.user)
        from django.db.models import OuterRef, Subquery

        qs = qs.annotate(
            my_status=Subquery(
                Attendance.objects.filter(meeting=OuterRef("pk"), member=member).values("status")[
                    :1
                ]
            )
        ).order_by("-starts_at", "-id")
        from organizations.selectors import scope_for

        scope = scope_for(request.user, roles=MANAGE_ROLES)
        return _page(
            request,
            self,
            qs,
            lambda m: meeting_as_dict(
                m, my_status=m.my_status, can_manage=scope.covers(m.unit.path)
            ),
        )

    @extend_schema(
        operation_id="supervision_meetings_create",
        tags=[TAG],
        request=MeetingIn,
        responses={201: MeetingOut, **ERRORS},
    )
    def post(self, request):
        s = MeetingIn(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        m = meeting_services.meeting_schedule(
            user=request.user,
            unit_id=d["unit"],
            kind=d["kind"],
            title=d["title"],
            starts_local=d["starts_local"].replace(tzinfo=None),
            duration_minutes=d["duration_minutes"],
            place=d["place"],
            online_link=d["online_link"],
            agenda=d["agenda"],
            lecturer=d["lecturer"],
            topic=d["topic"],
            invitee_ids=d.get("invitees"),
        )
        return Response(_meeting_json(request, m, detail=True), status=status.HTTP_201_CREATED)


class MeetingDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: MeetingOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        m = meetings.access_meeting_by_id(request.user, pk)
        return Response(_meeting_json(request, m, detail=True))


class MeetingCheckInApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={200: MeetingOut, **ERRORS})
    def post(self, request, pk: int):
        meeting_services.meeting_check_in(user=request.user, meeting_id=pk)
        return Response(_meeting_json(request, meetings.access_meeting_by_id(request.user, pk)))


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class MeetingLeaveApi(APIView):
    @extend_schema(tags=[TAG], request=ReasonIn, responses={200: MeetingOut, **ERRORS})
    def post(self, request, pk: int):
        meetings.access_meeting_by_id(request.user, pk)  # 404 before any input check
        s = ReasonIn(data=request.data)
        s.is_valid(raise_exception=True)
        meeting_services.meeting_leave_request(
            user=request.user, meeting_id=pk, reason=s.validated_data["reason"]
        )
        return Response(_meeting_json(request, meetings.access_meeting_by_id(request.user, pk)))


class AttendanceIn(serializers.Serializer):
    member = serializers.IntegerField(**DB_ID)
    status = serializers.ChoiceField(choices=["present", "leave", "absent"])
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class MeetingAttendanceApi(APIView):
    @extend_schema(tags=[TAG], request=AttendanceIn, responses={200: MeetingOut, **ERRORS})
    def post(self, request, pk: int):
        meetings.access_meeting_by_id(request.user, pk, action="change")
        s = AttendanceIn(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        meeting_services.attendance_mark(
            user=request.user,
            meeting_id=pk,
            member_id=d["member"],
            status=d["status"],
            reason=d["reason"],
        )
        return Response(
            _meeting_json(request, meetings.access_meeting_by_id(request.user, pk), detail=True)
        )


class MinutesIn(serializers.Serializer):
    minutes = serializers.CharField(allow_blank=True)
    lecturer = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MeetingMinutesApi(APIView):
    @extend_schema(tags=[TAG], request=MinutesIn, responses={200: MeetingOut, **ERRORS})
    def post(self, request, pk: int):
        meetings.access_meeting_by_id(request.user, pk, action="change")
        s = MinutesIn(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        m = meeting_services.meeting_minutes_file(
            user=request.user,
            meeting_id=pk,
            minutes=d["minutes"],
            lecturer=d["lecturer"],
            topic=d["topic"],
        )
        return Response(_meeting_json(request, m, detail=True))


class MeetingCancelApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={200: MeetingOut, **ERRORS})
    def post(self, request, pk: int):
        m = meeting_services.meeting_cancel(user=request.user, meeting_id=pk)
        return Response(_meeting_json(request, m, detail=True))


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


class MeetingUploadApi(APIView):
    @extend_schema(
        tags=[TAG],
        request={"multipart/form-data": UploadIn},
        responses={201: FileOut, **ERRORS},
    )
    def post(self, request, pk: int):
        f = meeting_services.meeting_file_add(
            user=request.user,
            meeting_id=pk,
            upload=request.FILES.get("file"),
            kind=request.data.get("kind") or "minutes",
        )
        return Response(
            {"id": f.pk, "name": f.name, "url": _file_url(f)}, status=status.HTTP_201_CREATED
        )


class MeetingFileApi(APIView):
    @extend_schema(tags=[TAG], responses={200: OpenApiTypes.BINARY, 404: ERRORS[404]})
    def get(self, request, pk: int):
        f = meetings.access_meeting_file_by_id(request.user, pk)
        return protected_file_response(f.file, filename=f.name)


class ComplianceApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=REPORT_PARAMS,
        responses={200: Report, (200, XLSX): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request):
        unit, period = _report_scope(request)
        report = meetings.compliance_report(unit=unit, period=period)
        if request.query_params.get("export") == "xlsx":
            panel = dashboard.panel_by_key("meetings")
            return _xlsx(
                dashboard.panel_xlsx(title=panel.title, columns=panel.columns, report=report),
                f"meetings-{unit.code}-{period.key}",
            )
        return Response(report)


# --- ledger -----------------------------------------------------------------------------
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


def _evidence_url(f) -> str:
    return reverse("api:ledger-evidence", args=[f.pk])


class LedgerReportListApi(APIView):
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
        qp = request.query_params
        qs = ledger.reports_in_scope(request.user)
        if qp.get("unit"):
            unit = access_unit_by_id(request.user, _int(qp["unit"], "unit"), roles=MANAGE_ROLES)
            qs = qs.filter(unit__path__startswith=unit.path)
        if qp.get("period"):
            qs = qs.filter(period__in=period_parse(qp["period"]).overlapping_keys())
        if qp.get("status"):
            qs = qs.filter(status=qp["status"])
        return _page(request, self, qs.order_by("-submitted_at", "-id"), ledger_report_as_dict)

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
            ledger_report_as_dict(r, files=list(r.files.order_by("id")), file_url=_evidence_url)
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
            {"id": f.pk, "name": f.name, "url": _evidence_url(f)}, status=status.HTTP_201_CREATED
        )


class LedgerEvidenceApi(APIView):
    @extend_schema(tags=[TAG], responses={200: OpenApiTypes.BINARY, 404: ERRORS[404]})
    def get(self, request, pk: int):
        f = ledger.access_ledger_evidence_by_id(request.user, pk)
        return protected_file_response(f.file, filename=f.name)


class LedgerGridApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=REPORT_PARAMS,
        responses={200: Report, (200, XLSX): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request):
        unit, period = _report_scope(request)
        grid = ledger.ledger_grid(unit=unit, period=period)
        if request.query_params.get("export") == "xlsx":
            from supervision.ledger.exports import grid_xlsx

            return _xlsx(grid_xlsx(grid), f"ledger-{unit.code}-{period.key}")
        grid.pop("item_names", None)
        for row in grid["rows"]:
            row["cells"] = {str(k): v for k, v in row["cells"].items()}
        return Response(grid)


# --- rectification ----------------------------------------------------------------------
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


def _rect_evidence_url(f) -> str:
    return reverse("api:rectification-evidence", args=[f.pk])


class RectificationListApi(APIView):
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
        qp = request.query_params
        qs = rect.rectifications_in_scope(request.user)
        if qp.get("unit"):
            unit = access_unit_by_id(request.user, _int(qp["unit"], "unit"), roles=MANAGE_ROLES)
            qs = qs.filter(unit__path__startswith=unit.path)
        if qp.get("status"):
            qs = qs.filter(status=qp["status"])
        if qp.get("overdue") in ("1", "true"):
            qs = qs.filter(rect.overdue_q())
        return _page(request, self, qs.order_by("deadline", "id"), rectification_as_dict)

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
            rectification_as_dict(
                r, files=list(r.files.order_by("id")), file_url=_rect_evidence_url
            )
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
            {"id": f.pk, "name": f.name, "url": _rect_evidence_url(f)},
            status=status.HTTP_201_CREATED,
        )


class RectificationEvidenceApi(APIView):
    @extend_schema(tags=[TAG], responses={200: OpenApiTypes.BINARY, 404: ERRORS[404]})
    def get(self, request, pk: int):
        f = rect.access_rectification_evidence_by_id(request.user, pk)
        return protected_file_response(f.file, filename=f.name)


class RectificationReportApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=REPORT_PARAMS,
        responses={200: Report, (200, XLSX): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request):
        unit, period = _report_scope(request)
        report = rect.rectification_report(unit=unit, period=period)
        if request.query_params.get("export") == "xlsx":
            panel = dashboard.panel_by_key("rectification")
            return _xlsx(
                dashboard.panel_xlsx(title=panel.title, columns=panel.columns, report=report),
                f"rectification-{unit.code}-{period.key}",
            )
        return Response(report)


# --- dashboard --------------------------------------------------------------------------
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
        from supervision.common import DASHBOARD_ROLES

        unit, period = _report_scope(request, roles=DASHBOARD_ROLES)
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
                return _xlsx(
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


P = "supervision/"
urlpatterns = [
    path(P + "meetings/", MeetingListApi.as_view(), name="meeting-list"),
    path(P + "meetings/<int:pk>/", MeetingDetailApi.as_view(), name="meeting-detail"),
    path(P + "meetings/<int:pk>/check-in/", MeetingCheckInApi.as_view(), name="meeting-check-in"),
    path(P + "meetings/<int:pk>/leave/", MeetingLeaveApi.as_view(), name="meeting-leave"),
    path(
        P + "meetings/<int:pk>/attendance/",
        MeetingAttendanceApi.as_view(),
        name="meeting-mark-attendance",
    ),
    path(P + "meetings/<int:pk>/minutes/", MeetingMinutesApi.as_view(), name="meeting-minutes"),
    path(P + "meetings/<int:pk>/cancel/", MeetingCancelApi.as_view(), name="meeting-cancel"),
    path(P + "meetings/<int:pk>/files/", MeetingUploadApi.as_view(), name="meeting-upload"),
    path(P + "meetings/files/<int:pk>/", MeetingFileApi.as_view(), name="meeting-file"),
    path(P + "compliance/", ComplianceApi.as_view(), name="supervision-compliance"),
    path(P + "ledger/items/", LedgerItemListApi.as_view(), name="ledger-items"),
    path(P + "ledger/reports/", LedgerReportListApi.as_view(), name="ledger-report-list"),
    path(
        P + "ledger/reports/<int:pk>/",
        LedgerReportDetailApi.as_view(),
        name="ledger-report-detail",
    ),
    path(
        P + "ledger/reports/<int:pk>/review/",
        LedgerReportReviewApi.as_view(),
        name="ledger-report-review",
    ),
    path(
        P + "ledger/reports/<int:pk>/files/",
        LedgerReportUploadApi.as_view(),
        name="ledger-report-upload",
    ),
    path(P + "ledger/evidence/<int:pk>/", LedgerEvidenceApi.as_view(), name="ledger-evidence"),
    path(P + "ledger/grid/", LedgerGridApi.as_view(), name="supervision-ledger-grid"),
    path(P + "rectifications/", RectificationListApi.as_view(), name="rectification-list"),
    path(
        P + "rectifications/<int:pk>/",
        RectificationDetailApi.as_view(),
        name="rectification-detail",
    ),
    path(
        P + "rectifications/<int:pk>/reply/",
        RectificationReplyApi.as_view(),
        name="rectification-reply",
    ),
    path(
        P + "rectifications/<int:pk>/verify/",
        RectificationVerifyApi.as_view(),
        name="rectification-verify",
    ),
    path(
        P + "rectifications/<int:pk>/files/",
        RectificationUploadApi.as_view(),
        name="rectification-upload",
    ),
    path(
        P + "rectifications/evidence/<int:pk>/",
        RectificationEvidenceApi.as_view(),
        name="rectification-evidence",
    ),
    path(
        P + "rectifications/report/",
        RectificationReportApi.as_view(),
        name="supervision-rectification-report",
    ),
    path(P + "dashboard/", DashboardApi.as_view(), name="supervision-dashboard"),
]

__all__ = ["dt"]
