"""The fold survives a real SIGKILL at each critical point without losing or
double-counting an event: a real `manage.py engagement_fold` process is stopped at the
point (after the claim; inside the transaction, after the upserts; after the commit,
before the ack) and killed with SIGKILL; a second fold then finishes the job, and the
roll-ups hold every event exactly once. Runs on the buffer the environment configures
(Redis with REDIS_URL, else the spool file) against PostgreSQL (a second process must see
the test database)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.db.models import Sum

from interaction.engagement.buffer import event_line, get_buffer
from interaction.engagement.fold import fold
from interaction.engagement.models import FoldedBatch, ItemDay, ItemMonth, ItemReader, SharerStat
from tests.factories import make_org_tree
from tests.procs import ROOT, database_url, require_shared_database, wait_for

pytestmark = [pytest.mark.pg_only, pytest.mark.django_db(transaction=True)]
DAY = dt.date(2026, 11, 20)


def _events(org, n_members: int) -> list[str]:
    """Reads of item 1 by n members of A1 and B1, each member's share of item 2 and
    two clicks on it."""
    lines = []
    for m in range(1, n_members + 1):
        unit = org.a1.pk if m % 2 else org.b1.pk
        lines.append(event_line("R", DAY, m, unit, "story", 1))
        lines.append(event_line("S", DAY, m, unit, "story", 2))
        lines += [event_line("C", DAY, m, unit, "story", 2)] * 2
    return lines


def _totals() -> dict:
    sums = ItemDay.objects.aggregate(
        reads=Sum("reads"),
        new_readers=Sum("new_readers"),
        shares=Sum("shares"),
        clicks=Sum("clicks"),
    )
    sums["readers"] = ItemReader.objects.count()
    # the month roll-ups are folded in the same transaction: the tree's root level sums
    # the same reads and clicks as the days
    month = ItemMonth.objects.filter(level=1).aggregate(r=Sum("reads"), c=Sum("clicks"))
    sums["month_reads"], sums["month_clicks"] = month["r"], month["c"]
    sums["sharer_clicks"] = SharerStat.objects.aggregate(c=Sum("clicks"))["c"]
    return sums


def _expected(n: int) -> dict:
    return {
        "reads": n,
        "new_readers": n,
        "shares": n,
        "clicks": 2 * n,
        "readers": n,
        "sharer_clicks": 2 * n,
        "month_reads": n,
        "month_clicks": 2 * n,
    }


def _kill_fold_at(point: str, tmp_path) -> None:
    marker = tmp_path / f"paused-{point}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url("engagement-fold-crash"),
        "EHOME_ENGAGEMENT_FOLD_PAUSE": point,
        "EHOME_ENGAGEMENT_FOLD_PAUSE_FILE": str(marker),
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "engagement_fold"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        paused = wait_for(lambda: marker.exists() or proc.poll() is not None, timeout=90)
        assert paused and marker.exists(), proc.stdout.read().decode(errors="replace")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()


@pytest.fixture
def org_committed():
    require_shared_database()
    return make_org_tree()


@pytest.mark.parametrize("point", ["claimed", "written"])
def test_killed_before_commit_loses_nothing(point, org_committed, tmp_path):
    buf = get_buffer()
    buf.clear()
    for line in _events(org_committed, 200):
        buf.append(line)

    _kill_fold_at(point, tmp_path)

    assert not ItemDay.objects.exists()  # the dead transaction left nothing
    assert len(buf.pending()) == 1 and buf.waiting() == 0  # the batch waits, claimed
    for line in _events(org_committed, 200)[:4]:  # new events meanwhile: member 1 again
        buf.append(line)
    result = fold()
    assert result.batches == 2 and result.skipped_batches == 0
    expected = _expected(200)
    expected.update(reads=201, shares=201, clicks=402, sharer_clicks=402)
    expected.update(month_reads=201, month_clicks=402)  # the repeat
    assert _totals() == expected  # member 1's second read is a read, not a new reader
    assert buf.pending() == [] and buf.waiting() == 0
    assert fold().events == 0 and _totals() == expected  # idempotent


def test_killed_after_commit_before_ack_counts_once(org_committed, tmp_path):
    buf = get_buffer()
    buf.clear()
    for line in _events(org_committed, 150):
        buf.append(line)

    _kill_fold_at("committed", tmp_path)

    assert _totals() == _expected(150)  # committed
    (batch_id,) = buf.pending()  # ...but never acknowledged
    assert FoldedBatch.objects.filter(batch_id=batch_id).exists()
    result = fold()
    assert (result.batches, result.skipped_batches, result.events) == (0, 1, 0)
    assert _totals() == _expected(150)  # not twice
    assert buf.pending() == []
