"""Django's Redis cache, keeping one `redis.Redis` client per connection pool, and
degrading instead of failing when Redis is down.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` object (connection
pool look-up, response-callback tables) for every cache call; on the API's 304 path —
one `MGET` per request — that construction cost about as much as the round trip itself.
A `redis.Redis` object is thread-safe (it borrows a pooled connection per command), so
one per pool is what redis-py recommends. Plus `incr_window` for the API's rate limits
(api.throttling).

**Redis unavailable** (stopped, unreachable, frozen, out of memory: any `RedisError`).
The cache is an accelerator, never the source of truth, so no cache call raises:

- every socket operation is bounded by short timeouts (`EHOME_REDIS_TIMEOUT`, default
  0.5 s, for connect and for each reply) instead of redis-py's 5 s, without retries;
- the first failure opens a per-process *circuit breaker* for `EHOME_REDIS_RETRY_SECONDS`
  (default 5 s): meanwhile cache calls do not touch the network at all; then ONE call
  probes Redis again (the others keep skipping) and either closes the breaker or
  re-opens it. A frozen Redis costs one timeout per process per interval, not one per
  request. The outage and the recovery are logged once, and a still-down Redis at most
  once a minute (`core.cache` logger), never per request;
- reads are misses (`get` → default, `get_many` → {}), writes are dropped, `add` and
  `touch` answer False, `incr` raises ValueError as for a missing key;
- deletions that could not reach Redis are remembered (per process, up to
  PENDING_DELETES_MAX keys) and replayed before anything else once Redis answers again,
  so an invalidation made during the outage is not undone by a stale entry that survived
  in Redis (a frozen or unreachable Redis keeps its data);
- rate-limit counters (keys starting with `throttle_`, DRF's and api.throttling's format)
  are counted in this process's memory while Redis is unavailable: every limit, login
  brute-force protection included, keeps working per process (docs/operations.md
  explains the choice).

`redis_down()` lets code that talks to Redis directly through `redis_client()`
(elearning.contests.leaderboards) skip Redis while the breaker is open.

Over 400 lines: one cache backend (the pooled Redis client, its degrading wrapper and
the file cache every process shares) whose parts share the key and timeout handling.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.files import locks
from redis.exceptions import NoScriptError, RedisError

log = logging.getLogger(__name__)

#: keys counted in process memory while Redis is unavailable (rate limits)
LOCAL_FALLBACK_PREFIXES = ("throttle_",)
#: at most this many failed deletions are kept for replay (per process and server)
PENDING_DELETES_MAX = 10_000

#: api.throttling's window counter: INCR, and the expiry set when the key is new (or has
#: none) — atomic on the server, one round trip
INCR_WINDOW_LUA = (
    "local n = redis.call('INCRBY', KEYS[1], ARGV[2]) "
    "if n == tonumber(ARGV[2]) or redis.call('TTL', KEYS[1]) < 0 then "
    "redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return n"
)
INCR_WINDOW_SHA = hashlib.sha1(INCR_WINDOW_LUA.encode()).hexdigest()
#: a Redis that stays down is logged again at most this often (seconds)
LOG_INTERVAL = 60.0


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class Breaker:
    """The availability of one Redis location as seen by this process (shared by its
    threads: Django builds one cache object per thread)."""

    def __init__(self, name: str):
        self.name = name
        self.failing = False
        self.open_until = 0.0  # time.monotonic(): until then, do not touch Redis
        self.last_logged = 0.0
        self.pending_deletes: set[str] = set()
        self.pending_overflow = False
        self._lock = threading.Lock()

    @staticmethod
    def retry_seconds() -> float:
        return float(getattr(settings, "EHOME_REDIS_RETRY_SECONDS", 5.0))

    def down(self) -> bool:
        """True while the breaker is open (no claim: for a quick "skip Redis?")."""
        return self.failing and time.monotonic() < self.open_until

    def allow(self) -> bool:
        """May this call use Redis? While failing, once the interval is over, the first
        caller is let through as the probe and the interval restarts for everyone else."""
        if not self.failing:
            return True
        now = time.monotonic()
        if now < self.open_until:
            return False
        with self._lock:
            if now < self.open_until:
                return False
            self.open_until = now + self.retry_seconds()
            return True

    def failure(self, exc: Exception, what: str) -> None:
        now = time.monotonic()
        with self._lock:
            first = not self.failing
            self.failing = True
            self.open_until = now + self.retry_seconds()
            if not first and now - self.last_logged < LOG_INTERVAL:
                return
            self.last_logged = now
        log.warning(
            "Redis %s %s (%s: %s): cache reads are misses, writes are dropped and rate "
            "limits count in process memory; next try in %.1f s",
            self.name,
            "unavailable" if first else "still unavailable",
            what,
            exc.__class__.__name__,
            self.retry_seconds(),
        )

    def success(self) -> bool:
        """Record a successful call; True for the call that ended an outage."""
        if not self.failing:
            return False
        with self._lock:
            if not self.failing:
                return False
            self.failing = False
            self.open_until = 0.0
        log.warning("Redis %s answers again: the cache is back in use", self.name)
        return True

    def remember_deletes(self, keys) -> None:
        with self._lock:
            room = PENDING_DELETES_MAX - len(self.pending_deletes)
            keys = list(keys)
            if len(keys) > room:
                self.pending_overflow = True
                keys = keys[: max(room, 0)]
            self.pending_deletes.update(keys)

    def take_deletes(self) -> tuple[list[str], bool]:
        with self._lock:
            keys, overflow = list(self.pending_deletes), self.pending_overflow
            self.pending_deletes, self.pending_overflow = set(), False
        return keys, overflow


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(servers) -> Breaker:
    name = ",".join(servers) if not isinstance(servers, str) else servers
    breaker = _breakers.get(name)
    if breaker is None:
        with _breakers_lock:
            breaker = _breakers.setdefault(name, Breaker(_safe_name(name)))
    return breaker


def _safe_name(location: str) -> str:
    """The location without credentials, for log lines."""
    out = []
    for server in location.split(","):
        scheme, sep, rest = server.partition("://")
        if sep and "@" in rest:
            rest = rest.split("@", 1)[1]
        out.append(f"{scheme}{sep}{rest}")
    return ",".join(out)


def _local(key: str) -> bool:
    return isinstance(key, str) and key.startswith(LOCAL_FALLBACK_PREFIXES)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        timeout = float(getattr(settings, "EHOME_REDIS_TIMEOUT", 0.5))
        self._options = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "retry_on_timeout": False,
            **self._options,
        }
        self._breaker = breaker_for(self._servers)
        # one store per process and location: rate-limit counters while Redis is down
        self._fallback = LocMemCache(
            f"ehome-redis-fallback:{self._breaker.name}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 10},
            },
        )

    # --- the breaker ------------------------------------------------------------------
    def _run(self, what: str, call, fallback):
        breaker = self._breaker
        if (breaker.failing or breaker.pending_deletes) and not (breaker.allow() and self._probe()):
            return fallback()
        try:
            return call()
        except RedisError as exc:
            breaker.failure(exc, what)
            return fallback()

    def _probe(self) -> bool:
        """Before the first call after an outage: replay the deletions that failed (or
        PING when there are none). False (and the breaker re-opened) if Redis still fails.
        Replaying first keeps that call from reading an entry it should not see."""
        breaker = self._breaker
        keys, overflow = breaker.take_deletes()
        try:
            client = self._cache.get_client(None, write=True)
            for i in range(0, len(keys), 1000):
                client.delete(*keys[i : i + 1000])
            if not keys:
                client.ping()
        except RedisError as exc:
            breaker.remember_deletes(keys)
            breaker.failure(exc, "probe")
            return False
        breaker.success()
        if overflow:
            log.warning(
                "Redis %s: more than %d deletions failed during the outage; the others "
                "expire with their timeouts",
                breaker.name,
                PENDING_DELETES_MAX,
            )
        return True

    def redis_down(self) -> bool:
        """True while this process treats Redis as unavailable (no network call)."""
        return self._breaker.down()

    # --- the cache API, failing open --------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(
            "add",
            lambda: super(RedisCache, self).add(key, value, timeout, version),
            lambda: self._fallback.add(key, value, timeout, version) if _local(key) else False,
        )

    def get(self, key, default=None, version=None):
        return self._run(
            "get",
            lambda: super(RedisCache, self).get(key, default, version),
            lambda: self._fallback.get(key, default, version) if _local(key) else default,
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(
            "set",
            lambda: super(RedisCache, self).set(key, value, timeout, version),
            lambda: self._fallback.set(key, value, timeout, version) if _local(key) else None,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(
            "touch",
            lambda: super(RedisCache, self).touch(key, timeout, version),
            lambda: self._fallback.touch(key, timeout, version) if _local(key) else False,
        )

    def delete(self, key, version=None):
        def fallback():
            self._breaker.remember_deletes([self.make_and_validate_key(key, version=version)])
            return self._fallback.delete(key, version) if _local(key) else False

        return self._run("delete", lambda: super(RedisCache, self).delete(key, version), fallback)

    def get_many(self, keys, version=None):
        keys = list(keys)

        def fallback():
            local = [k for k in keys if _local(k)]
            return self._fallback.get_many(local, version) if local else {}

        return self._run(
            "get_many", lambda: super(RedisCache, self).get_many(keys, version), fallback
        )

    def has_key(self, key, version=None):
        return self._run(
            "has_key",
            lambda: super(RedisCache, self).has_key(key, version),
            lambda: self._fallback.has_key(key, version) if _local(key) else False,
        )

    def incr(self, key, delta=1, version=None):
        def fallback():
            if _local(key):
                return self._fallback.incr(key, delta, version)
            raise ValueError(f"Key '{key}' not found (Redis unavailable).")

        return self._run(
            "incr", lambda: super(RedisCache, self).incr(key, delta, version), fallback
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        def fallback():
            local = {k: v for k, v in data.items() if _local(k)}
            if local:
                self._fallback.set_many(local, timeout, version)
            return [k for k in data if not _local(k)]

        return self._run(
            "set_many", lambda: super(RedisCache, self).set_many(data, timeout, version), fallback
        )

    def delete_many(self, keys, version=None):
        keys = list(keys)

        def fallback():
            self._breaker.remember_deletes(
                [self.make_and_validate_key(k, version=version) for k in keys]
            )
            local = [k for k in keys if _local(k)]
            if local:
                self._fallback.delete_many(local, version)

        return self._run(
            "delete_many", lambda: super(RedisCache, self).delete_many(keys, version), fallback
        )

    def clear(self):
        """Delete this cache's own keys (those under its KEY_PREFIX), not the whole
        database: RQ keeps its queues and jobs in the same Redis database (RQ_QUEUES), and
        Django's FLUSHDB would drop every queued job with them."""

        def scoped():
            client = self._cache.get_client(None, write=True)
            pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix) + ":*"
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) == 1000:
                    client.unlink(*batch)
                    batch = []
            if batch:
                client.unlink(*batch)
            return True

        return self._run("clear", scoped, lambda: False)

    # --- direct Redis access ----------------------------------------------------------
    def redis_client(self):
        """The redis-py client, for data structures the cache API lacks (sorted sets:
        elearning.contests.leaderboards). Keys must come from `make_key`. The caller handles
        `RedisError` itself (elearning.contests.leaderboards backs off on its own)."""
        return self._cache.get_client(write=True)

    def incr_window(self, key: str, timeout: int, amount: int = 1) -> int:
        """Add `amount` to a counter and set its expiry in ONE command (api.throttling): a
        server-side script, atomic, that sets the expiry when the INCRBY made the key
        (redis-py's pipeline for INCR + EXPIRE cost ~3× the CPU on the client). The count
        after it. In process memory while Redis is unavailable."""

        def redis_incr():
            made = self.make_and_validate_key(key)
            client = self._cache.get_client(made, write=True)
            args = (made, int(timeout), int(amount))
            try:
                return int(client.evalsha(INCR_WINDOW_SHA, 1, *args))
            except NoScriptError:  # a restarted or flushed Redis: EVAL loads it again
                return int(client.eval(INCR_WINDOW_LUA, 1, *args))

        def local_incr():
            self._fallback.add(key, 0, timeout)
            try:
                return self._fallback.incr(key, amount)
            except ValueError:  # expired between add and incr
                self._fallback.set(key, amount, timeout)
                return amount

        return self._run("incr_window", redis_incr, local_incr)


class SharedFileCache(FileBasedCache):
    """The embedded profile's cache (no REDIS_URL): files under `var/cache/`, one cache
    for every process of the install — the web server, the task worker, a `manage.py`
    command. A local-memory cache is per process: a change made by the worker or a
    command (a scheduled page going live, an import, "log out everywhere") left the web
    process answering 304 with a stale ETag, or accepting a revoked login, for minutes.

    Counters (`add`, `incr`, `incr_window`: the rate and login limits) are updated under
    an exclusive lock on one lock file, so they count across processes and threads. The
    directory is checked against MAX_ENTRIES at most every CULL_INTERVAL seconds per
    process instead of on every write."""

    CULL_INTERVAL = 10.0

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._lock_path = os.path.join(self._dir, "counters.lock")
        self._next_cull = 0.0

    @contextmanager
    def _counter_lock(self):
        self._createdir()
        with open(self._lock_path, "ab") as f:
            locks.lock(f, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(f)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._counter_lock():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._counter_lock():
            return super().incr(key, delta, version)

    def incr_window(self, key: str, timeout: int, amount: int = 1) -> int:
        """Count `amount` hits in a fixed-window counter (api.throttling), atomically."""
        with self._counter_lock():
            count = int(self.get(key) or 0) + amount
            self.set(key, count, timeout)
            return count

    def _cull(self):
        now = time.monotonic()
        if now < self._next_cull:
            return
        self._next_cull = now + self.CULL_INTERVAL
        super()._cull()
