"""Request-rate limits for the API as fixed-window counters.

DRF's `SimpleRateThrottle` keeps every request time of the window in one cache value and
reads, unpickles, re-pickles and writes the whole list on every request: at the default
6,000/min a busy member's list holds thousands of floats, and on the progress-report path
(a phone every few seconds, the busiest endpoint) that cost more CPU than the database
write. Here each (client, window) is one integer: an atomic `INCR` + `EXPIRE` in one Redis
round trip (`core.cache.RedisCache.incr_window`), or `add` + `incr` on other caches.
A fixed window lets a client spend up to twice the rate across a window boundary — fine
for abuse protection, which is what these limits are for. A refused request gets 429 with
`Retry-After` = the seconds until the window ends.
"""

from __future__ import annotations

import math

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from core.client_ip import client_ip


def window_hit(cache, key: str, timeout: int) -> int:
    """Count one request in the window `key`; the count so far (this one included)."""
    incr_window = getattr(cache, "incr_window", None)
    if incr_window is not None:
        return incr_window(key, timeout)
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


class WindowThrottleMixin:
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        count = window_hit(self.cache, f"{self.key}:{window}", self.duration)
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
