"""Background jobs of the care app (django-tasks; idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def liaison_overdue_remind() -> int:
    """Remind liaison people of overdue family contacts (09:00 local); registered in
    core.schedule as care.liaison_overdue (hourly)."""
    from care.liaison.jobs import liaison_overdue_remind as remind

    return remind()


@task()
def probation_reminders_send() -> int:
    """Remind secretaries of probationary members' conversion dates (09:00 local);
    registered in core.schedule as care.probation_reminders (hourly)."""
    from care.probation.jobs import probation_reminders_send as send

    return send()
