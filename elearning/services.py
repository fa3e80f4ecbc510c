"""Course, assignment and course-progress services (writes)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from elearning.models import Assignment, Course, CourseProgress, Exam, Lesson, LessonProgress
from organizations.models import Member, OrgUnit


class AcademyError(DomainError):
    """An action the academy refuses (api.errors maps `code` and `status`)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message, code=code, status=status)


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
    needs_exam = Exam.objects.filter(course_id=course_id, is_published=True).exists()
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


def assignment_deadline(*, due_date: dt.date, tz_name: str) -> dt.datetime:
    """End of `due_date` in the member's unit time zone (= 00:00 of the next local day)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(due_date + dt.timedelta(days=1), dt.time.min, ZoneInfo(tz_name))


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


# --- instructors -----------------------------------------------------------------------
INSTRUCTOR_GROUP = "网络学院教员"
INSTRUCTOR_ROLE = "instructor"
INSTRUCTOR_MODELS = ["course", "lesson", "assignment", "question", "exam", "examrule", "contest"]


def academy_setup_ensure(stdout=None) -> dict:
    """`ehome_setup` step (idempotent): the instructor group with the academy's model
    permissions and admin access. WHERE an instructor may act is decided by their unit
    roles (elearning.wagtail_hooks scopes every view to the role's subtree)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=INSTRUCTOR_GROUP)
    perms = Permission.objects.filter(
        content_type__app_label="elearning", content_type__model__in=INSTRUCTOR_MODELS
    )
    access = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    group.permissions.add(*perms, *access)
    return {"groups": INSTRUCTOR_GROUP}


def user_academy_groups_sync(*, user) -> None:
    """Put a user into the instructor group exactly when they hold the instructor role
    somewhere; connected to organizations.signals.unit_roles_changed."""
    from django.contrib.auth.models import Group

    from organizations.models import UnitRole

    group = Group.objects.filter(name=INSTRUCTOR_GROUP).first()
    if group is None:  # before `ehome_setup`; it re-syncs every role holder
        return
    if UnitRole.objects.filter(user=user, role=INSTRUCTOR_ROLE).exists():
        user.groups.add(group)
    else:
        user.groups.remove(group)
