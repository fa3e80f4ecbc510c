"""Background jobs of Q&A (django-tasks), run by the periodic schedule (core.schedule)."""

from __future__ import annotations

from django_tasks import task


@task()
def questions_escalate_overdue() -> int:
    """Move overdue questions one level up (idempotent: interaction.qa.services)."""
    from interaction.qa.services import questions_escalate

    return questions_escalate()
