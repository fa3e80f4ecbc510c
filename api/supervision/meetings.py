"""/api/v1/supervision/meetings/…: meetings and lessons (三会一课) — schedule, check in,
ask for leave, mark attendance, file the minutes, attach files, cancel — and the
compliance report (/api/v1/supervision/compliance/)."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
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
from organizations.selectors import member_for_user, scope_for
from supervision.common import MANAGE_ROLES
from supervision.meetings import selectors as meetings
from supervision.meetings import services as meeting_services
from supervision.meetings.models import Attendance, MeetingFile, MeetingKind
from supervision.representations import MeetingJSON, meeting_as_dict

MeetingOut = shape_serializer(MeetingJSON)


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


def file_url(f: MeetingFile) -> str:
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
        file_url=file_url,
    )


class MeetingListApi(ScopedListApi):
    unit_roles = None  # an invitee may list a unit's meetings they can see
    ordering = ("-starts_at", "-id")
    status_filter = False

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
        return self.list(request)

    def scoped(self, request):
        if request.query_params.get("mine") in ("1", "true"):
            qs = meetings.meetings_for_member(request.user)
        else:
            qs = meetings.meetings_visible(request.user)
        member = member_for_user(request.user)
        self.manage_scope = scope_for(request.user, roles=MANAGE_ROLES)
        return qs.annotate(
            my_status=Subquery(
                Attendance.objects.filter(meeting=OuterRef("pk"), member=member).values("status")[
                    :1
                ]
            )
        )

    def narrow(self, request, qs):
        kind = request.query_params.get("kind")
        return qs.filter(kind=kind) if kind else qs

    def as_dict(self, m) -> dict:
        return meeting_as_dict(
            m, my_status=m.my_status, can_manage=self.manage_scope.covers(m.unit.path)
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
            {"id": f.pk, "name": f.name, "url": file_url(f)}, status=status.HTTP_201_CREATED
        )


class MeetingFileApi(APIView):
    @extend_schema(tags=[TAG], responses={200: OpenApiTypes.BINARY, 404: ERRORS[404]})
    def get(self, request, pk: int):
        f = meetings.access_meeting_file_by_id(request.user, pk)
        return protected_file_response(f.file, filename=f.name)


# Meeting compliance per child unit (the dashboard's "meetings" panel).
class ComplianceApi(PanelReportApi):
    panel_key = "meetings"

    def build(self, *, unit, period) -> dict:
        return meetings.compliance_report(unit=unit, period=period)
