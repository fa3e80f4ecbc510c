"""Scoring rules as data: the default set (loaded by `ehome_setup`), a manuscript's
length, and the rule that applies to it."""

from __future__ import annotations

import html
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.html import strip_tags

from publications.manuscripts.models import Manuscript, ManuscriptScoreRule, TargetKind

#: (kind, column, min_length, max_length, points, endorsement_extra); column "" = any
DEFAULT_RULES = [
    (TargetKind.BULLETIN, "", 0, 499, "3", "5"),
    (TargetKind.BULLETIN, "", 500, 1499, "5", "5"),
    (TargetKind.BULLETIN, "", 1500, None, "8", "5"),
    (TargetKind.NEWS, "", 0, 799, "2", "2"),
    (TargetKind.NEWS, "", 800, None, "3", "2"),
]

ADOPTED_KIND = {
    Manuscript.Status.ADOPTED_BULLETIN: TargetKind.BULLETIN,
    Manuscript.Status.ADOPTED_NEWS: TargetKind.NEWS,
}


@transaction.atomic
def setup_ensure(stdout=None) -> dict:
    """`ehome_setup` step (idempotent): the default scoring rules, when none exist for a
    kind/column/length band."""
    created = 0
    for kind, column, low, high, points, extra in DEFAULT_RULES:
        _, new = ManuscriptScoreRule.objects.get_or_create(
            kind=kind,
            column=column,
            min_length=low,
            max_length=high,
            defaults={"points": Decimal(points), "endorsement_extra": Decimal(extra)},
        )
        created += new
    return {"manuscript_rules_created": created}


def text_length(manuscript: Manuscript) -> int:
    """Characters of the body's text, whitespace and markup left out."""
    text = manuscript.body or ""
    if manuscript.body_format == Manuscript.BodyFormat.RICH:
        text = html.unescape(strip_tags(text))
    return sum(1 for ch in text if not ch.isspace())


def rule_for(manuscript: Manuscript, length: int) -> ManuscriptScoreRule | None:
    """The most specific active rule for the manuscript's adoption kind, column and
    length: a rule of its column before an any-column rule, then the highest band."""
    kind = ADOPTED_KIND.get(manuscript.status)
    if kind is None:
        return None
    return (
        ManuscriptScoreRule.objects.filter(
            Q(column=manuscript.column) | Q(column=""),
            is_active=True,
            kind=kind,
            min_length__lte=length,
        )
        .filter(Q(max_length__isnull=True) | Q(max_length__gte=length))
        .annotate(
            specific=Case(
                When(column="", then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("-specific", "-min_length", "id")
        .first()
    )
