"""Periodic jobs of supervision (core.schedule, registered in apps.py); idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def ledger_reminders() -> int:
    """Hourly: at 09:00 on each unit's clock, remind units that have not reported an item
    whose period ends soon (supervision.ledger.services.ledger_reminders_send)."""
    from supervision.ledger.services import ledger_reminders_send

    return ledger_reminders_send()


@task()
def rectifications_escalate() -> int:
    """Hourly: at 09:00 on each unit's clock, escalate overdue rectifications."""
    from supervision.rectification.services import rectifications_escalate as escalate

    return escalate()
