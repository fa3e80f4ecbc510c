"""The API's rate limits (api.throttling): a fixed-window counter per user (or per IP for
anonymous clients) — 429 with Retry-After once the window's allowance is spent, a fresh
allowance in the next window, other users unaffected; on Redis and on the local cache."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import member_in

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000.0  # the start of a one-minute window


@pytest.fixture
def clock(monkeypatch):
    now = {"t": T0 + 15}
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: now["t"]))
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min", "anon": "2/min"},
    )
    cache.clear()
    return now


def _client(user) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return c


def test_user_window_refuses_then_resets(org, clock):
    c = _client(member_in(org.a1).user)
    assert [c.get("/api/v1/books/").status_code for _ in range(3)] == [200, 200, 200]
    refused = c.get("/api/v1/books/")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json()["error"]["code"] == "throttled"
    clock["t"] = T0 + 59
    assert c.get("/api/v1/books/")["Retry-After"] == "1"
    clock["t"] = T0 + 60  # next window: a fresh allowance
    assert [c.get("/api/v1/books/").status_code for _ in range(3)] == [200, 200, 200]
    assert c.get("/api/v1/books/").status_code == 429


def test_one_users_limit_does_not_touch_another(org, clock):
    busy, other = _client(member_in(org.a1).user), _client(member_in(org.b1).user)
    for _ in range(4):
        busy.get("/api/v1/books/")
    assert busy.get("/api/v1/books/").status_code == 429
    assert other.get("/api/v1/books/").status_code == 200


def test_anonymous_clients_are_limited_per_ip(clock):
    """The public preview endpoint (no login): two tries per minute per address."""
    anon = APIClient(REMOTE_ADDR="203.0.113.7")
    codes = [anon.get("/api/v1/preview/", {"token": "x"}).status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    other = APIClient(REMOTE_ADDR="203.0.113.8")
    assert other.get("/api/v1/preview/", {"token": "x"}).status_code == 404


def test_window_counter_on_redis_counts_sets_its_expiry_and_survives_a_script_flush():
    """`RedisCache.incr_window` is one server-side script: the count, an expiry no longer
    than the window (also on a key that somehow has none), and the same answers after
    Redis forgot its scripts (a restart or SCRIPT FLUSH)."""
    import os
    import uuid

    from core.cache import RedisCache

    store = RedisCache(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9", {})
    client = store.redis_client()
    key = f"throttle_test_{uuid.uuid4().hex}"
    made = store.make_and_validate_key(key)
    try:
        assert [store.incr_window(key, 60) for _ in range(3)] == [1, 2, 3]
        assert 0 < client.ttl(made) <= 60
        client.script_flush()
        assert store.incr_window(key, 60) == 4
        client.persist(made)  # a counter left without an expiry gets one
        assert store.incr_window(key, 60) == 5
        assert 0 < client.ttl(made) <= 60
    finally:
        client.delete(made)


def test_a_high_limit_takes_its_hits_in_leases_and_never_lets_more_through(monkeypatch):
    """api.throttling.window_hit at 1,000 per window: ten hits per round trip to the
    counter, and two processes sharing the window are allowed 1,000 requests between
    them, not one more (each ordinal belongs to one request)."""
    from django.core.cache import caches

    from api import throttling

    cache = caches["default"]
    key = f"lease-test:{uuid.uuid4().hex}"
    trips = []
    real = type(cache).incr_window

    def counted(self, k, timeout, amount=1):
        trips.append(amount)
        return real(self, k, timeout, amount)

    monkeypatch.setattr(type(cache), "incr_window", counted)
    processes = [{}, {}]  # each process's leases
    allowed = 0
    for i in range(1200):
        monkeypatch.setattr(throttling, "_LEASES", processes[i % 3 == 0])
        allowed += throttling.window_hit(cache, key, 60, 1000) <= 1000
    assert allowed == 1000
    assert len(trips) <= 1200 // 10 + 2 and set(trips) == {10}
    # a low limit counts every hit where it happens, as before
    assert throttling.lease_size(120) == 1 and throttling.lease_size(6000) == 10
