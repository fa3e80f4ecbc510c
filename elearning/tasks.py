"""Background jobs of the academy (django-tasks; idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def attempts_close_overdue() -> int:
    """Grade and close attempts whose deadline (+ grace) passed without a submit.
    Registered in settings.EHOME_PERIODIC_TASKS (every minute)."""
    from elearning.exams.services import attempts_close_overdue as close

    return close()


@task()
def points_unit_paths_sync() -> int:
    """Re-file study-point balances of members whose unit changed by any route (admin
    edits, imports; transfers and unit moves already do it on commit). Registered in
    settings.EHOME_PERIODIC_TASKS (every 5 minutes)."""
    from elearning.contests.services import points_unit_paths_sync as sync

    return sync()
