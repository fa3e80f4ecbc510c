"""App-wide set-up of the academy: the instructor group and who is in it.

Each domain keeps its own writes: `elearning.courses.services` (courses, assignments,
course progress), `elearning.courses.progress` (lesson progress),
`elearning.exams.services` (attempts), `elearning.contests.services` (contests, points).
"""

from __future__ import annotations

from core.model_permissions import model_permissions

# --- instructors -----------------------------------------------------------------------
INSTRUCTOR_GROUP = "网络学院教员"
INSTRUCTOR_ROLE = "instructor"


def _instructor_models() -> list:
    """The academy models an instructor holds every permission of."""
    from elearning.models import Assignment, Contest, Course, Exam, ExamRule, Lesson, Question

    return [Course, Lesson, Assignment, Question, Exam, ExamRule, Contest]


def academy_setup_ensure(stdout=None) -> dict:
    """`ehome_setup` step (idempotent): the instructor group with the academy's model
    permissions and admin access. WHERE an instructor may act is decided by their unit
    roles (elearning.wagtail_hooks scopes every view to the role's subtree)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=INSTRUCTOR_GROUP)
    perms = model_permissions(*_instructor_models())
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
