"""Ranks from Redis sorted sets: "my rank" in O(log N) for contests and study points.

The database stays the source of truth (`ContestBest`, `ContestUnitScore`,
`PointBalance`; the top N is an index scan there). What the database cannot do cheaply is
"my rank": a COUNT of every better row, which for the last of 140,000 participants visits
140,000 index entries (~20 ms) — and everybody asks when a contest closes. With the Redis
cache configured, each ranking is a sorted set:

- ``contest:<id>:m``: member id → ``score × 10¹⁰ − elapsed_ms`` (higher score first, then
  faster);
- ``contest:<id>:u``: unit id → the unit's total score;
- ``points:<unit path>``: member id → points total, one set per unit subtree a member
  belongs to (their unit and its ancestors);

and a rank is ``ZCOUNT key (mine +inf`` — the number of strictly better entries, the same
tie rule as the database. Every value only grows (a contest best is replaced only by a
better one, totals only add up), so the writes after commit are ``ZADD GT`` with values
read back from the database: an update delivered late can never lower a newer one.

A set is (re)built from the database when its ``ready`` marker is missing (first use,
Redis flushed or restarted) and at the latest every READY_SECONDS, which also repairs an
update lost to a Redis outage. A rebuild fills ``<key>:build`` and renames it over the
set (readers never see half a set); updates committed meanwhile are written to both, so
the rename loses none. Without Redis, while another process rebuilds, for
EHOME_REDIS_RETRY_SECONDS after a Redis error, or while the cache's circuit breaker has
Redis down (core.cache), ranks come from the database COUNT: the leaderboards keep
answering.

An award is never lost to an outage (the database ledger is written first, in the
request's transaction); only its push to Redis is. A process that could not push an
update (Redis down at commit, or the push failed) drops every ``ready`` marker once Redis
answers again, so each set is rebuilt from the database on its next use instead of
serving ranks without the missed updates until READY_SECONDS.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from elearning.contests.models import ContestBest, ContestUnitScore, PointBalance
from organizations.models import ancestor_paths_of

log = logging.getLogger(__name__)

READY_SECONDS = 900
ELAPSED_SPAN = 10**10  # ms; far above any contest's duration
BATCH = 10_000
#: after a Redis error, ask the database for EHOME_REDIS_RETRY_SECONDS instead of waiting
#: on Redis again (per process: an outage costs one short timeout, not one per request)
_down_until = 0.0
#: this process skipped or lost a push to Redis: drop the ready markers once it is back
_missed = False


def client():
    """The Redis client of the cache, or None when the cache is not Redis."""
    get = getattr(cache, "redis_client", None)
    return get() if get is not None else None


def _cache_says_down() -> bool:
    down = getattr(cache, "redis_down", None)
    return down is not None and down()


def _usable_client():
    global _missed
    if time.monotonic() < _down_until or _cache_says_down():
        return None
    r = client()
    if r is not None and _missed:
        try:
            _forget_ready(r)
        except Exception as exc:  # noqa: BLE001 - still down: try again after the backoff
            _failed("ready markers", exc)
            return None
        _missed = False
    return r


def _forget_ready(r) -> None:
    """Delete every set's ready marker: each set is rebuilt on its next use."""
    batch = []
    for key in r.scan_iter(match=_key("*", "ready"), count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            r.delete(*batch)
            batch = []
    if batch:
        r.delete(*batch)
    log.warning("rankings: updates were missed during a Redis outage; sets rebuild on next use")


def _note_skipped() -> None:
    """An update was not pushed because Redis is down (not merely absent)."""
    global _missed
    if client() is not None:
        _missed = True


def _after_commit(push: Callable[[], None]) -> None:
    """Run `push` after commit when Redis is usable; remember the miss when it is not."""
    if _usable_client() is not None:
        transaction.on_commit(push)
    else:
        _note_skipped()


def _failed(name: str, exc: Exception, *, lost_update: bool = False) -> None:
    global _down_until, _missed
    _down_until = time.monotonic() + float(settings.EHOME_REDIS_RETRY_SECONDS)
    _missed = _missed or lost_update
    log.warning("ranking %s: Redis unavailable, the database answers for a while (%s)", name, exc)


def _key(name: str, part: str = "") -> str:
    return cache.make_key(f"lb:{name}{':' + part if part else ''}")


def _push(values: dict[str, dict[int, int]]) -> None:
    """ZADD GT `{set name: {object id: value}}` into the sets and any rebuild in progress."""
    if not values:
        return
    r = _usable_client()
    if r is None:
        _note_skipped()
        return
    try:
        pipe = r.pipeline(transaction=False)
        for name, members in values.items():
            mapping = {str(k): v for k, v in members.items()}
            pipe.zadd(_key(name), mapping, gt=True)
            pipe.zadd(_key(name, "build"), mapping, gt=True)
            pipe.expire(_key(name, "build"), 120)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - Redis down: the rebuild catches up
        _failed(",".join(values), exc, lost_update=True)


def _ready(name: str, rows: Callable[[], Iterable[tuple[int, int]]]):
    """The Redis client when the set `name` is usable (rebuilt from `rows()` if needed),
    else None."""
    r = _usable_client()
    if r is None:
        return None
    try:
        if r.exists(_key(name, "ready")):
            return r
        if not r.set(_key(name, "lock"), "1", nx=True, ex=60):
            return None  # another process is rebuilding: the database answers meanwhile
        try:
            tmp = _key(name, "build")
            r.delete(tmp)
            batch: dict = {}
            for obj_id, value in rows():
                batch[str(obj_id)] = value
                if len(batch) >= BATCH:
                    r.zadd(tmp, batch, gt=True)
                    batch = {}
            if batch:
                r.zadd(tmp, batch, gt=True)
            if r.exists(tmp):
                r.rename(tmp, _key(name))  # atomic: readers never see a half-built set
            else:
                r.delete(_key(name))
            r.set(_key(name, "ready"), "1", ex=READY_SECONDS)
        finally:
            r.delete(_key(name, "lock"))
        return r
    except Exception as exc:  # noqa: BLE001 - Redis down: the database answers
        _failed(name, exc)
        return None


def _pairs(qs, key: str, value: str) -> Callable[[], Iterable[tuple[int, int]]]:
    """`rows` for `_ready`: (id, value) pairs of `qs`, streamed in batches."""
    return lambda: qs.values_list(key, value).iterator(chunk_size=BATCH)


def _better(name: str, value: int, rows) -> int | None:
    """How many entries of the set are strictly above `value`, or None (ask the database)."""
    r = _ready(name, rows)
    if r is None:
        return None
    try:
        return int(r.zcount(_key(name), f"({value}", "+inf"))
    except Exception as exc:  # noqa: BLE001
        _failed(name, exc)
        return None


# --- contests ---------------------------------------------------------------------------
def member_value(score: int, elapsed_ms: int) -> int:
    return score * ELAPSED_SPAN - min(max(elapsed_ms, 0), ELAPSED_SPAN - 1)


def contest_record_after_commit(*, contest_id: int, member_id: int, unit_id: int) -> None:
    """Push a member's best and their unit's total once the transaction that changed them
    has committed (values read back from the database)."""
    _after_commit(lambda: _contest_push(contest_id, member_id, unit_id))


def _contest_push(contest_id: int, member_id: int, unit_id: int) -> None:
    best = (
        ContestBest.objects.filter(contest_id=contest_id, member_id=member_id)
        .values_list("score", "elapsed_ms")
        .first()
    )
    total = (
        ContestUnitScore.objects.filter(contest_id=contest_id, unit_id=unit_id)
        .values_list("total_score", flat=True)
        .first()
    )
    values = {}
    if best is not None:
        values[f"contest:{contest_id}:m"] = {member_id: member_value(*best)}
    if total is not None:
        values[f"contest:{contest_id}:u"] = {unit_id: total}
    _push(values)


def contest_member_better_count(*, contest_id: int, score: int, elapsed_ms: int) -> int | None:
    def rows():
        for m, s, e in (
            ContestBest.objects.filter(contest_id=contest_id)
            .values_list("member_id", "score", "elapsed_ms")
            .iterator(chunk_size=BATCH)
        ):
            yield m, member_value(s, e)

    return _better(f"contest:{contest_id}:m", member_value(score, elapsed_ms), rows)


def contest_unit_better_count(*, contest_id: int, total_score: int) -> int | None:
    rows = _pairs(ContestUnitScore.objects.filter(contest_id=contest_id), "unit_id", "total_score")
    return _better(f"contest:{contest_id}:u", total_score, rows)


# --- study points -----------------------------------------------------------------------
def points_record_after_commit(*, member_id: int) -> None:
    _after_commit(lambda: _points_push(member_id))


def _points_push(member_id: int) -> None:
    row = PointBalance.objects.filter(member_id=member_id).values_list("unit_path", "total")
    row = row.first()
    if row is not None:
        path, total = row
        _push({f"points:{p}": {member_id: total} for p in ancestor_paths_of(path)})


def points_moved_after_commit(rows: list[tuple[int, str, str, int]]) -> None:
    """Members re-filed from one unit path to another (`(member id, old path, new path,
    total)`): after commit, drop them from the sets of the subtrees they left and add them
    to the sets of the subtrees they joined."""
    if rows:
        _after_commit(lambda: _points_move(rows))


def _points_move(rows) -> None:
    r = _usable_client()
    if r is None:
        _note_skipped()
        return
    try:
        pipe = r.pipeline(transaction=False)
        for member_id, old, new, _ in rows:
            for path in set(ancestor_paths_of(old)) - set(ancestor_paths_of(new)):
                pipe.zrem(_key(f"points:{path}"), str(member_id))
                pipe.zrem(_key(f"points:{path}", "build"), str(member_id))
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - Redis down: the rebuild catches up
        _failed("points", exc, lost_update=True)
        return
    joined: dict[str, dict[int, int]] = {}
    for member_id, _, new, total in rows:
        for path in ancestor_paths_of(new):
            joined.setdefault(f"points:{path}", {})[member_id] = total
    _push(joined)


def points_better_count(*, unit_path: str, total: int) -> int | None:
    """Members of the subtree at `unit_path` with more points than `total`."""
    rows = _pairs(
        PointBalance.objects.filter(unit_path__startswith=unit_path), "member_id", "total"
    )
    return _better(f"points:{unit_path}", total, rows)
