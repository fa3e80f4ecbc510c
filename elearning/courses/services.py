"""Course, assignment and course-progress writes."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from elearning.courses.models import Assignment, Course, CourseProgress, Lesson, LessonProgress
from organizations.models import Member, OrgUnit


def course_progress_start(*, member: Member, course_id: int) -> None:
    """Mark the course as started for the member (idempotent)."""
    now = timezone.now()
    updated = CourseProgress.objects.filter(
        member=member, course_id=course_id, started_at__isnull=True
    ).update(started_at=now)
    if updated:
        return
    try:
        with transaction.atomic():
            CourseProgress.objects.create(member=member, course_id=course_id, started_at=now)
    except IntegrityError:
        pass  # it existed and was already started


@transaction.atomic
def course_progress_refresh(*, member: Member, course_id: int) -> CourseProgress:
    """Recount completed lessons; the course completes when every lesson is complete and
    its exam (if it has a published one) is passed."""
    course_progress_start(member=member, course_id=course_id)
    cp = CourseProgress.objects.select_for_update().get(member=member, course_id=course_id)
    total = Lesson.objects.filter(course_id=course_id).count()
    done = LessonProgress.objects.filter(
        member=member, course_id=course_id, completed_at__isnull=False
    ).count()
    now = timezone.now()
    cp.lessons_completed = done
    if total and done >= total and cp.lessons_done_at is None:
        cp.lessons_done_at = now
    # the course's exams (elearning.exams, above this package) through the reverse relation
    needs_exam = Course.objects.filter(pk=course_id, exams__is_published=True).exists()
    if (
        cp.completed_at is None
        and total
        and done >= total
        and (not needs_exam or cp.exam_passed_at is not None)
    ):
        cp.completed_at = now
    cp.save()
    return cp


def course_progress_exam_result(
    *, member: Member, course_id: int, percent: float, passed: bool
) -> None:
    course_progress_start(member=member, course_id=course_id)
    with transaction.atomic():
        cp = CourseProgress.objects.select_for_update().get(member=member, course_id=course_id)
        cp.best_score = percent if cp.best_score is None else max(cp.best_score, percent)
        if passed and cp.exam_passed_at is None:
            cp.exam_passed_at = timezone.now()
        cp.save(update_fields=["best_score", "exam_passed_at"])
    course_progress_refresh(member=member, course_id=course_id)


@transaction.atomic
def assignment_create(
    *, course: Course, audience_unit: OrgUnit, due_date: dt.date, created_by=None, note=""
) -> Assignment:
    return Assignment.objects.create(
        course=course,
        audience_unit=audience_unit,
        due_date=due_date,
        created_by=created_by,
        note=note,
    )


def assignment_notify(*, assignment_id: int):
    """Tell the assignment's audience (every active member of its audience subtree, as
    the organisation's audience helpers define it) through a background broadcast (kind
    `course_assigned`): written in batches by the worker, never inside the request. The
    key names the assignment, so a repeated hook answers the broadcast already recorded.
    Called after the assignment's transaction commits, however it was created (service,
    admin, import). Answers the Broadcast (None when the assignment is gone)."""
    from django.urls import reverse

    from notifications.broadcasts import broadcast_create
    from notifications.models import Broadcast

    assignment = (
        Assignment.objects.select_related("course", "audience_unit", "created_by")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:  # deleted before the commit hook ran
        return None
    course = assignment.course
    return broadcast_create(
        kind="course_assigned",
        audience_unit=assignment.audience_unit,
        audience=Broadcast.Audience.ASSIGNMENT,
        source=f"assignment:{assignment.pk}",
        context={
            "course": course.title,
            "due": assignment.due_date.isoformat(),
            "note": assignment.note,
        },
        link=(
            reverse("api:course-detail", args=[course.pk]),
            reverse("portal:course", args=[course.pk]),
        ),
        idempotency_key=f"assignment-{assignment.pk}",
        sent_by=assignment.created_by,
    )
