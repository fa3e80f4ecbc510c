"""A Redis outage degrades the API instead of taking it down (core/cache.py).

Each test starts its OWN redis-server on a free port (never the machine's shared one),
points the cache at it, makes the everyday requests — login, a news list, a progress
report, the points leaderboard — and then stops it (SIGTERM) or freezes it (SIGSTOP):
the same requests still answer 2xx/4xx, never 500; a frozen Redis costs at most one short
socket timeout per retry interval, not one per request; login brute-force protection keeps
counting (per process); study points awarded meanwhile are in the database and in the
ranks once Redis is back; and once Redis answers again, the cache is used again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.core.cache import cache

from elearning.contests import leaderboards
from elearning.models import PointBalance, PointLedger
from tests.elearning.conftest import academy, member, rewind  # noqa: F401 - fixtures
from tests.factories import PASSWORD, member_in

# ruff: noqa: F811 - the imported fixtures are used as parameters

REDIS_SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server process of this test only: start, stop, freeze, thaw."""

    def __init__(self, workdir):
        self.port = _free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.frozen = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.thaw()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen and self.proc is not None:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.frozen = False


RETRY_SECONDS = 1.0


@pytest.fixture
def own_redis(request, tmp_path, settings, monkeypatch):
    """Our own Redis, used by the cache, the rate limits and the leaderboards."""
    server = OwnRedis(tmp_path)
    request.addfinalizer(server.stop)  # whatever fails below, the process goes
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "ehome",
        }
    }
    settings.EHOME_REDIS_RETRY_SECONDS = RETRY_SECONDS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(leaderboards, "_down_until", 0.0)
    monkeypatch.setattr(leaderboards, "_missed", False, raising=False)
    return server


@pytest.fixture
def learner(academy, member, client_for, rewind):
    """The academy's member, signed in, with the video lesson opened; a rival with one
    more study point than them in the same branch."""
    rival = member_in(member.unit)
    PointBalance.objects.create(member=rival, unit_path=rival.unit.path, total=11)
    PointBalance.objects.create(member=member, unit_path=member.unit.path, total=10)
    c = client_for(member.user)
    url = f"/api/v1/lessons/{academy.video.pk}/progress/"
    assert c.post(url, {"event": "open"}, format="json").status_code == 200
    rewind(member, academy.video, 60)
    return c


def _everyday(client, api_client, academy, member, key: str) -> dict[str, int]:
    """Status codes (and seconds taken) of the requests every user makes."""
    timings = {}

    def timed(name, call):
        start = time.monotonic()
        response = call()
        timings[name] = time.monotonic() - start
        return response.status_code

    codes = {
        "login": timed(
            "login",
            lambda: api_client.post(
                "/api/v1/auth/token/",
                {"username": member.user.username, "password": PASSWORD},
                format="json",
            ),
        ),
        "news": timed("news", lambda: client.get("/api/v1/news/")),
        "progress": timed(
            "progress",
            lambda: client.post(
                f"/api/v1/lessons/{academy.video.pk}/progress/",
                {"event": "intervals", "intervals": [{"from_s": 0, "to_s": 5, "rate": 1.0}]},
                format="json",
                HTTP_IDEMPOTENCY_KEY=key,
            ),
        ),
        "points": timed("points", lambda: client.get("/api/v1/points/")),
    }
    return {"codes": codes, "timings": timings}


OK = {"login": 200, "news": 200, "progress": 200, "points": 200}


def _redis_keys(server) -> list[str]:
    return sorted(k.decode() for k in server.client().keys("*"))


def test_requests_answer_while_redis_is_stopped_and_caching_resumes(
    own_redis, learner, api_client, academy, member, rewind
):
    before = _everyday(learner, api_client, academy, member, "up")
    assert before["codes"] == OK
    keys = _redis_keys(own_redis)
    assert any(":api:ver:news" in k for k in keys), keys  # the cache really is this Redis
    assert any("throttle_" in k for k in keys), keys

    own_redis.stop()
    rewind(member, academy.video, 10)
    during = _everyday(learner, api_client, academy, member, "down")
    assert during["codes"] == OK
    assert max(during["timings"].values()) < 1.0, during["timings"]

    # login brute force is still limited (per process) with Redis gone: 5/min per username
    intruder = [
        api_client.post(
            "/api/v1/auth/token/",
            {"username": "victim", "password": f"guess{i}"},
            format="json",
            REMOTE_ADDR=f"198.51.100.{i}",
        ).status_code
        for i in range(7)
    ]
    assert intruder[:5] == [401] * 5 and intruder[5:] == [429, 429], intruder

    own_redis.start()  # an empty Redis on the same port
    time.sleep(RETRY_SECONDS + 0.1)
    rewind(member, academy.video, 10)
    after = _everyday(learner, api_client, academy, member, "back")
    assert after["codes"] == OK
    keys = _redis_keys(own_redis)
    assert any(":api:ver:news" in k for k in keys), keys  # caching resumed
    assert any("throttle_" in k for k in keys), keys
    assert cache.get("api:ver:news") is not None


def test_a_frozen_redis_costs_one_short_timeout_not_one_per_request(
    own_redis, learner, api_client, academy, member, rewind, settings
):
    settings.EHOME_REDIS_RETRY_SECONDS = 30  # no second probe during the test
    assert _everyday(learner, api_client, academy, member, "up")["codes"] == OK
    own_redis.freeze()
    timings = []
    for i in range(3):
        rewind(member, academy.video, 10)
        result = _everyday(learner, api_client, academy, member, f"frozen{i}")
        assert result["codes"] == OK
        timings += result["timings"].values()
    # the first request waits for one socket timeout (0.5 s), the 11 others not at all
    assert max(timings) < 1.0, timings
    assert sum(t >= 0.45 for t in timings) <= 1, timings
    assert sum(timings) < 0.5 + 11 * 0.25, timings


def test_points_awarded_during_an_outage_are_kept_and_ranked_after(
    own_redis, learner, academy, member, rewind, client_for, django_capture_on_commit_callbacks
):
    """The ledger is the source of truth: an award made while Redis is frozen is in the
    database at once (the leaderboard answers from it), and in Redis's ranking once Redis
    answers again (the stale sorted set is rebuilt, not served)."""
    with django_capture_on_commit_callbacks(execute=True):
        board = learner.get("/api/v1/points/").json()["leaderboard"]
    assert board["me"] == {"rank": 2, "total": 10}
    ready = leaderboards._key(f"points:{member.unit.path}", "ready")
    assert own_redis.client().exists(ready)  # "my rank" came from Redis

    own_redis.freeze()
    url = f"/api/v1/lessons/{academy.video.pk}/progress/"
    body = {"event": "intervals", "intervals": [{"from_s": 0, "to_s": 95, "rate": 1.0}]}
    with django_capture_on_commit_callbacks(execute=True):
        done = learner.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="finish")
    assert done.status_code == 200 and done.json()["completed"] is True
    assert PointLedger.objects.filter(member=member, rule="lesson_complete").exists()
    with django_capture_on_commit_callbacks(execute=True):
        board = learner.get("/api/v1/points/").json()["leaderboard"]
    assert board["me"] == {"rank": 1, "total": 12}  # from the database

    own_redis.thaw()
    time.sleep(RETRY_SECONDS + 0.1)
    with django_capture_on_commit_callbacks(execute=True):
        board = learner.get("/api/v1/points/").json()["leaderboard"]
    assert board["me"] == {"rank": 1, "total": 12}
    # answered by Redis again, from a set rebuilt with the award made during the outage
    key = leaderboards._key(f"points:{member.unit.path}")
    assert own_redis.client().zscore(key, str(member.pk)) == 12


def test_content_changed_while_redis_is_frozen_is_not_served_stale_after(
    own_redis, learner, django_capture_on_commit_callbacks, settings
):
    """News published while Redis is unreachable: the cached news version could not be
    deleted then; once Redis answers again the deletion is replayed, so the apps get
    the new list (200, new ETag) instead of a 304 for up to the version's 5 minutes."""
    from api import caching

    etag = learner.get("/api/v1/news/")["ETag"]
    assert learner.get("/api/v1/news/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert own_redis.client().exists(cache.make_key("api:ver:news"))

    # long enough that the deletion below is not even tried (and cannot reach Redis when
    # it wakes up): it is remembered instead
    settings.EHOME_REDIS_RETRY_SECONDS = 3
    own_redis.freeze()
    assert learner.get("/api/v1/news/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        caching.version_bump("news")  # an editor publishes
    changed = learner.get("/api/v1/news/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag  # from the database

    own_redis.thaw()
    time.sleep(3.1)
    again = learner.get("/api/v1/news/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] == changed["ETag"]
    assert learner.get("/api/v1/news/", HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


def test_clearing_the_cache_keeps_the_queued_jobs_in_the_same_database(own_redis):
    """RQ keeps its queues in the cache's Redis database (RQ_QUEUES = REDIS_URL): clearing
    the cache deletes the cache's own keys only, never a queued job."""
    from rq import Queue

    queue = Queue("default", connection=own_redis.client())
    job = queue.enqueue("api.tasks.tombstones_purge")
    own_redis.client().set("another-app:1:kept", "1")
    cache.set("news-version", 7)
    assert cache.get("news-version") == 7

    cache.clear()

    assert cache.get("news-version") is None
    assert queue.count == 1 and queue.job_ids == [job.id]
    assert own_redis.client().get("another-app:1:kept") == b"1"
