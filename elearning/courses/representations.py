"""The JSON shapes of courses, lessons, assignments and lesson progress, declared once
(the TypedDicts, which the API documents through api.schema.shape_serializer) and built
once, for the API and the portal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Literal, TypedDict

from core.richtext import rich_text_html
from elearning.courses.models import Course, CourseProgress, Lesson, LessonProgress
from elearning.courses.progress import ProgressState, progress_state, required_seconds

Status = Literal["not_started", "in_progress", "completed", "overdue"]


class CourseJSON(TypedDict):
    id: int
    title: str
    description: str
    category: str
    credit_hours: Annotated[Decimal, Course._meta.get_field("credit_hours")]
    kind: str
    cover_url: str | None
    lesson_count: int
    my_status: str
    lessons_completed: int


class LessonJSON(TypedDict):
    id: int
    title: str
    kind: str
    duration: int
    required_seconds: int
    media_id: int | None
    playback: dict | None
    body: str | None
    book_id: int | None
    completed: bool
    coverage: float


class CourseDetailJSON(CourseJSON):
    lessons: list[LessonJSON]
    exam_id: int | None


class AssignmentJSON(TypedDict):
    id: int
    course: dict
    audience_unit: str
    due_date: dt.date
    due_at: dt.datetime
    timezone: str
    status: Status
    lessons_completed: int
    completed_at: dt.datetime | None
    note: str


class ProgressJSON(TypedDict):
    lesson: int
    kind: str
    duration: int
    unique_seconds: int
    seconds_spent: int
    required_seconds: int
    coverage: float
    completed: bool
    completed_at: dt.datetime | None
    # watched [from, to) ranges in seconds, to the millisecond (whole seconds as integers)
    intervals: list[list[float]]
    duplicate: bool


def course_status(cp: CourseProgress | None) -> str:
    """ "not_started" | "in_progress" | "completed" for the member's course progress."""
    if cp is None:
        return "not_started"
    if cp.completed_at:
        return "completed"
    return "in_progress" if cp.started_at else "not_started"


def assignment_status(
    *, deadline: dt.datetime, progress: CourseProgress | None, now: dt.datetime
) -> Status:
    if progress is not None and progress.completed_at is not None:
        return "completed"
    if now >= deadline:
        return "overdue"
    if progress is not None and progress.started_at is not None:
        return "in_progress"
    return "not_started"


def _cover_url(course: Course) -> str | None:
    if not (course.cover_id and course.cover):
        return None
    try:
        return course.cover.get_rendition("fill-640x360").url
    except Exception:  # noqa: BLE001 - a missing image file must not break the list
        return None


def course_json(course: Course, cp: CourseProgress | None) -> CourseJSON:
    return {
        "id": course.pk,
        "title": course.title,
        "description": course.description,
        "category": course.category,
        "credit_hours": course.credit_hours,
        "kind": course.kind,
        "cover_url": _cover_url(course),
        "lesson_count": getattr(course, "lesson_count", 0),
        "my_status": course_status(cp),
        "lessons_completed": cp.lessons_completed if cp else 0,
    }


def lesson_json(lesson: Lesson, row: LessonProgress | None, *, playback: dict | None) -> LessonJSON:
    st = progress_state(lesson=lesson, row=row)
    return {
        "id": lesson.pk,
        "title": lesson.title,
        "kind": lesson.kind,
        "duration": lesson.duration_seconds,
        "required_seconds": required_seconds(lesson),
        "media_id": lesson.media_id,
        "playback": playback,
        "body": rich_text_html(lesson.body) if lesson.kind == Lesson.Kind.ARTICLE else None,
        "book_id": lesson.book_id,
        "completed": st.completed,
        "coverage": st.coverage,
    }


def course_detail_json(
    course: Course,
    cp: CourseProgress | None,
    *,
    lessons: list[Lesson],
    rows: dict[int, LessonProgress],
    playback: Callable[[Lesson], dict | None],
) -> CourseDetailJSON:
    """A course (`access_course_by_id`, exams prefetched) with its lessons and the member's
    progress rows by lesson id; `playback(lesson)` gives a lesson's playback info."""
    published = [e for e in course.exams.all() if e.is_published]
    return {
        **course_json(course, cp),
        "lesson_count": len(lessons),
        "lessons": [lesson_json(x, rows.get(x.pk), playback=playback(x)) for x in lessons],
        "exam_id": published[0].pk if published else None,
    }


def assignment_json(
    assignment, *, cp: CourseProgress | None, tz: str, deadline: dt.datetime, now: dt.datetime
) -> AssignmentJSON:
    return {
        "id": assignment.pk,
        "course": {"id": assignment.course_id, "title": assignment.course.title},
        "audience_unit": assignment.audience_unit.name,
        "due_date": assignment.due_date,
        "due_at": deadline,
        "timezone": tz,
        "status": assignment_status(deadline=deadline, progress=cp, now=now),
        "lessons_completed": cp.lessons_completed if cp else 0,
        "completed_at": cp.completed_at if cp else None,
        "note": assignment.note,
    }


def progress_json(st: ProgressState) -> ProgressJSON:
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
