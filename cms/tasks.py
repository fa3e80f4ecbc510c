"""Background jobs for content (django-tasks; idempotent)."""

from __future__ import annotations

import io

from django.core.management import call_command
from django_tasks import task


@task()
def publish_scheduled_run() -> str:
    """Publish revisions whose go_live_at has passed and unpublish expired pages —
    Wagtail's `manage.py publish_scheduled`; run every minute by run_worker. Revisions
    due to go out through an outlet that may not carry them lose their schedule first
    (cms.outlet_services.scheduled_publications_hold)."""
    from cms.outlet_services import scheduled_publications_hold

    scheduled_publications_hold()
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return out.getvalue()


@task()
def books_reference_index_update(ids: list[int]) -> int:
    """Rebuild Wagtail's reference index (book → cover image) for imported books, after
    the import committed, in batches; bulk writes skipped the per-row signal."""
    from wagtail.models import ReferenceIndex

    from cms.models import Book

    done = 0
    for start in range(0, len(ids), 1000):
        for book in Book.objects.filter(id__in=ids[start : start + 1000], cover__isnull=False):
            ReferenceIndex.create_or_update_for_object(book)
            done += 1
    return done


@task()
def digest_propose_weekly() -> dict:
    """Periodic (core.schedule, Mondays): draft last week's mobile newspaper for review."""
    from cms.notify import digest_propose_weekly as propose

    return propose()
