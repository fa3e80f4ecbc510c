"""/api/v1/ academy resources: courses, assignments, lesson progress, exam attempts,
contests, points and completion reports (docs/api.md "Academy").

Views validate shape and map domain errors; the rules live in elearning.* services."""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder as DRFJSONEncoder
from rest_framework.views import APIView

from api.authentication import MemberJWTAuthentication
from api.errors import DomainError
from api.pagination import PAGE_PARAMS, PagePagination
from core.richtext import rich_text_html
from elearning.contests import selectors as contest_selectors
from elearning.contests import services as contests
from elearning.courses import progress, selectors
from elearning.errors import AcademyError, ProgressRejected
from elearning.exams import services as exams
from elearning.exams.representations import attempt_as_dict
from elearning.exams.selectors import exams_visible
from elearning.models import Assignment, Attempt, Contest, Lesson
from elearning.reports import exports as report_exports
from elearning.reports import selectors as reports
from organizations.models import OrgUnit
from organizations.selectors import member_for_user

TAG = "academy"


class ErrorSerializer(serializers.Serializer):
    error = serializers.DictField()


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="无效输入"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在可见范围"),
    409: OpenApiResponse(ErrorSerializer, description="状态冲突"),
}


def _paged(name: str, item: type[serializers.Serializer], *, with_count: bool = True):
    """The page envelope the list actually returns (count/next/previous/results)."""
    fields = {
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": item(many=True),
    }
    if with_count:
        fields["count"] = serializers.IntegerField()
    return type(name, (serializers.Serializer,), fields)


class UpdatedSinceSerializer(serializers.Serializer):
    updated_since = serializers.DateTimeField(required=False)


def _member(request):
    member = member_for_user(request.user)
    if member is None:
        raise DomainError("当前账号不是党员，不能参加学习", code="not_member", status_code=403)
    return member


def _domain(exc) -> DomainError:
    return DomainError(exc.message, code=exc.code, status_code=exc.status)


# --- courses ----------------------------------------------------------------------------


class CourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    credit_hours = serializers.DecimalField(max_digits=5, decimal_places=1, coerce_to_string=False)
    kind = serializers.CharField()
    cover_url = serializers.CharField(allow_null=True)
    lesson_count = serializers.IntegerField()
    my_status = serializers.CharField()
    lessons_completed = serializers.IntegerField()


def _course_dict(c, cp) -> dict:
    cover = None
    if c.cover_id and c.cover:
        try:
            cover = c.cover.get_rendition("fill-640x360").url
        except Exception:  # noqa: BLE001 - a missing image file must not break the list
            cover = None
    st = "not_started"
    if cp is not None:
        st = "completed" if cp.completed_at else ("in_progress" if cp.started_at else st)
    return {
        "id": c.pk,
        "title": c.title,
        "description": c.description,
        "category": c.category,
        "credit_hours": c.credit_hours,
        "kind": c.kind,
        "cover_url": cover,
        "lesson_count": getattr(c, "lesson_count", 0),
        "my_status": st,
        "lessons_completed": cp.lessons_completed if cp else 0,
    }


class CourseListApi(APIView):
    @extend_schema(
        operation_id="courses_list",
        tags=[TAG],
        parameters=[
            *PAGE_PARAMS,
            OpenApiParameter(
                "updated_since",
                OpenApiTypes.DATETIME,
                description="只返回此时间之后更新的课程（带时区的 ISO 8601）",
            ),
        ],
        responses={200: _paged("CoursePage", CourseSerializer), 400: ERRORS[400]},
    )
    def get(self, request):
        params = UpdatedSinceSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.courses_visible(request.user)
        if "updated_since" in params.validated_data:
            qs = qs.filter(updated_at__gt=params.validated_data["updated_since"])
        pager = PagePagination()
        page = pager.paginate_queryset(qs, request, view=self)
        prog = selectors.my_course_progress(member_for_user(request.user), [c.pk for c in page])
        return pager.get_paginated_response([_course_dict(c, prog.get(c.pk)) for c in page])


class LessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    duration = serializers.IntegerField()
    required_seconds = serializers.IntegerField()
    media_id = serializers.IntegerField(allow_null=True)
    playback = serializers.DictField(allow_null=True)
    body = serializers.CharField(allow_null=True)
    book_id = serializers.IntegerField(allow_null=True)
    completed = serializers.BooleanField()
    coverage = serializers.FloatField()


class CourseDetailSerializer(CourseSerializer):
    lessons = LessonSerializer(many=True)
    exam_id = serializers.IntegerField(allow_null=True)


def _playback(lesson: Lesson, user):
    if not lesson.media_id:
        return None
    try:
        from media_pipeline.services import playback_info
    except ImportError:
        return None
    try:
        return playback_info(asset=lesson.media, user=user)
    except Exception:  # noqa: BLE001 - an asset not ready yet plays nothing
        return None


class CourseDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: CourseDetailSerializer, **ERRORS})
    def get(self, request, pk: int):
        try:
            course = selectors.course_for_user(request.user, pk)
        except course_not_found():
            raise Http404 from None
        member = member_for_user(request.user)
        lessons = list(course.lessons.all())
        prog = selectors.my_lesson_progress(member, [lsn.pk for lsn in lessons])
        cp = selectors.my_course_progress(member, [course.pk]).get(course.pk)
        data = _course_dict(course, cp)
        data["lesson_count"] = len(lessons)
        items = []
        for lsn in lessons:
            row = prog.get(lsn.pk)
            st = progress.progress_state(lesson=lsn, row=row)
            items.append(
                {
                    "id": lsn.pk,
                    "title": lsn.title,
                    "kind": lsn.kind,
                    "duration": lsn.duration_seconds,
                    "required_seconds": progress.required_seconds(lsn),
                    "media_id": lsn.media_id,
                    "playback": _playback(lsn, request.user),
                    "body": rich_text_html(lsn.body) if lsn.kind == Lesson.Kind.ARTICLE else None,
                    "book_id": lsn.book_id,
                    "completed": st.completed,
                    "coverage": st.coverage,
                }
            )
        data["lessons"] = items
        published = [e for e in course.exams.all() if e.is_published]
        data["exam_id"] = published[0].pk if published else None
        return Response(data)


def course_not_found():
    from elearning.models import Course

    return Course.DoesNotExist


# --- assignments ------------------------------------------------------------------------


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.DictField()
    audience_unit = serializers.CharField()
    due_date = serializers.DateField()
    due_at = serializers.DateTimeField()
    timezone = serializers.CharField()
    status = serializers.ChoiceField(["not_started", "in_progress", "completed", "overdue"])
    lessons_completed = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()


class AssignmentListApi(APIView):
    @extend_schema(
        operation_id="assignments_list",
        tags=[TAG],
        responses={
            200: type(
                "AssignmentList",
                (serializers.Serializer,),
                {"count": serializers.IntegerField(), "results": AssignmentSerializer(many=True)},
            )
        },
    )
    def get(self, request):
        rows = selectors.assignments_for_member(member_for_user(request.user))
        return Response({"count": len(rows), "results": rows})


# --- progress ---------------------------------------------------------------------------


class IntervalSerializer(serializers.Serializer):
    from_s = serializers.FloatField(min_value=0)
    to_s = serializers.FloatField(min_value=0)
    rate = serializers.FloatField(default=1.0)


class ProgressInSerializer(serializers.Serializer):
    event = serializers.ChoiceField(["open", "intervals", "heartbeat"], default="intervals")
    intervals = IntervalSerializer(many=True, required=False)
    idempotency_key = serializers.CharField(max_length=64, required=False)
    sent_at = serializers.DateTimeField(required=False)


_PROGRESS_KEYS = frozenset({"event", "intervals", "idempotency_key"})
_INTERVAL_KEYS = (frozenset({"from_s", "to_s"}), frozenset({"from_s", "to_s", "rate"}))


def _plain_number(x) -> bool:
    return type(x) in (int, float) and x == x and abs(x) != float("inf")


def _progress_input_fast(data) -> dict | None:
    """The validated data `ProgressInSerializer` would return, for the well-formed body a
    phone sends every few seconds; None for anything else (the serializer then validates
    it and words the errors). A DRF serializer deep-copies its fields on every
    instantiation: on this, the busiest endpoint, that was the largest CPU cost of the
    request. tests/elearning/test_progress.py checks both agree."""
    if type(data) is not dict or not data.keys() <= _PROGRESS_KEYS:
        return None
    out = {"event": data.get("event", "intervals")}
    if out["event"] not in ("open", "intervals", "heartbeat"):
        return None
    if "idempotency_key" in data:
        key = data["idempotency_key"]
        if type(key) is not str or not 0 < len(key) <= 64 or key != key.strip() or "\x00" in key:
            return None
        if not key.isascii():  # maybe a lone surrogate: api.parsers words the refusal
            return None
        out["idempotency_key"] = key
    if "intervals" in data:
        raw = data["intervals"]
        if type(raw) is not list:
            return None
        intervals = []
        for iv in raw:
            if type(iv) is not dict or iv.keys() not in _INTERVAL_KEYS:
                return None
            lo, hi, rate = iv["from_s"], iv["to_s"], iv.get("rate", 1.0)
            if not (_plain_number(lo) and _plain_number(hi) and _plain_number(rate)):
                return None
            if lo < 0 or hi < 0:
                return None
            intervals.append({"from_s": float(lo), "to_s": float(hi), "rate": float(rate)})
        out["intervals"] = intervals
    return out


def progress_input(data) -> dict:
    """Validated progress body (fast path, else the serializer; a ValidationError → 400)."""
    fast = _progress_input_fast(data)
    if fast is not None:
        return fast
    ser = ProgressInSerializer(data=data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


class ProgressOutSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    kind = serializers.CharField()
    duration = serializers.IntegerField()
    unique_seconds = serializers.IntegerField()
    seconds_spent = serializers.IntegerField()
    required_seconds = serializers.IntegerField()
    coverage = serializers.FloatField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    # watched [from, to) ranges in seconds, to the millisecond (whole seconds as integers)
    intervals = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    duplicate = serializers.BooleanField()


def _progress_out(st) -> dict:
    return {
        "lesson": st.lesson_id,
        "kind": st.kind,
        "duration": st.duration,
        "unique_seconds": st.unique_seconds,
        "seconds_spent": st.seconds_spent,
        "required_seconds": st.required_seconds,
        "coverage": st.coverage,
        "completed": st.completed,
        "completed_at": st.completed_at,
        "intervals": st.intervals,
        "duplicate": st.duplicate,
    }


class LessonProgressApi(APIView):
    """The hot path (phones report every few seconds): user, member, lesson, one write."""

    def _lesson(self, request, pk):
        lesson = selectors.lesson_for_member(_member(request), pk, cached=True)
        if lesson is None:
            raise Http404
        return lesson

    @extend_schema(tags=[TAG], responses={200: ProgressOutSerializer, **ERRORS})
    def get(self, request, pk: int):
        lesson = self._lesson(request, pk)
        return Response(
            _progress_out(progress.progress_get(member=_member(request), lesson=lesson))
        )

    @extend_schema(
        tags=[TAG],
        request=ProgressInSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={200: ProgressOutSerializer, 422: ErrorSerializer, **ERRORS},
        description=(
            "open: start the server clock; intervals: watched media ranges (batched, with an "
            "idempotency key, a retry returns duplicate=true); heartbeat: reading time."
        ),
    )
    def post(self, request, pk: int):
        lesson = self._lesson(request, pk)
        member = _member(request)
        data = progress_input(request.data)
        key = request.headers.get("Idempotency-Key") or data.get("idempotency_key")
        try:
            if data["event"] == "open":
                st = progress.progress_open(member=member, lesson=lesson)
            elif data["event"] == "heartbeat":
                st = progress.progress_heartbeat(member=member, lesson=lesson)
            else:
                if not key:
                    raise DomainError(
                        "上报播放区间须带 Idempotency-Key 请求头或 idempotency_key 字段",
                        code="idempotency_key_required",
                    )
                if "intervals" not in data:
                    raise serializers.ValidationError({"intervals": ["该字段是必填项。"]})
                st = progress.progress_report(
                    member=member,
                    lesson=lesson,
                    intervals=data["intervals"],
                    idempotency_key=key[:64],
                    sent_at=data.get("sent_at"),
                )
        except ProgressRejected as exc:
            raise _domain(exc) from None
        return Response(_progress_out(st))


_progress_drf = LessonProgressApi.as_view()


def _allow_header() -> str:
    view = LessonProgressApi()
    view.head = view.get  # as View.setup() does for every request
    return ", ".join(view.allowed_methods)


_PROGRESS_ALLOW = _allow_header()
_FAST_BODY_MAX = 64 * 1024


def _json_response(data: dict, status_code: int = 200) -> HttpResponse:
    """The bytes and headers DRF's JSONRenderer + APIView would send for `data`."""
    body = json.dumps(data, cls=DRFJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body.encode(), status=status_code, content_type="application/json")
    response["Vary"] = "Accept"
    response["Allow"] = _PROGRESS_ALLOW
    return response


def _progress_post_fast(request, pk: int) -> HttpResponse | None:
    """The everyday interval report (a phone with a Bearer token, a well-formed body, a
    visible lesson) without DRF's request/response machinery, which cost more CPU than
    the report itself on the busiest endpoint. The same authentication class and rate
    limits run as in the DRF view; None whenever anything is unusual (no or bad token,
    a limit reached, another event, a body needing the serializer, an invisible lesson):
    `LessonProgressApi` then answers, with its own checks and error wording. A refused
    report gets the error body the DRF view would send. tests/elearning/test_progress.py
    checks both paths give the same answers."""
    if not request.META.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
        return None
    if request.content_type != "application/json":
        return None
    try:
        if not 0 < int(request.META.get("CONTENT_LENGTH") or 0) <= _FAST_BODY_MAX:
            return None
        auth = MemberJWTAuthentication().authenticate(request)
    except Exception:  # noqa: BLE001 - the DRF view answers (401 and its wording)
        return None
    if auth is None:
        return None
    request.user = auth[0]
    view = LessonProgressApi()
    if not all(t.allow_request(request, view) for t in view.get_throttles()):
        return None  # the DRF view answers 429 with Retry-After
    try:
        data = _progress_input_fast(json.loads(request.body))
    except (ValueError, RecursionError):  # the DRF view's parser words the error
        return None
    key = request.headers.get("Idempotency-Key") or (data or {}).get("idempotency_key")
    if data is None or data["event"] != "intervals" or "intervals" not in data or not key:
        return None
    member = member_for_user(request.user)
    lesson = selectors.lesson_for_member(member, pk, cached=True) if member else None
    if lesson is None:
        return None
    try:
        st = progress.progress_report(
            member=member, lesson=lesson, intervals=data["intervals"], idempotency_key=key[:64]
        )
    except ProgressRejected as exc:
        error = {"code": exc.code, "message": exc.message, "fields": {}}
        return _json_response({"error": error}, exc.status)
    return _json_response(_progress_out(st))


@functools.wraps(_progress_drf)  # keeps .cls/.initkwargs: the schema documents LessonProgressApi
def lesson_progress(request, pk: int):
    if request.method == "POST" and settings.EHOME_PROGRESS_FAST_PATH:
        response = _progress_post_fast(request, pk)
        if response is not None:
            return response
    return _progress_drf(request, pk=pk)


# --- exams and attempts -----------------------------------------------------------------


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    exam = serializers.IntegerField()
    exam_title = serializers.CharField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    review = serializers.CharField()
    review_later = serializers.BooleanField()
    questions = serializers.ListField(child=serializers.DictField())
    score = serializers.FloatField(allow_null=True)
    max_score = serializers.FloatField()
    percent = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True))


class SubmitSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False)


class ExamAttemptStartApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={201: AttemptSerializer, **ERRORS})
    def post(self, request, pk: int):
        member = _member(request)
        exam = get_object_or_404(exams_visible(request.user), pk=pk)
        try:
            attempt = exams.attempt_start(exam=exam, member=member)
        except AcademyError as exc:
            raise _domain(exc) from None
        return Response(attempt_as_dict(attempt), status=status.HTTP_201_CREATED)


def _my_attempt(request, pk: int) -> Attempt:
    member = _member(request)
    return get_object_or_404(Attempt.objects.select_related("exam", "member"), pk=pk, member=member)


class AttemptApi(APIView):
    @extend_schema(tags=[TAG], responses={200: AttemptSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(attempt_as_dict(_my_attempt(request, pk)))

    @extend_schema(
        tags=[TAG], request=AnswersSerializer, responses={200: AttemptSerializer, **ERRORS}
    )
    def patch(self, request, pk: int):
        attempt = _my_attempt(request, pk)
        ser = AnswersSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            attempt = exams.attempt_autosave(attempt=attempt, answers=ser.validated_data["answers"])
        except AcademyError as exc:
            raise _domain(exc) from None
        return Response(attempt_as_dict(attempt))


class AttemptSubmitApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=SubmitSerializer,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)
        ],
        responses={200: AttemptSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 64:
            raise DomainError(
                "交卷须带 Idempotency-Key 请求头（不超过 64 个字符）",
                code="idempotency_key_required",
            )
        attempt = _my_attempt(request, pk)
        ser = SubmitSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            attempt = exams.attempt_submit(
                attempt=attempt, answers=ser.validated_data.get("answers"), idempotency_key=key
            )
        except AcademyError as exc:
            raise _domain(exc) from None
        return Response(attempt_as_dict(attempt))


# --- contests ---------------------------------------------------------------------------


class ContestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    mode = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    seconds_per_question = serializers.IntegerField()
    question_count = serializers.IntegerField()
    is_open = serializers.BooleanField()


class ContestListApi(APIView):
    @extend_schema(
        operation_id="contests_list",
        tags=[TAG],
        parameters=PAGE_PARAMS,
        responses={200: _paged("ContestPage", ContestSerializer)},
    )
    def get(self, request):
        from django.utils import timezone

        now = timezone.now()
        pager = PagePagination()
        page = pager.paginate_queryset(
            contest_selectors.contests_visible(request.user), request, view=self
        )
        return pager.get_paginated_response(
            [
                {
                    "id": c.pk,
                    "title": c.title,
                    "description": c.description,
                    "mode": c.mode,
                    "starts_at": c.starts_at,
                    "ends_at": c.ends_at,
                    "seconds_per_question": c.seconds_per_question,
                    "question_count": c.question_count,
                    "is_open": c.starts_at <= now < c.ends_at,
                }
                for c in page
            ]
        )


def _contest(request, pk) -> Contest:
    return get_object_or_404(contest_selectors.contests_visible(request.user), pk=pk)


class ContestStateSerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    finished = serializers.BooleanField()
    correct = serializers.IntegerField()
    elapsed_ms = serializers.IntegerField()
    answered = serializers.IntegerField()
    total = serializers.IntegerField()
    seconds_per_question = serializers.IntegerField()
    question = serializers.DictField(allow_null=True)
    last = serializers.DictField(required=False)


class ContestAnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    answer = serializers.JSONField(allow_null=True)


class ContestEntryApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={201: ContestStateSerializer, **ERRORS})
    def post(self, request, pk: int):
        contest = _contest(request, pk)
        try:
            state = contests.contest_enter(contest=contest, member=_member(request))
        except AcademyError as exc:
            raise _domain(exc) from None
        return Response(state, status=status.HTTP_201_CREATED)


class ContestAnswerApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=ContestAnswerSerializer,
        responses={200: ContestStateSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        contest = _contest(request, pk)
        ser = ContestAnswerSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            state = contests.contest_answer(
                contest=contest,
                member=_member(request),
                question_id=ser.validated_data["question"],
                answer=ser.validated_data["answer"],
            )
        except AcademyError as exc:
            raise _domain(exc) from None
        return Response(state)


class LeaderboardSerializer(serializers.Serializer):
    members = serializers.ListField(child=serializers.DictField())
    units = serializers.ListField(child=serializers.DictField())
    me = serializers.DictField(allow_null=True)
    my_unit = serializers.DictField(allow_null=True)


def _top(request) -> int:
    try:
        return max(1, min(100, int(request.query_params.get("top", 20))))
    except ValueError:
        raise DomainError("top 须为 1–100 的整数", code="invalid") from None


class ContestLeaderboardApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[OpenApiParameter("top", int, description="前 N 名（默认 20，最多 100）")],
        responses={200: LeaderboardSerializer, **ERRORS},
    )
    def get(self, request, pk: int):
        contest = _contest(request, pk)
        data = contest_selectors.contest_leaderboard(
            contest=contest, member=member_for_user(request.user), top=_top(request)
        )
        return Response(data)


# --- points -----------------------------------------------------------------------------


class PointsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    today = serializers.DictField(child=serializers.IntegerField())
    leaderboard = serializers.DictField()


class PointsApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "unit", int, description="排行榜范围（组织ID，默认本人所在组织的最上级可见组织）"
            ),
            OpenApiParameter("top", int),
        ],
        responses={200: PointsSerializer, **ERRORS},
    )
    def get(self, request):
        member = _member(request)
        unit_id = request.query_params.get("unit")
        if unit_id:
            try:
                unit = OrgUnit.objects.get(pk=int(unit_id))
            except (ValueError, OrgUnit.DoesNotExist):
                raise Http404 from None
            # a member may compare within any unit on their own ancestor line
            if not member.unit.path.startswith(unit.path):
                raise Http404
        else:
            unit = member.unit
        data = contest_selectors.points_summary(member=member)
        data["leaderboard"] = contest_selectors.points_leaderboard(
            unit=unit, member=member, top=_top(request)
        )
        return Response(data)


# --- reports ----------------------------------------------------------------------------


class ReportRowSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_unit_itself = serializers.BooleanField()
    members = serializers.IntegerField()
    started = serializers.IntegerField()
    completed = serializers.IntegerField()
    completion_rate = serializers.FloatField()
    average_score = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()


class CompletionReportSerializer(serializers.Serializer):
    assignment = serializers.DictField()
    unit = serializers.DictField()
    rows = ReportRowSerializer(many=True)
    total = ReportRowSerializer()


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
            200: CompletionReportSerializer,
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
        assignment = get_object_or_404(
            Assignment.objects.select_related("course", "audience_unit"), pk=assignment_id
        )
        unit = get_object_or_404(OrgUnit, pk=unit_id)
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


urlpatterns = [
    path("courses/", CourseListApi.as_view(), name="course-list"),
    path("courses/<int:pk>/", CourseDetailApi.as_view(), name="course-detail"),
    path("assignments/", AssignmentListApi.as_view(), name="assignment-list"),
    path("lessons/<int:pk>/progress/", lesson_progress, name="lesson-progress"),
    path("exams/<int:pk>/attempts/", ExamAttemptStartApi.as_view(), name="exam-attempts"),
    path("attempts/<int:pk>/", AttemptApi.as_view(), name="attempt-detail"),
    path("attempts/<int:pk>/submit/", AttemptSubmitApi.as_view(), name="attempt-submit"),
    path("contests/", ContestListApi.as_view(), name="contest-list"),
    path("contests/<int:pk>/entries/", ContestEntryApi.as_view(), name="contest-entries"),
    path("contests/<int:pk>/answers/", ContestAnswerApi.as_view(), name="contest-answers"),
    path(
        "contests/<int:pk>/leaderboard/",
        ContestLeaderboardApi.as_view(),
        name="contest-leaderboard",
    ),
    path("points/", PointsApi.as_view(), name="points"),
    path("reports/completion/", CompletionReportApi.as_view(), name="report-completion"),
]
