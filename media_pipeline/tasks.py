"""Background work (django-tasks). Both tasks are idempotent: the lease on the asset row
decides who works on it, and outputs go to content-addressed keys."""

from __future__ import annotations

from django_tasks import task

from media_pipeline import services


@task()
def asset_process(asset_id: int) -> str | None:
    """Probe, transcode and store one asset (enqueued with transaction.on_commit)."""
    asset = services.asset_transcode(asset_id=asset_id)
    return asset.status if asset else None


@task()
def assets_recover_stale() -> dict:
    """Periodic (EHOME_PERIODIC_TASKS): requeue assets whose worker died mid-work."""
    return services.assets_recover_stale()
