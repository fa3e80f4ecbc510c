"""Per-member rate limits on what members write (comments, reports, questions): a
fixed-window counter in the cache (Redis in production: one INCR), refused with 429 and
the seconds to wait."""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from interaction.errors import RateLimited

#: action → (requests, seconds); settings.EHOME_INTERACTION_RATES overrides
DEFAULT_RATES = {"comment": (6, 60), "report": (10, 60), "question": (5, 3600)}
_WHAT = {"comment": "评论", "report": "举报", "question": "提问"}


def rate_check(*, action: str, member_id: int) -> None:
    limit, period = {**DEFAULT_RATES, **getattr(settings, "EHOME_INTERACTION_RATES", {})}[action]
    now = time.time()
    window = int(now // period)
    key = f"ia:rate:{action}:{member_id}:{window}"
    incr_window = getattr(cache, "incr_window", None)
    if incr_window is not None:
        count = incr_window(key, period)
    else:
        cache.add(key, 0, period)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, period)
            count = 1
    if count > limit:
        wait = max(1, math.ceil((window + 1) * period - now))
        raise RateLimited(
            f"{_WHAT[action]}过于频繁：每 {period} 秒最多 {limit} 次，请 {wait} 秒后再试",
            retry_after=wait,
        )
