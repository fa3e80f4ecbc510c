"""Reads of the engagement roll-ups for one item (the per-item stats managers see)."""

from __future__ import annotations

from django.db.models import Sum
from django.db.models.functions import Coalesce

from interaction.engagement.items import Item, access_item
from interaction.engagement.models import ItemDay, Like
from organizations.models import OrgUnit
from organizations.selectors import ObjectNotFound, scope_for

STATS_ROLES = ["editor", "reviewer", "secretary", "unit_admin"]


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def access_item_stats(user, kind: str, item_id) -> Item:
    """The item if the user may read it AND manages its publishing unit (an editor,
    reviewer, secretary or unit admin over it), else ObjectNotFound."""
    item = access_item(user, kind, item_id)
    path = OrgUnit.objects.filter(pk=item.publishing_unit_id).values_list("path", flat=True).first()
    if not scope_for(user, roles=STATS_ROLES).covers(path):
        raise ObjectNotFound
    return item


def may_see_stats(user, item: Item) -> bool:
    path = OrgUnit.objects.filter(pk=item.publishing_unit_id).values_list("path", flat=True).first()
    return scope_for(user, roles=STATS_ROLES).covers(path)


def item_stats(item: Item) -> dict:
    """Reads, unique readers, likes, shares, clicks, click rate (clicks / shares) and
    forward rate (shares / unique readers) — as of the last fold. Two queries."""
    sums = ItemDay.objects.filter(kind=item.kind, item_id=item.id).aggregate(
        **{f: Coalesce(Sum(f), 0) for f in ("reads", "new_readers", "shares", "clicks")}
    )
    likes = Like.objects.filter(kind=item.kind, item_id=item.id).count()
    return {
        "kind": item.kind,
        "id": item.id,
        "title": item.title,
        "reads": sums["reads"],
        "unique_readers": sums["new_readers"],
        "likes": likes,
        "shares": sums["shares"],
        "clicks": sums["clicks"],
        "click_rate": rate(sums["clicks"], sums["shares"]),
        "forward_rate": rate(sums["shares"], sums["new_readers"]),
    }
