"""Request-rate limits for the API as fixed-window counters.

DRF's `SimpleRateThrottle` keeps every request time of the window in one cache value and
reads, unpickles, re-pickles and writes the whole list on every request: at the default
6,000/min a busy member's list holds thousands of floats, and on the progress-report path
(a phone every few seconds, the busiest endpoint) that cost more CPU than the database
write. Here each (client, window) is one integer: an atomic `INCR` + `EXPIRE` in one Redis
round trip (`core.cache.RedisCache.incr_window`), or `add` + `incr` on other caches.
A fixed window lets a client spend up to twice the rate across a window boundary — fine
for abuse protection, which is what these limits are for. At rates of a few hundred or
more per window, a process takes its hits from the counter in leases of up to ten
(`window_hit`): one round trip per ten requests of a client instead of one per request.
A refused request gets 429 with `Retry-After` = the seconds until the window ends.
"""

from __future__ import annotations

import math
import threading

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from core.client_ip import client_ip

#: (window key) → [ordinals left, last ordinal] of this process's lease
_LEASES: dict[str, list[int]] = {}
_LEASES_MAX = 50_000
_LEASES_LOCK = threading.Lock()


def lease_size(limit: int | None) -> int:
    """How many hits one round trip to the counter takes for a window of `limit`: one
    below 200 (every hit counted where it happens), up to ten from 1,000 on."""
    return 1 if not limit else max(1, min(10, limit // 100))


def window_hit(cache, key: str, timeout: int, limit: int | None = None) -> int:
    """Count one request in the window `key`; its ordinal in the window (the count so
    far, this one included). With a `limit` of a few hundred or more, the hits are taken
    from the shared counter in leases (`lease_size`): one round trip adds a lease to the
    count, and this process hands its ordinals to its next requests of the window. Each
    ordinal belongs to one request, so no more than `limit` requests are allowed in a
    window; a lease a process does not use up before the window ends only counts as
    spent (at most `lease_size - 1` per process and window: at the default 6,000/min,
    a client is refused at most 9 requests per worker process early)."""
    lease = lease_size(limit)
    if lease > 1:
        with _LEASES_LOCK:
            held = _LEASES.get(key)
            if held is not None and held[0] > 0:
                held[0] -= 1
                return held[1] - held[0]
    total = _add(cache, key, timeout, lease)
    if lease > 1:
        with _LEASES_LOCK:
            if len(_LEASES) >= _LEASES_MAX:  # past windows' leases: spent
                _LEASES.clear()
            _LEASES[key] = [lease - 1, total]
    return total - lease + 1


def _add(cache, key: str, timeout: int, amount: int) -> int:
    incr_window = getattr(cache, "incr_window", None)
    if incr_window is not None:
        return incr_window(key, timeout, amount)
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.set(key, amount, timeout)
        return amount


class WindowThrottleMixin:
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        count = window_hit(self.cache, f"{self.key}:{window}", self.duration, self.num_requests)
        self.retry_after = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self):
        return max(1, math.ceil(getattr(self, "retry_after", self.duration)))

    def get_ident(self, request):
        # X-Forwarded-For only through the trusted proxies (EHOME_TRUSTED_PROXY_COUNT)
        return client_ip(request)


class AnonWindowThrottle(WindowThrottleMixin, AnonRateThrottle):
    """Anonymous clients, per IP (`anon` rate)."""


class UserWindowThrottle(WindowThrottleMixin, UserRateThrottle):
    """Signed-in users, per user (`user` rate)."""
