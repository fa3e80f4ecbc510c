"""The month roll-ups (`ItemMonth`, interaction.engagement.months): written by the fold
with the days they sum, equal to a rebuild from the days, and a report served from them
(whole months) plus the edge days gives the same answer as the report over the days alone,
for random periods and units at every level — still one SQL query."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from interaction.analytics import reports
from interaction.engagement import months
from interaction.engagement.buffer import event_line
from interaction.engagement.fold import fold
from interaction.engagement.models import ItemDay, ItemMonth
from tests.factories import add_unit

pytestmark = pytest.mark.django_db
START = dt.date(2026, 8, 20)  # ~4 months of events: whole months and edges


def _snapshot() -> set[tuple]:
    return set(
        ItemMonth.objects.values_list(
            "month", "level", "prefix", "kind", "item_id", "channel", *months.COUNTERS
        )
    )


@pytest.fixture
def folded(org, buffer):
    """2,400 random reads, likes, unlikes, shares and clicks of members of every unit of
    the tree (A2 one level deeper under A1) on three kinds of item over 120 days, folded
    in two batches (the second one over 1,000 day rows: PostgreSQL's COPY path)."""
    a11 = add_unit(org.a1, "A11", "北京项目第一党小组")
    units = [org.root, org.a, org.a1, a11, org.b, org.b1]
    rng = random.Random(18)
    for part in (400, 2000):
        for _ in range(part):
            unit = rng.choice(units)
            typ = rng.choice("RRRRRLUSC")
            day = START + dt.timedelta(days=rng.randrange(120))
            kind = rng.choice(["story", "digest", "lesson"])
            member = rng.randrange(1, 300)
            buffer.append(event_line(typ, day, member, unit.pk, kind, rng.randrange(1, 30)))
        fold()
    return units


def test_fold_keeps_months_equal_to_a_rebuild_from_the_days(org, folded):
    assert ItemDay.objects.count() > 1000
    written = _snapshot()
    assert {lvl for (_m, lvl, *_rest) in written} == {1, 2}
    level1 = sum(r[6] for r in written if r[1] == 1)
    assert level1 == sum(ItemDay.objects.values_list("reads", flat=True))
    months.months_rebuild()
    assert _snapshot() == written


def test_split_period_whole_months_and_edges():
    p = months.split_period(dt.date(2025, 12, 8), dt.date(2026, 12, 7), level=1)
    assert (p.month_from, p.month_to) == (dt.date(2026, 1, 1), dt.date(2026, 12, 1))
    p = months.split_period(dt.date(2026, 9, 1), dt.date(2026, 10, 31), level=2)
    assert (p.month_from, p.month_to) == (dt.date(2026, 9, 1), dt.date(2026, 11, 1))
    # no whole month, or a unit deeper than the month levels: the days cover everything
    p = months.split_period(dt.date(2026, 9, 2), dt.date(2026, 10, 30), level=1)
    assert p.month_from == p.month_to == dt.date(2026, 10, 31)
    p = months.split_period(dt.date(2026, 9, 1), dt.date(2026, 10, 31), level=3)
    assert p.month_from == p.month_to == dt.date(2026, 11, 1)


def test_reports_over_months_equal_reports_over_days(
    org, folded, monkeypatch, django_assert_num_queries
):
    rng = random.Random(7)
    for i in range(12):
        unit = folded[i % len(folded)]
        a = START + dt.timedelta(days=rng.randrange(-5, 100))
        b = a + dt.timedelta(days=rng.randrange(0, 90))
        args = {"unit": unit, "date_from": a, "date_to": b}
        with django_assert_num_queries(3):
            got = (
                reports.top_items(**args, limit=100),
                reports.top_channels(**args),
                reports.preferences(**args),
            )
        with monkeypatch.context() as m:
            m.setattr(months, "LEVELS", 0)  # no level served by months: days only
            want = (
                reports.top_items(**args, limit=100),
                reports.top_channels(**args),
                reports.preferences(**args),
            )
        assert got == want, (unit.code, a, b)
    # the whole tree over the four months read something, and from whole months too
    whole = reports.top_channels(unit=org.root, date_from=START, date_to=START.replace(month=12))
    assert sum(c["reads"] for c in whole) > 0
    assert ItemMonth.objects.filter(level=1, month=dt.date(2026, 9, 1)).exists()
