"""The engagement fold as a periodic django-task (registered in InteractionConfig.ready)."""

from __future__ import annotations

from django_tasks import task


@task()
def engagement_fold() -> dict:
    """Fold buffered reads, likes, shares and clicks into the daily roll-ups. Idempotent:
    a batch already folded is only acknowledged (interaction.engagement.fold)."""
    from interaction.engagement.fold import fold

    result = fold()
    return {"batches": result.batches, "events": result.events, "skipped": result.skipped_batches}
