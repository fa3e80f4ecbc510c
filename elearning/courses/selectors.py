"""Course, lesson and assignment reads for the API and the portal, scoped by the caller
(organizations.selectors)."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from elearning.courses.models import Assignment, Course, CourseProgress, Lesson, LessonProgress
from elearning.courses.representations import AssignmentJSON, assignment_json
from organizations.models import Member
from organizations.selectors import (
    audience_paths_for_member,
    audience_q,
    is_visible_to_member,
    object_or_not_found,
)


def assignment_deadline(*, due_date: dt.date, tz_name: str) -> dt.datetime:
    """End of `due_date` in the member's unit time zone (= 00:00 of the next local day)."""
    return dt.datetime.combine(due_date + dt.timedelta(days=1), dt.time.min, ZoneInfo(tz_name))


def courses_visible(user) -> QuerySet[Course]:
    """Published courses whose audience reaches the user (one indexed IN)."""
    return (
        Course.objects.filter(is_published=True)
        .filter(audience_q(user))
        .select_related("cover")
        .annotate(lesson_count=Count("lessons"))
        .order_by("-created_at", "-id")
    )


def access_course_by_id(user, course_id, *, action: str = "view") -> Course:
    """A published course whose audience reaches the user, with its lessons and exams —
    or ObjectNotFound, the same for a missing id and one out of the user's scope.
    (Members' actions on a course all follow its audience; instructors change courses in
    the admin, under its unit-scoped permission policy.)"""
    lessons = Lesson.objects.select_related("media", "book").order_by("sort_order", "id")
    qs = courses_visible(user).prefetch_related(Prefetch("lessons", queryset=lessons), "exams")
    return object_or_not_found(qs, course_id)


def access_lesson_by_id(user, lesson_id, *, action: str = "view") -> Lesson:
    """A lesson of a course the user sees (`access_course_by_id`), or ObjectNotFound."""
    qs = Lesson.objects.select_related("media", "course").filter(
        course_id__in=courses_visible(user).values("pk")
    )
    return object_or_not_found(qs, lesson_id)


_LESSON_TTL = 15.0
_lesson_cache: dict[int, tuple[float, Lesson | None]] = {}


def lesson_published(pk: int, *, cached: bool = False) -> Lesson | None:
    """A lesson of a published course, with its media and the course's audience unit —
    whoever asks (callers check the audience). `cached=True`: kept per process for 15 s
    (the progress hot path)."""
    now = time.monotonic()
    hit = _lesson_cache.get(pk) if cached else None
    if hit is not None and now - hit[0] < _LESSON_TTL:
        return hit[1]
    lesson = (
        Lesson.objects.select_related("media", "course__audience_unit")
        .filter(pk=pk, course__is_published=True)
        .first()
    )
    if cached:
        if len(_lesson_cache) > 5000:
            _lesson_cache.clear()
        _lesson_cache[pk] = (now, lesson)
    return lesson


def lesson_for_member(member: Member, pk: int, *, cached: bool = False) -> Lesson | None:
    """A lesson of a published course whose audience reaches the member (one query; the
    audience check is the path-prefix rule on the already loaded member unit).

    `cached=True` (the progress hot path) keeps the lesson per process for 15 s: a phone
    reports every few seconds and the lesson, its duration and audience rarely change."""
    lesson = lesson_published(pk, cached=cached)
    if lesson is None or not is_visible_to_member(
        audience_path=lesson.course.audience_unit.path, member=member
    ):
        return None
    return lesson


def my_lesson_progress(member: Member | None, lesson_ids: list[int]) -> dict[int, LessonProgress]:
    if member is None:
        return {}
    rows = LessonProgress.objects.filter(member=member, lesson_id__in=lesson_ids).defer("intervals")
    return {r.lesson_id: r for r in rows}


def my_course_progress(member: Member | None, course_ids) -> dict[int, CourseProgress]:
    if member is None:
        return {}
    return {
        cp.course_id: cp
        for cp in CourseProgress.objects.filter(member=member, course_id__in=list(course_ids))
    }


def assignments_for_member(member: Member | None) -> list[AssignmentJSON]:
    """The member's assignments with the deadline in their unit's time zone and a computed
    status (two queries whatever the count)."""
    if member is None:
        return []
    paths = audience_paths_for_member(member)
    rows = list(
        Assignment.objects.filter(audience_unit__path__in=paths, course__is_published=True)
        .select_related("course", "audience_unit")
        .order_by("due_date", "id")
    )
    progress = my_course_progress(member, {a.course_id for a in rows})
    now = timezone.now()
    tz = member.unit.timezone
    return [
        assignment_json(
            a,
            cp=progress.get(a.course_id),
            tz=tz,
            deadline=assignment_deadline(due_date=a.due_date, tz_name=tz),
            now=now,
        )
        for a in rows
    ]


def assignments_visible_to_manager(user) -> QuerySet[Assignment]:
    return Assignment.objects.filter(audience_q(user)).select_related("course", "audience_unit")
