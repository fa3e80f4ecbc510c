"""Background jobs of the api app (django-tasks; idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task


@task()
def tombstones_purge() -> int:
    """Delete tombstones older than the retention (EHOME_API_TOMBSTONE_DAYS); a client
    asking /sync/changes/ with an older `since` gets 410 and resyncs fully. Daily."""
    from api.models import ContentTombstone

    cutoff = timezone.now() - timedelta(days=settings.EHOME_API_TOMBSTONE_DAYS)
    deleted, _ = ContentTombstone.objects.filter(at__lt=cutoff).delete()
    return deleted
