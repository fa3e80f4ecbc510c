"""Background work (django-tasks). Both tasks are idempotent: the lease on the asset row
decides who works on it, and outputs go to content-addressed keys.

Requests queue work through `asset_enqueue` (called by media_pipeline.services); the work
itself is in `media_pipeline.processing`, which imports neither."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from media_pipeline import processing


@task()
def asset_process(asset_id: int) -> str | None:
    """Probe, transcode and store one asset (enqueued with transaction.on_commit)."""
    asset = processing.asset_transcode(asset_id=asset_id)
    return asset.status if asset else None


def asset_enqueue(asset_id: int) -> None:
    """Queue `asset_process` once the current transaction commits."""
    transaction.on_commit(lambda: asset_process.enqueue(asset_id))


@task()
def assets_recover_stale() -> dict:
    """Periodic (core.schedule, every minute): requeue assets whose worker died mid-work."""
    requeued, failed = processing.assets_release_stale()
    for asset_id in requeued:
        asset_enqueue(asset_id)
    return {"requeued": len(requeued), "failed": failed}
