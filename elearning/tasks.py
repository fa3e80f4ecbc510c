"""Background jobs of the academy (django-tasks; idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def attempts_close_overdue() -> int:
    """Grade and close attempts whose deadline (+ grace) passed without a submit.
    Registered in core.schedule (every minute)."""
    from elearning.exams.services import attempts_close_overdue as close

    return close()


@task()
def points_unit_paths_sync() -> int:
    """Re-file study-point balances of members whose unit changed by any route (admin
    edits, imports; transfers and unit moves already do it on commit). Registered in
    core.schedule (every 5 minutes)."""
    from elearning.contests.services import points_unit_paths_sync as sync

    return sync()


@task()
def assignment_reminders_send() -> dict:
    """Periodic (core.schedule, every 15 minutes): 09:00-local assignment reminders."""
    from elearning.notify import assignment_reminders

    return assignment_reminders()


@task()
def openings_announce() -> dict:
    """Periodic (core.schedule, every 5 minutes): exams and contests that opened."""
    from elearning.notify import openings_announce as announce

    return announce()
