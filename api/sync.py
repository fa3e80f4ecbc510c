"""Delta sync: tombstones for objects that left a resource, and what a caller should drop.

An app keeps an offline copy of news, stories, digests, books, periodicals and courses.
It learns what is new or changed from each list's `updated_since`, and what to DROP from
`GET /api/v1/sync/changes/?since=…` — answered from `ContentTombstone` rows written here
when a published object is unpublished, deleted, or its audience narrows (the old audience
path is kept so only readers who could see it hear about it).

The signal handlers below are connected by `api.apps.ApiConfig.ready`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from api.models import ContentTombstone

#: model label → (resource, published flag field, audience path lookup)
TOMBSTONE_MODELS: dict[str, tuple[str, str, str]] = {
    "cms.NewsPage": ("news", "live", "audience_unit__path"),
    "cms.ExemplarPage": ("stories", "live", "audience_unit__path"),
    "cms.DigestIssue": ("digests", "live", "audience_unit__path"),
    "cms.Book": ("books", "is_published", "audience_unit__path"),
    "cms.Periodical": ("periodicals", "is_published", "audience_unit__path"),
    "elearning.Course": ("courses", "is_published", "audience_unit__path"),
}
MAX_CHANGES = 1000


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


def _is_page(model) -> bool:
    return any(b._meta.label == "wagtailcore.Page" for b in model._meta.get_parent_list())


def _audience_path(instance) -> str:
    unit_id = getattr(instance, "audience_unit_id", None)
    if unit_id is None:
        return ""
    from organizations.models import OrgUnit

    return OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or ""


def tombstone_write(*, resource: str, object_id: int, reason: str, audience_path: str) -> None:
    ContentTombstone.objects.create(
        resource=resource,
        object_id=object_id,
        reason=reason,
        audience_path=audience_path,
        at=timezone.now(),
    )


# --- signal handlers --------------------------------------------------------------------
def on_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """Remember the published flag and audience path the row had before this save."""
    spec = TOMBSTONE_MODELS.get(_label(sender))
    if raw or spec is None or instance.pk is None:
        return
    _resource, flag, path = spec
    if update_fields is not None and not ({flag, "audience_unit"} & set(update_fields)):
        return
    instance._ehome_before = sender._base_manager.filter(pk=instance.pk).values(flag, path).first()


def on_post_save(sender, instance, created=False, raw=False, **kwargs):
    spec = TOMBSTONE_MODELS.get(_label(sender))
    before = instance.__dict__.pop("_ehome_before", None)
    if raw or spec is None or created or not before:
        return
    resource, flag, path = spec
    if not before[flag]:
        return  # it was not visible to anyone: nothing to take back
    old_path = before[path] or ""
    if not getattr(instance, flag):
        if not _is_page(sender):  # pages: page_unpublished writes it
            tombstone_write(
                resource=resource,
                object_id=instance.pk,
                reason=ContentTombstone.Reason.UNPUBLISHED,
                audience_path=old_path,
            )
        return
    new_path = _audience_path(instance)
    if old_path and new_path != old_path and not old_path.startswith(new_path or "\0"):
        tombstone_write(
            resource=resource,
            object_id=instance.pk,
            reason=ContentTombstone.Reason.SCOPE_CHANGED,
            audience_path=old_path,
        )


def on_page_unpublished(sender, instance, **kwargs):
    spec = TOMBSTONE_MODELS.get(_label(sender))
    if spec is None:
        return
    tombstone_write(
        resource=spec[0],
        object_id=instance.pk,
        reason=ContentTombstone.Reason.UNPUBLISHED,
        audience_path=_audience_path(instance),
    )


def on_post_delete(sender, instance, **kwargs):
    spec = TOMBSTONE_MODELS.get(_label(sender))
    if spec is None:
        return
    resource, flag, _path = spec
    if not getattr(instance, flag, False):
        return
    tombstone_write(
        resource=resource,
        object_id=instance.pk,
        reason=ContentTombstone.Reason.DELETED,
        audience_path=_audience_path(instance),
    )


# --- reads --------------------------------------------------------------------------------
def _visible(resource: str, user) -> QuerySet:
    if resource == "courses":
        from elearning.models import Course
        from organizations.selectors import audience_q

        return Course.objects.filter(is_published=True).filter(audience_q(user))
    from cms import selectors

    return {
        "news": selectors.news_visible_to,
        "stories": selectors.exemplars_visible_to,
        "digests": selectors.digests_visible_to,
        "books": selectors.books_visible_to,
        "periodicals": selectors.periodicals_visible_to,
    }[resource](user)


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
