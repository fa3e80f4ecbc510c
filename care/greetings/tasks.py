"""The greeting job (django-tasks; idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def greetings_send_job() -> int:
    """Periodic (core.schedule "care.greetings_send", every 15 minutes): greetings in every
    unit zone whose local clock has passed 09:00 today; sends once per member and day."""
    from care.greetings.services import greetings_send

    return greetings_send()
