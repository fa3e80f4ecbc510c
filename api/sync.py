"""Delta sync: tombstones for objects that left a resource, and what a caller should drop.

An app keeps an offline copy of news, stories, digests, books, periodicals and courses.
It learns what is new or changed from each list's `updated_since`, and what to DROP from
`GET /api/v1/sync/changes/?since=…` — answered from `ContentTombstone` rows written here
when a published object is unpublished, deleted, or its audience narrows (the old audience
path is kept so only readers who could see it hear about it). The resources are the
synced content types' (core.content); the tombstones are written by the
`content_changed` receiver below (connected by `api.apps.ApiConfig.ready`), after the
change committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from api.models import ContentTombstone
from core import content
from core.content import DELETED, SAVED, ContentChange, Visibility

MAX_CHANGES = 1000


def tombstone_write(*, resource: str, object_id: int, reason: str, audience_path: str) -> None:
    ContentTombstone.objects.create(
        resource=resource,
        object_id=object_id,
        reason=reason,
        audience_path=audience_path,
        at=timezone.now(),
    )


def _narrowed(before: Visibility, after: Visibility) -> bool:
    """Readers of the old audience lost it: the new audience does not contain the old."""
    old, new = before.audience_path, after.audience_path
    return bool(old) and new != old and not old.startswith(new or "\0")


# --- the content_changed receiver ---------------------------------------------------------
def content_changed(sender, change: ContentChange, **kwargs) -> None:
    """Write a tombstone when a published object of a synced type was unpublished,
    deleted or its audience narrowed (sent after commit by core.content)."""
    ct, before = change.content_type, change.before
    if not ct.synced or before is None or not before.published:
        return  # it was not visible to anyone: nothing to take back
    reason = None
    if change.action == DELETED:
        reason = ContentTombstone.Reason.DELETED
    elif change.action == SAVED and change.after is not None:
        if not change.after.published:
            reason = ContentTombstone.Reason.UNPUBLISHED
        elif _narrowed(before, change.after):
            reason = ContentTombstone.Reason.SCOPE_CHANGED
    if reason is None:
        return
    for object_id in change.object_ids:
        tombstone_write(
            resource=ct.resource,
            object_id=object_id,
            reason=reason,
            audience_path=before.audience_path,
        )


# --- reads --------------------------------------------------------------------------------
def resources() -> tuple[str, ...]:
    """The resources an app keeps offline copies of (the synced content types')."""
    return content.synced_resources()


def _visible(resource: str, user) -> QuerySet:
    """What the API serves `user` of `resource` now (its synced content type's selector)."""
    for ct in content.all_types():
        if ct.synced and ct.resource == resource:
            return ct.visible_to(user)
    raise LookupError(resource)


@dataclass(frozen=True)
class Change:
    resource: str
    id: int
    reason: str
    at: datetime


def changes_for(
    *, user, since: datetime, resources: list[str], limit: int = MAX_CHANGES
) -> tuple[list[Change], datetime | None]:
    """Objects the user could see that left `resources` at or after `since`, oldest first,
    minus those visible again now (republished, or still in the new audience). Returns
    (changes, next_since): next_since is set when more rows wait (ask again with it;
    `since` is inclusive, so the last row may come twice — dropping twice is harmless).
    One query for the tombstones plus one per resource present."""
    from organizations.selectors import audience_q

    rows = list(
        ContentTombstone.objects.filter(resource__in=resources, at__gte=since)
        .filter(audience_q(user, field="audience_path"))
        .order_by("at", "id")
        .values_list("resource", "object_id", "reason", "at")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    ids_by_resource: dict[str, set[int]] = {}
    for resource, oid, _reason, _at in rows:
        ids_by_resource.setdefault(resource, set()).add(oid)
    still_visible = {
        resource: set(_visible(resource, user).filter(pk__in=ids).values_list("pk", flat=True))
        for resource, ids in ids_by_resource.items()
    }
    changes = [
        Change(resource, oid, reason, at)
        for resource, oid, reason, at in rows
        if oid not in still_visible[resource]
    ]
    return changes, (rows[-1][3] if has_more else None)
