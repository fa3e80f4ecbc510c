"""Background jobs of the academy (django-tasks; idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def attempts_close_overdue() -> int:
    """Grade and close attempts whose deadline (+ grace) passed without a submit.
    Registered in settings.EHOME_PERIODIC_TASKS (every minute)."""
    from elearning.exams import attempts_close_overdue as close

    return close()
