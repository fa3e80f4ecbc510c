"""/api/v1/courses/ and /api/v1/assignments/: the courses and assignments a member sees,
with their own progress (shapes: elearning.courses.representations)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.engagement_api import count_detail_read
from api.learning.common import ERRORS, TAG, paged
from api.pagination import PAGE_PARAMS, PagePagination
from api.schema import shape_serializer
from elearning.courses import selectors
from elearning.courses.models import Lesson
from elearning.courses.representations import (
    AssignmentJSON,
    CourseDetailJSON,
    CourseJSON,
    LessonJSON,
    course_detail_json,
    course_json,
    lesson_json,
)
from organizations.selectors import member_for_user

CourseSerializer = shape_serializer(CourseJSON)


class UpdatedSinceSerializer(serializers.Serializer):
    updated_since = serializers.DateTimeField(required=False)


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
        responses={200: paged("CoursePage", CourseSerializer), 400: ERRORS[400]},
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
        return pager.get_paginated_response([course_json(c, prog.get(c.pk)) for c in page])


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
    @extend_schema(tags=[TAG], responses={200: shape_serializer(CourseDetailJSON), **ERRORS})
    def get(self, request, pk: int):
        course = selectors.access_course_by_id(request.user, pk)
        member = member_for_user(request.user)
        lessons = list(course.lessons.all())
        rows = selectors.my_lesson_progress(member, [lsn.pk for lsn in lessons])
        cp = selectors.my_course_progress(member, [course.pk]).get(course.pk)
        data = course_detail_json(
            course,
            cp,
            lessons=lessons,
            rows=rows,
            playback=lambda lesson: _playback(lesson, request.user),
        )
        return Response(data)


class LessonDetailJSON(LessonJSON):
    course_id: int


class LessonDetailApi(APIView):
    """One lesson of a course the caller may see (a search result type of its own), with
    the member's progress; 404 when its course is out of scope or unpublished."""

    @extend_schema(
        tags=[TAG],
        responses={200: shape_serializer(LessonDetailJSON), **ERRORS},
    )
    def get(self, request, pk: int):
        lesson = selectors.access_lesson_by_id(request.user, pk)
        count_detail_read(request.user, "lesson", lesson)
        rows = selectors.my_lesson_progress(member_for_user(request.user), [lesson.pk])
        data = lesson_json(lesson, rows.get(lesson.pk), playback=_playback(lesson, request.user))
        return Response({**data, "course_id": lesson.course_id})


class AssignmentListApi(APIView):
    @extend_schema(
        operation_id="assignments_list",
        tags=[TAG],
        responses={
            200: type(
                "AssignmentList",
                (serializers.Serializer,),
                {
                    "count": serializers.IntegerField(),
                    "results": shape_serializer(AssignmentJSON)(many=True),
                },
            )
        },
    )
    def get(self, request):
        rows = selectors.assignments_for_member(member_for_user(request.user))
        return Response({"count": len(rows), "results": rows})
