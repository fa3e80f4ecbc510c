"""The academy's content types, declared once (registered by `ElearningConfig.ready()`).

Search, the API's cache versions and the sync tombstones follow these declarations
through `core.content.content_changed` (docs/architecture.md, "Content types and
content_changed").
"""

from __future__ import annotations

from django.db.models import Q

from core import content
from core.content import ContentType, SearchSpec
from elearning.courses.models import Course, Lesson
from elearning.courses.representations import course_detail_json, lesson_json
from elearning.courses.selectors import courses_visible
from elearning.exams.models import Exam


def _course_published(course) -> bool:
    return bool(course.is_published)


def _lesson_published(lesson) -> bool:
    return bool(lesson.course.is_published)


def _course_date(course):
    return course.created_at


def _lesson_ids(course) -> list[tuple[str, list[int]]]:
    if course.pk is None:
        return []
    return [
        ("lesson", list(Lesson.objects.filter(course_id=course.pk).values_list("pk", flat=True)))
    ]


COURSE = ContentType(
    name="course",
    model=Course,
    label="课程",
    resource="courses",
    published=Q(is_published=True),
    is_published=_course_published,
    search=SearchSpec(body=("description", "category"), date=_course_date, dependents=_lesson_ids),
    representation=course_detail_json,
    visible_to=courses_visible,
    parts=(Exam,),
)
LESSON = ContentType(
    name="lesson",
    model=Lesson,
    label="课时",
    resource="courses",  # listed inside its course's JSON
    published=Q(course__is_published=True),
    is_published=_lesson_published,
    audience_field="course__audience_unit",
    search=SearchSpec(body=("body",), date=lambda lesson: _course_date(lesson.course)),
    representation=lesson_json,
    synced=False,
)

TYPES = (COURSE, LESSON)


def register() -> None:
    content.register(*TYPES)
