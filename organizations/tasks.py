"""Background jobs of the organisation app (django-tasks; idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def probation_reminders_send() -> int:
    """Remind secretaries of probationary members' conversion dates (09:00 local);
    registered in core.schedule as organizations.probation_reminders (hourly)."""
    from organizations.records.jobs import probation_reminders_send as send

    return send()
