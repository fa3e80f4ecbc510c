"""The fold: buffered events into the daily roll-ups, exactly once per batch.

    for each batch left pending by an earlier fold, then each newly claimed batch:
        events = buffer.events(batch)
        BEGIN
          INSERT FoldedBatch(batch) ON CONFLICT DO NOTHING   -- nothing inserted: folded before
          upsert ItemDay / ItemReader / Like / SharerStat with the batch's sums
        COMMIT
        buffer.ack(batch)

Why a crash anywhere neither loses nor double-counts (tests/interaction/test_fold_crash.py
kills a real fold process at each point):

- before the claim: the events are still waiting in the buffer;
- after the claim, before COMMIT (also halfway through the upserts): the transaction
  dies with the process, nothing of the batch is in the database, and the batch is still
  pending in the buffer: the next fold folds it;
- after COMMIT, before the ack: the batch is still pending, but its `FoldedBatch` row
  exists, so the next fold inserts nothing and only acknowledges it;
- two folds on the same pending batch: the second one's FoldedBatch insert waits for the
  first transaction and then conflicts (PostgreSQL), so only one adds the batch.

Likes fold to a state, not a count: per (member, item) the batch's last event decides,
and it changes the roll-ups only when it changes the `Like` row (a like already folded is
no new like). New readers are the (member, item) pairs the `ItemReader` insert added.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from interaction.engagement.buffer import Buffer, get_buffer
from interaction.engagement.items import FIXED_CHANNELS, channels_for
from interaction.engagement.models import FoldedBatch, ItemDay, ItemReader, Like, SharerStat
from interaction.engagement.months import month_rows, months_write
from interaction.engagement.sql import chunks, copy_insert, use_copy
from organizations.models import OrgUnit

BATCH_EVENTS = 50_000
# ItemDay counters, in the order of the upsert's columns
COUNTERS = ("reads", "new_readers", "likes", "unlikes", "shares", "clicks")


@dataclass
class FoldResult:
    batches: int = 0
    events: int = 0
    skipped_batches: int = 0  # pending batches found already folded (acknowledged only)
    malformed: int = 0
    seconds: float = 0.0
    batch_ids: list[str] = field(default_factory=list)


def _pause(point: str) -> None:
    """Test hook (tests/interaction/test_fold_crash.py): with EHOME_ENGAGEMENT_FOLD_PAUSE
    naming this point, say so in EHOME_ENGAGEMENT_FOLD_PAUSE_FILE and wait to be killed."""
    if os.environ.get("EHOME_ENGAGEMENT_FOLD_PAUSE") != point:
        return
    marker = os.environ.get("EHOME_ENGAGEMENT_FOLD_PAUSE_FILE")
    if marker:
        with open(marker, "w") as f:
            f.write(point)
    time.sleep(120)


def fold(*, buffer: Buffer | None = None, max_batches: int | None = None) -> FoldResult:
    """Fold what is pending, then what is waiting, batch by batch (the periodic job)."""
    buffer = buffer or get_buffer()
    result = FoldResult()
    started = time.monotonic()
    for batch_id in buffer.pending():
        _fold_batch(buffer, batch_id, result)
    while max_batches is None or result.batches < max_batches:
        batch_id = buffer.claim(BATCH_EVENTS)
        if batch_id is None:
            break
        _pause("claimed")
        _fold_batch(buffer, batch_id, result)
    result.seconds = time.monotonic() - started
    return result


def _fold_batch(buffer: Buffer, batch_id: str, result: FoldResult) -> None:
    lines = buffer.events(batch_id)
    sums = _Sums()
    for line in lines:
        if not sums.add(line):
            result.malformed += 1
    with transaction.atomic():
        if _claim_batch(batch_id, len(lines)):
            sums.write()
            _pause("written")
            result.batches += 1
            result.events += len(lines)
            result.batch_ids.append(batch_id)
        else:
            result.skipped_batches += 1
    _pause("committed")
    buffer.ack(batch_id)


def _claim_batch(batch_id: str, events: int) -> bool:
    """Insert the batch's FoldedBatch row; False when it was folded before."""
    table = FoldedBatch._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (batch_id, events, folded_at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (batch_id) DO NOTHING RETURNING id",
            [batch_id, events, timezone.now()],
        )
        return cur.fetchone() is not None


class _Sums:
    """One batch, summed in memory."""

    def __init__(self):
        self.day = defaultdict(lambda: [0, 0, 0, 0, 0, 0])  # (day, kind, item, unit) → COUNTERS
        self.first_read: dict[tuple, tuple] = {}  # (kind, item, member) → (day, unit)
        self.like_last: dict[tuple, tuple] = {}  # (kind, item, member) → (liked, day, unit)
        self.sharer = defaultdict(lambda: [0, 0])  # (kind, item, member) → shares, clicks
        self._dates: dict[str, dt.date] = {}  # a batch holds a few days: parse each once

    def add(self, line: str) -> bool:
        parts = line.split("|")
        if len(parts) != 6:
            return False
        type_, day, member, unit, kind, item = parts
        try:
            member, unit, item = int(member), int(unit), int(item)
            day = self._dates.get(day) or self._dates.setdefault(day, dt.date.fromisoformat(day))
        except ValueError:
            return False
        if type_ == "R":
            self.day[(day, kind, item, unit)][0] += 1
            self.first_read.setdefault((kind, item, member), (day, unit))
        elif type_ == "L" or type_ == "U":
            self.like_last[(kind, item, member)] = (type_ == "L", day, unit)
        elif type_ == "S":
            self.day[(day, kind, item, unit)][4] += 1
            self.sharer[(kind, item, member)][0] += 1
        elif type_ == "C":
            self.day[(day, kind, item, unit)][5] += 1
            self.sharer[(kind, item, member)][1] += 1
        else:
            return False
        return True

    def write(self) -> None:
        with connection.cursor() as cur:
            self._readers(cur)
            self._likes(cur)
            self._sharers(cur)
            self._days(cur)

    def _readers(self, cur) -> None:
        table = ItemReader._meta.db_table
        rows = [(k, i, m, d) for (k, i, m), (d, _u) in self.first_read.items()]
        if use_copy(rows):
            added = copy_insert(
                cur,
                "eng_reader_in (kind varchar(8), item_id bigint, member_id bigint, first_day date)",
                rows,
                f"INSERT INTO {table} (kind, item_id, member_id, first_day) "  # noqa: S608
                "SELECT kind, item_id, member_id, first_day FROM eng_reader_in "
                "ORDER BY kind, item_id, member_id "  # index order: fewer pages touched
                "ON CONFLICT (kind, item_id, member_id) DO NOTHING "
                "RETURNING kind, item_id, member_id",
            )
            for kind, item, member in added:
                day, unit = self.first_read[(kind, item, member)]
                self.day[(day, kind, item, unit)][1] += 1
            return
        for chunk in chunks(rows):
            values = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
            cur.execute(
                f"INSERT INTO {table} (kind, item_id, member_id, first_day) VALUES {values} "  # noqa: S608
                "ON CONFLICT (kind, item_id, member_id) DO NOTHING "
                "RETURNING kind, item_id, member_id",
                [v for row in chunk for v in row],
            )
            for kind, item, member in cur.fetchall():
                day, unit = self.first_read[(kind, item, member)]
                self.day[(day, kind, item, unit)][1] += 1

    def _likes(self, cur) -> None:
        if not self.like_last:
            return
        table = Like._meta.db_table
        now = timezone.now()
        on = [(k, i, m, now) for (k, i, m), (liked, _d, _u) in self.like_last.items() if liked]
        off = [key for key, (liked, _d, _u) in self.like_last.items() if not liked]
        added = []
        if use_copy(on):
            added = copy_insert(
                cur,
                "eng_like_in (kind varchar(8), item_id bigint, member_id bigint, "
                "liked_at timestamptz)",
                on,
                f"INSERT INTO {table} (kind, item_id, member_id, liked_at) "  # noqa: S608
                "SELECT kind, item_id, member_id, liked_at FROM eng_like_in "
                "ORDER BY kind, item_id, member_id "
                "ON CONFLICT (kind, item_id, member_id) DO NOTHING "
                "RETURNING kind, item_id, member_id",
            )
            on = []
        for chunk in chunks(on):
            values = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
            cur.execute(
                f"INSERT INTO {table} (kind, item_id, member_id, liked_at) VALUES {values} "  # noqa: S608
                "ON CONFLICT (kind, item_id, member_id) DO NOTHING "
                "RETURNING kind, item_id, member_id",
                [v for row in chunk for v in row],
            )
            added += cur.fetchall()
        for kind, item, member in added:
            _liked, day, unit = self.like_last[(kind, item, member)]
            self.day[(day, kind, item, unit)][2] += 1
        removed = []
        if use_copy(off):
            removed = copy_insert(
                cur,
                "eng_unlike_in (kind varchar(8), item_id bigint, member_id bigint)",
                off,
                f"DELETE FROM {table} l USING eng_unlike_in x "  # noqa: S608
                "WHERE l.kind = x.kind AND l.item_id = x.item_id AND l.member_id = x.member_id "
                "RETURNING l.kind, l.item_id, l.member_id",
            )
            off = []
        for chunk in chunks(off, 200):  # SQLite: an expression tree of ≤ 1,000 nodes
            cond = " OR ".join(["(kind = %s AND item_id = %s AND member_id = %s)"] * len(chunk))
            cur.execute(
                f"DELETE FROM {table} WHERE {cond} RETURNING kind, item_id, member_id",  # noqa: S608
                [v for row in chunk for v in row],
            )
            removed += cur.fetchall()
        for kind, item, member in removed:
            _liked, day, unit = self.like_last[(kind, item, member)]
            self.day[(day, kind, item, unit)][3] += 1

    def _sharers(self, cur) -> None:
        table = SharerStat._meta.db_table
        rows = [(k, i, m, s, c) for (k, i, m), (s, c) in self.sharer.items()]
        sets = (
            f"shares = {table}.shares + excluded.shares, clicks = {table}.clicks + excluded.clicks"
        )
        if use_copy(rows):
            copy_insert(
                cur,
                "eng_sharer_in (kind varchar(8), item_id bigint, member_id bigint, shares int, "
                "clicks int)",
                rows,
                f"INSERT INTO {table} (kind, item_id, member_id, shares, clicks) "  # noqa: S608
                "SELECT kind, item_id, member_id, shares, clicks FROM eng_sharer_in "
                "ORDER BY kind, item_id, member_id "
                f"ON CONFLICT (kind, item_id, member_id) DO UPDATE SET {sets}",
            )
            return
        for chunk in chunks(rows):
            values = ",".join(["(%s,%s,%s,%s,%s)"] * len(chunk))
            cur.execute(
                f"INSERT INTO {table} (kind, item_id, member_id, shares, clicks) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (kind, item_id, member_id) DO UPDATE SET {sets}",
                [v for row in chunk for v in row],
            )

    def _days(self, cur) -> None:
        if not self.day:
            return
        units = {key[3] for key in self.day}
        # events of a unit deleted since are dropped (nothing to attribute them to)
        known = dict(OrgUnit.objects.filter(pk__in=units).values_list("pk", "path"))
        news = {key[2] for key in self.day if key[1] == "news"}
        channel = channels_for(news)
        table = ItemDay._meta.db_table
        rows = []
        for (day, kind, item, unit), counts in self.day.items():
            if unit not in known or not any(counts):
                continue
            ch = channel.get(item, "news") if kind == "news" else FIXED_CHANNELS.get(kind, kind)
            rows.append((day, kind, item, unit, ch, *counts))
        cols = "day, kind, item_id, unit_id, channel, " + ", ".join(COUNTERS)
        sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
        if use_copy(rows):
            copy_insert(
                cur,
                "eng_day_in (day date, kind varchar(8), item_id bigint, unit_id bigint, "
                "channel varchar(64), reads int, new_readers int, likes int, unlikes int, "
                "shares int, clicks int)",
                rows,
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM eng_day_in "  # noqa: S608
                "ORDER BY day, kind, item_id, unit_id "
                f"ON CONFLICT (day, kind, item_id, unit_id) DO UPDATE SET {sets}",
            )
        else:
            self._days_values(cur, rows, cols, sets)
        months = month_rows(rows, known)
        months_write(cur, months)

    def _days_values(self, cur, rows, cols, sets) -> None:
        table = ItemDay._meta.db_table
        for chunk in chunks(rows):
            values = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(chunk))
            cur.execute(
                f"INSERT INTO {table} ({cols}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (day, kind, item_id, unit_id) DO UPDATE SET {sets}",
                [v for row in chunk for v in row],
            )
