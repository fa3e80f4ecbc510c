"""Courses and the lesson player. Scope, progress and completion rules live in elearning;
these views only render what its selectors and services return. The pages that show the
member's progress are never cached: back to the course page after a lesson shows the
progress just made, not a stored copy."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from elearning.contests import points_history as history
from elearning.contests.selectors import points_summary
from elearning.courses import progress, selectors
from elearning.courses.representations import course_status
from elearning.models import Lesson
from portal.access import portal_view


def _lesson_rows(lessons, prog: dict) -> list[dict]:
    rows = []
    for lesson in lessons:
        # The same state the API reports (coverage from the server's unique seconds).
        st = progress.progress_state(lesson=lesson, row=prog.get(lesson.pk))
        rows.append({"lesson": lesson, "state": st, "percent": round(st.coverage * 100)})
    return rows


@never_cache
@portal_view
def course_list(request):
    courses = list(selectors.courses_visible(request.user)[:200])
    mine = selectors.my_course_progress(request.member, [c.pk for c in courses])
    rows = [{"course": c, "status": course_status(mine.get(c.pk))} for c in courses]
    return render(request, "portal/learn/course_list.html", {"nav": "learn", "rows": rows})


@never_cache
@portal_view
def course_detail(request, pk: int):
    course = selectors.access_course_by_id(request.user, pk)
    lessons = list(course.lessons.all())
    prog = selectors.my_lesson_progress(request.member, [lsn.pk for lsn in lessons])
    cp = selectors.my_course_progress(request.member, [course.pk]).get(course.pk)
    exams = [e for e in course.exams.all() if e.is_published]
    context = {
        "nav": "learn",
        "course": course,
        "lessons": _lesson_rows(lessons, prog),
        "course_progress": cp,
        "exam": exams[0] if exams else None,
    }
    return render(request, "portal/learn/course_detail.html", context)


def _playback(lesson: Lesson, request) -> dict | None:
    from media_pipeline.models import MediaAsset
    from media_pipeline.selectors import playback_info

    media = lesson.media
    if media is None or media.status != MediaAsset.Status.READY:
        return None
    return playback_info(asset=media, user=request.user, request=request)


@never_cache
@portal_view
def lesson_detail(request, pk: int):
    lesson = selectors.access_lesson_by_id(request.user, pk)
    course = selectors.access_course_by_id(request.user, lesson.course_id)
    lessons = list(course.lessons.all())
    member = request.member
    state = None
    if member is not None:
        # Opening the page starts the server's clock: reading time and the playback
        # budget are measured from here, never taken from the client.
        state = progress.progress_open(member=member, lesson=lesson)
    prog = selectors.my_lesson_progress(member, [lsn.pk for lsn in lessons])
    index = next(i for i, lsn in enumerate(lessons) if lsn.pk == lesson.pk)
    context = {
        "nav": "learn",
        "course": course,
        "lesson": lesson,
        "lessons": _lesson_rows(lessons, prog),
        "state": state,
        "playback": _playback(lesson, request) if lesson.is_timed_media else None,
        "previous": lessons[index - 1] if index > 0 else None,
        "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        "progress_url": reverse("api:lesson-progress", args=[lesson.pk]),
        "heartbeat_seconds": getattr(settings, "EHOME_PORTAL_READING_HEARTBEAT_SECONDS", 20),
    }
    return render(request, "portal/learn/lesson.html", context)


@portal_view
def points_history(request):
    """The member's own study-points history (times in their unit's time zone, set by
    portal_view), 20 events a page, newest first, with the running total."""
    member = request.member
    page = Paginator(
        history.points_history(member=member) if member is not None else [], 20
    ).get_page(request.GET.get("page"))
    context = {
        "nav": "learn",
        "page_obj": page,
        "events": history.points_events(list(page.object_list)) if member is not None else [],
        "total": points_summary(member=member)["total"] if member is not None else 0,
    }
    return render(request, "portal/learn/points.html", context)
