"""Monthly roll-ups of the day roll-ups, summed per unit-tree prefix (`ItemMonth`).

A whole-tree report over a year would otherwise read every `ItemDay` row of the year
(1.8 M at the benchmark's scale, docs/benchmarks.md "Interaction (#18)"). `ItemMonth`
holds, for each month, item and channel, the sums of the members of every unit whose path
starts with a prefix — for the prefixes of the top `LEVELS` levels of the tree: level L's
prefix of a unit is ``substr(path, 1, L * steplen)`` (a unit shallower than L gives its own
path, i.e. "the members of that unit itself", the bucket the preference report needs).

So a report on a unit U of depth D ≤ `LEVELS` reads, for the whole months of its period,
the rows ``level = D AND prefix = U.path`` (top items, channels, tags) or ``level = D + 1
AND prefix LIKE 'U.path%'`` (each child unit's preference) — a few thousand rows instead of
millions — and `ItemDay` only for the days of the partial months at the edges. Deeper
units (small subtrees) read days only. The reports stay one SQL query either way.

The fold writes the month rows in the same transaction as the day rows they sum (so they
are as idempotent and crash-safe as the days); `months_rebuild` recomputes all of them
from `ItemDay` in one statement (the migration's backfill, and after units are moved in
the tree: a move changes paths, and month rows are keyed by path).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction

from interaction.engagement.models import ItemDay, ItemMonth
from interaction.engagement.sql import chunks, copy_insert, use_copy
from organizations.models import OrgUnit

LEVELS = 2  # the root (1) and its children (2): whole-tree and second-level reports
COUNTERS = ("reads", "new_readers", "likes", "unlikes", "shares", "clicks")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A report period split into whole months [month_from, month_to) and the edge days
    (date_from ≤ day < month_from or month_to ≤ day ≤ date_to). With no whole month in it
    (or when the month rows cannot serve the unit) both bounds are date_to + 1 day, so the
    days cover the whole period."""

    date_from: dt.date
    date_to: dt.date
    month_from: dt.date
    month_to: dt.date

    @property
    def params(self) -> dict:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "month_from": self.month_from,
            "month_to": self.month_to,
        }


def split_period(date_from: dt.date, date_to: dt.date, *, level: int) -> Period:
    """`level`: the ItemMonth level the report reads (months are used when ≤ LEVELS)."""
    first = date_from if date_from.day == 1 else _next_month(date_from)
    after = date_to + dt.timedelta(days=1)
    last_whole = after if after.day == 1 else month_of(date_to)  # exclusive
    if level > LEVELS or first >= last_whole:
        return Period(date_from, date_to, after, after)
    return Period(date_from, date_to, first, last_whole)


def month_rows(day_rows: list[tuple], paths: dict[int, str]) -> list[tuple]:
    """The fold's `ItemDay` increments (day, kind, item, unit, channel, *COUNTERS) summed
    into ItemMonth increments (month, level, prefix, kind, item, channel, *COUNTERS)."""
    step = OrgUnit.steplen
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for day, kind, item, unit, channel, *counts in day_rows:
        path = paths[unit]
        month = month_of(day)
        for level in range(1, LEVELS + 1):
            acc = sums[(month, level, path[: level * step], kind, item, channel)]
            for i, c in enumerate(counts):
                acc[i] += c
    return [(*key, *counts) for key, counts in sums.items()]


_COLS = "month, level, prefix, kind, item_id, channel, " + ", ".join(COUNTERS)
_KEY = "month, level, prefix, kind, item_id, channel"


def months_write(cur, rows: list[tuple]) -> None:
    """Add month increments (inside the fold's transaction)."""
    if not rows:
        return
    table = ItemMonth._meta.db_table
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    if use_copy(rows):
        copy_insert(
            cur,
            "eng_month_in (month date, level smallint, prefix varchar(64), kind varchar(8), "
            "item_id bigint, channel varchar(64), reads int, new_readers int, likes int, "
            "unlikes int, shares int, clicks int)",
            rows,
            f"INSERT INTO {table} ({_COLS}) SELECT {_COLS} FROM eng_month_in "  # noqa: S608
            f"ORDER BY {_KEY} ON CONFLICT ({_KEY}) DO UPDATE SET {sets}",
        )
        return
    for chunk in chunks(rows):
        values = ",".join(["(" + ",".join(["%s"] * 12) + ")"] * len(chunk))
        cur.execute(
            f"INSERT INTO {table} ({_COLS}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({_KEY}) DO UPDATE SET {sets}",
            [v for row in chunk for v in row],
        )


def months_rebuild() -> int:
    """Recompute every ItemMonth row from ItemDay (one INSERT … SELECT); the row count."""
    table, day, unit = ItemMonth._meta.db_table, ItemDay._meta.db_table, OrgUnit._meta.db_table
    if connection.vendor == "postgresql":
        month = "CAST(date_trunc('month', d.day) AS date)"
    else:
        month = "date(d.day, 'start of month')"
    levels = " UNION ALL ".join(f"SELECT {n} AS level" for n in range(1, LEVELS + 1))
    sums = ", ".join(f"SUM(d.{c})" for c in COUNTERS)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table}")  # noqa: S608
        cur.execute(
            f"INSERT INTO {table} ({_COLS}) "  # noqa: S608
            f"SELECT {month}, l.level, substr(u.path, 1, l.level * {OrgUnit.steplen}), "
            f"d.kind, d.item_id, d.channel, {sums} "
            f"FROM {day} d JOIN {unit} u ON u.id = d.unit_id CROSS JOIN ({levels}) l "
            f"GROUP BY {month}, l.level, substr(u.path, 1, l.level * {OrgUnit.steplen}), "
            "d.kind, d.item_id, d.channel"
        )
        return cur.rowcount
