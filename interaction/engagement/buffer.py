"""Where engagement events wait for the fold: Redis when REDIS_URL is set, else an
append-only spool file under var/engagement/ (the embedded default).

An event is one short text line: ``type|day|member|unit|kind|item`` with type R (read),
L / U (like / unlike: a change of the member's like state), S (share) or C (click on a
share link; member and unit are the sharer's). The request path appends a line and never
writes a database row.

Both backends keep the same claim/ack protocol (docs/architecture.md):

- `claim(n)` moves up to n waiting events into a new batch with its own id, atomically
  (Redis: one Lua script moves them from the events list into ``batch:<id>`` and adds the
  id to the ``batches`` set; spool: the events file is renamed to ``batch-<id>.log``
  under an exclusive lock that appenders take shared).
- `pending()` lists the batches claimed and not yet acknowledged, oldest first: a fold
  that died after claiming left its batch there, and the next fold folds it.
- `ack(id)` deletes the batch — only after the roll-ups of that batch were committed
  with their `FoldedBatch` row, so a batch is folded at most once (the row) and never
  dropped before it was (the ack comes last).

"Once per member per item per day" is decided here, on the request path: Redis keeps a
set per day of ``member:kind:item`` (SADD answers whether it is new, atomically with the
append); the spool backend asks the install's shared cache (`cache.add`). A member's like
state lives in a Redis set per item (warmed from the folded `Like` rows when missing) or
in the shared cache over the `Like` rows.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

SEEN_TTL = 3 * 86400  # a day's dedup set outlives the day (time zones, late folds)
_local = threading.local()


def new_batch_id() -> str:
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def event_line(type_: str, day, member_id: int, unit_id: int, kind: str, item_id: int) -> str:
    return f"{type_}|{day.isoformat()}|{member_id}|{unit_id}|{kind}|{item_id}"


class Buffer:
    def read(self, *, day, member_id: int, unit_id: int, kind: str, item_id: int) -> bool:
        raise NotImplementedError

    def like_set(self, *, day, member_id, unit_id, kind, item_id, liked: bool) -> bool:
        raise NotImplementedError

    def like_state(self, *, member_id: int, kind: str, item_id: int) -> bool:
        raise NotImplementedError

    def append(self, line: str) -> None:
        raise NotImplementedError

    def apply(self, ops: list[tuple[str, dict]]) -> list:
        """Several events at once (the API's batch endpoint): ("read" | "like" | "unlike"
        | "share", fields) each; the outcome of each (read: counted; like: changed)."""
        out = []
        for type_, f in ops:
            if type_ == "read":
                out.append(self.read(**f))
            elif type_ in ("like", "unlike"):
                out.append(self.like_set(**f, liked=type_ == "like"))
            else:
                line = event_line(
                    "S", f["day"], f["member_id"], f["unit_id"], f["kind"], f["item_id"]
                )
                self.append(line)
                out.append(True)
        return out

    def claim(self, n: int) -> str | None:
        raise NotImplementedError

    def pending(self) -> list[str]:
        raise NotImplementedError

    def events(self, batch_id: str) -> list[str]:
        raise NotImplementedError

    def ack(self, batch_id: str) -> None:
        raise NotImplementedError

    def waiting(self) -> int:
        raise NotImplementedError

    def clear(self) -> None:
        """Forget everything (tests and benchmarks only)."""
        raise NotImplementedError


def _folded_like(member_id: int, kind: str, item_id: int) -> bool:
    from interaction.engagement.models import Like

    return Like.objects.filter(kind=kind, item_id=item_id, member_id=member_id).exists()


# --- Redis ---------------------------------------------------------------------------
_READ = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""
# -1: the item's like set is not in Redis (warm it from the database, then retry)
_LIKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local changed
if ARGV[2] == '1' then changed = redis.call('SADD', KEYS[1], ARGV[1])
else changed = redis.call('SREM', KEYS[1], ARGV[1]) end
if changed == 1 then redis.call('RPUSH', KEYS[2], ARGV[3]) end
return changed
"""
_CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return 0 end
for i = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('SADD', KEYS[3], ARGV[2])
return #items
"""
# a batch's events as one newline-joined string: one bulk reply instead of 50,000 list
# elements for the client to parse (an event line never contains a newline)
_EVENTS = """
return table.concat(redis.call('LRANGE', KEYS[1], 0, -1), '\\n')
"""
LIKE_SENTINEL = "-"  # keeps an item's like set in existence when nobody likes it


class RedisBuffer(Buffer):
    def __init__(self, url: str, prefix: str):
        import redis

        self.r = redis.Redis.from_url(url, decode_responses=True)
        self.p = prefix
        self._read = self.r.register_script(_READ)
        self._like = self.r.register_script(_LIKE)
        self._claim = self.r.register_script(_CLAIM)
        self._events = self.r.register_script(_EVENTS)

    def _k(self, *parts) -> str:
        return self.p + ":".join(str(p) for p in parts)

    def read(self, *, day, member_id, unit_id, kind, item_id) -> bool:
        line = event_line("R", day, member_id, unit_id, kind, item_id)
        keys = [self._k("seen", day.isoformat()), self._k("events")]
        return bool(self._read(keys=keys, args=[f"{member_id}:{kind}:{item_id}", line, SEEN_TTL]))

    def _warm(self, kind: str, item_id: int) -> None:
        from interaction.engagement.models import Like

        members = Like.objects.filter(kind=kind, item_id=item_id).values_list(
            "member_id", flat=True
        )
        # SADD of what the database holds never undoes a newer state already in Redis
        self.r.sadd(self._k("like", kind, item_id), LIKE_SENTINEL, *members)

    def like_set(self, *, day, member_id, unit_id, kind, item_id, liked: bool) -> bool:
        line = event_line("L" if liked else "U", day, member_id, unit_id, kind, item_id)
        keys = [self._k("like", kind, item_id), self._k("events")]
        args = [str(member_id), "1" if liked else "0", line]
        changed = self._like(keys=keys, args=args)
        if changed == -1:
            self._warm(kind, item_id)
            changed = self._like(keys=keys, args=args)
        return changed == 1

    def like_state(self, *, member_id, kind, item_id) -> bool:
        key = self._k("like", kind, item_id)
        pipe = self.r.pipeline(transaction=False)
        pipe.exists(key)
        pipe.sismember(key, str(member_id))
        exists, member = pipe.execute()
        if not exists:
            return _folded_like(member_id, kind, item_id)
        return bool(member)

    def append(self, line: str) -> None:
        self.r.rpush(self._k("events"), line)

    def apply(self, ops: list[tuple[str, dict]]) -> list:
        """One round trip for the whole batch (likes on a cold item set: one more each)."""
        pipe = self.r.pipeline(transaction=False)
        events = self._k("events")
        for type_, f in ops:
            kind, item, member = f["kind"], f["item_id"], f["member_id"]
            if type_ == "read":
                line = event_line("R", f["day"], member, f["unit_id"], kind, item)
                keys = [self._k("seen", f["day"].isoformat()), events]
                self._read(keys=keys, args=[f"{member}:{kind}:{item}", line, SEEN_TTL], client=pipe)
            elif type_ in ("like", "unlike"):
                liked = type_ == "like"
                line = event_line("L" if liked else "U", f["day"], member, f["unit_id"], kind, item)
                keys = [self._k("like", kind, item), events]
                self._like(keys=keys, args=[str(member), "1" if liked else "0", line], client=pipe)
            else:
                pipe.rpush(events, event_line("S", f["day"], member, f["unit_id"], kind, item))
        out = []
        for (type_, f), value in zip(ops, pipe.execute(), strict=True):
            if type_ in ("like", "unlike") and value == -1:
                value = self.like_set(**f, liked=type_ == "like")
            out.append(value == 1 if type_ != "share" else True)
        return out

    def claim(self, n: int) -> str | None:
        batch_id = new_batch_id()
        keys = [self._k("events"), self._k("batch", batch_id), self._k("batches")]
        return batch_id if self._claim(keys=keys, args=[n, batch_id]) else None

    def pending(self) -> list[str]:
        return sorted(self.r.smembers(self._k("batches")))

    def events(self, batch_id: str) -> list[str]:
        text = self._events(keys=[self._k("batch", batch_id)])
        return text.split("\n") if text else []

    def ack(self, batch_id: str) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self._k("batch", batch_id))
        pipe.srem(self._k("batches"), batch_id)
        pipe.execute()

    def waiting(self) -> int:
        return self.r.llen(self._k("events"))

    def clear(self) -> None:
        keys = list(self.r.scan_iter(match=self.p + "*", count=1000))
        for i in range(0, len(keys), 500):
            self.r.delete(*keys[i : i + 500])


# --- spool file ----------------------------------------------------------------------
class SpoolBuffer(Buffer):
    """Appenders hold a shared lock on ``spool.lock`` while they append to ``events.log``
    (O_APPEND: each line is one write); `claim` holds it exclusively while it renames the
    file to ``batch-<id>.log``, so no line lands in a batch after it was claimed."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.events_path = self.dir / "events.log"

    def _lock(self, mode: int):
        fd = os.open(self.dir / "spool.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, mode)
        return fd

    def append(self, line: str) -> None:
        fd = self._lock(fcntl.LOCK_SH)
        try:
            out = os.open(self.events_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(out, (line + "\n").encode())
            finally:
                os.close(out)
        finally:
            os.close(fd)  # closing releases the lock

    def read(self, *, day, member_id, unit_id, kind, item_id) -> bool:
        key = f"eng-seen:{day.isoformat()}:{member_id}:{kind}:{item_id}"
        if not cache.add(key, 1, SEEN_TTL):
            return False
        self.append(event_line("R", day, member_id, unit_id, kind, item_id))
        return True

    def _like_key(self, member_id, kind, item_id) -> str:
        return f"eng-like:{kind}:{item_id}:{member_id}"

    def like_state(self, *, member_id, kind, item_id) -> bool:
        state = cache.get(self._like_key(member_id, kind, item_id))
        if state is None:
            return _folded_like(member_id, kind, item_id)
        return state == 1

    def like_set(self, *, day, member_id, unit_id, kind, item_id, liked: bool) -> bool:
        if self.like_state(member_id=member_id, kind=kind, item_id=item_id) == liked:
            return False
        cache.set(self._like_key(member_id, kind, item_id), 1 if liked else 0, SEEN_TTL)
        self.append(event_line("L" if liked else "U", day, member_id, unit_id, kind, item_id))
        return True

    def claim(self, n: int) -> str | None:
        # n is not honoured: the whole file is one batch (the embedded default is small)
        fd = self._lock(fcntl.LOCK_EX)
        try:
            if not self.events_path.exists() or self.events_path.stat().st_size == 0:
                return None
            batch_id = new_batch_id()
            os.rename(self.events_path, self.dir / f"batch-{batch_id}.log")
            return batch_id
        finally:
            os.close(fd)

    def pending(self) -> list[str]:
        return sorted(p.name[len("batch-") : -len(".log")] for p in self.dir.glob("batch-*.log"))

    def events(self, batch_id: str) -> list[str]:
        text = (self.dir / f"batch-{batch_id}.log").read_text()
        return [line for line in text.split("\n") if line]

    def ack(self, batch_id: str) -> None:
        (self.dir / f"batch-{batch_id}.log").unlink(missing_ok=True)

    def waiting(self) -> int:
        if not self.events_path.exists():
            return 0
        with open(self.events_path, "rb") as f:
            return sum(1 for _ in f)

    def clear(self) -> None:
        for p in self.dir.glob("*.log"):
            p.unlink()


class DirectBuffer(SpoolBuffer):
    """The same-run baseline of bench/engagement.py ONLY (EHOME_ENGAGEMENT_BUFFER=direct):
    every event is one upsert statement into the roll-up table on the request path — what
    the buffer exists to avoid. Dedup and like state as the spool backend."""

    def append(self, line: str) -> None:
        from django.db import connection

        from interaction.engagement.models import ItemDay

        type_, day, _member, unit, kind, item = line.split("|")
        col = {"R": "reads", "L": "likes", "U": "unlikes", "S": "shares", "C": "clicks"}[type_]
        table = ItemDay._meta.db_table
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} (day, kind, item_id, unit_id, channel, reads, new_readers, "  # noqa: S608
                "likes, unlikes, shares, clicks) VALUES (%s, %s, %s, %s, '', 0, 0, 0, 0, 0, 0) "
                f"ON CONFLICT (day, kind, item_id, unit_id) DO UPDATE SET {col} = {table}.{col} + 1",
                [day, kind, int(item), int(unit)],
            )


def _prefix() -> str:
    # not under the cache's KEY_PREFIX: clearing the cache must not drop buffered events
    # and tests (each xdist worker apart) never share keys with an install on that Redis
    base = getattr(settings, "EHOME_ENGAGEMENT_PREFIX", "") or "ehome-engagement"
    if getattr(settings, "TESTING", False):
        base += "-test" + (f"-{settings.TEST_WORKER}" if settings.TEST_WORKER else "")
    return f"{base}:"


def get_buffer() -> Buffer:
    """The process's buffer (one per thread: redis clients are shared through its pool)."""
    key = (settings.REDIS_URL or "", str(settings.VAR_DIR), _prefix())
    buf = getattr(_local, "buffers", {}).get(key)
    if buf is None:
        if getattr(settings, "EHOME_ENGAGEMENT_BUFFER", "") == "direct":
            buf = DirectBuffer(Path(settings.VAR_DIR) / "engagement-direct")
        elif settings.REDIS_URL:
            buf = RedisBuffer(settings.REDIS_URL, _prefix())
        else:
            buf = SpoolBuffer(Path(settings.VAR_DIR) / "engagement")
        _local.buffers = {**getattr(_local, "buffers", {}), key: buf}
    return buf
