"""Contest ranks from Redis sorted sets (elearning.leaderboards) agree with the database's
count of better rows, follow new results after commit, survive a Redis flush (rebuilt
from the database) and fall back to the database when Redis is down. Uses the machine's
Redis (db 11, keys under a prefix of each test's own), whatever the cache of the run is."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
import redis
from django.utils import timezone

from elearning.contests import leaderboards
from elearning.contests import selectors as contests
from elearning.models import Contest, ContestBest, ContestUnitScore
from tests.elearning.test_contests_points import contest, play  # noqa: F401 - fixture
from tests.factories import member_in

pytestmark = pytest.mark.django_db
# ruff: noqa: F811 - the contest fixture is imported, then used as a parameter


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _delete_prefixed(r, prefix: str) -> None:
    keys = list(r.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        r.delete(*keys)


@pytest.fixture
def live_redis(monkeypatch, settings):
    """The machine's Redis db 11 with a key prefix of this test's own: other test runs
    (and pytest-xdist workers) use the same database at the same time."""
    r = redis.Redis(host="127.0.0.1", port=6379, db=11)
    prefix = f"lbtest-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    monkeypatch.setattr(leaderboards, "client", lambda: r)
    monkeypatch.setattr(leaderboards, "_down_until", 0.0)
    monkeypatch.setattr(leaderboards, "_missed", False)
    r.flush_own_keys = lambda: _delete_prefixed(r, prefix)
    yield r
    r.flush_own_keys()


@pytest.fixture
def field(org):
    """A contest with 30 results in 3 units (ties included)."""
    now = timezone.now()
    c = Contest.objects.create(
        title="排名测试",
        audience_unit=org.root,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        is_published=True,
    )
    rng = random.Random(3)
    units = [org.a1, org.b1, org.a]
    people = [member_in(units[i % 3]) for i in range(30)]
    totals = {}
    for m in people:
        score, elapsed = rng.choice([3, 5, 5, 8]), rng.choice([9_000, 12_000, 12_000, 20_000])
        ContestBest.objects.create(
            contest=c, member=m, unit=m.unit, score=score, elapsed_ms=elapsed
        )
        totals[m.unit_id] = totals.get(m.unit_id, 0) + score
    for unit_id, total in totals.items():
        ContestUnitScore.objects.create(
            contest=c, unit_id=unit_id, participants=10, total_score=total
        )
    return c, people


def _ranks(c, people):
    return [
        (lb["me"]["rank"], lb["my_unit"]["rank"])
        for lb in (contests.contest_leaderboard(contest=c, member=m) for m in people)
    ]


def test_redis_ranks_equal_the_database_count(field, live_redis, monkeypatch):
    c, people = field
    from_redis = _ranks(c, people)
    assert (
        live_redis.zcard(leaderboards._key(f"contest:{c.pk}:m")) == 30
    )  # really answered by Redis
    assert live_redis.zcard(leaderboards._key(f"contest:{c.pk}:u")) == 3
    monkeypatch.setattr(leaderboards, "client", lambda: None)
    assert from_redis == _ranks(c, people)
    best = max(ContestBest.objects.filter(contest=c), key=lambda b: (b.score, -b.elapsed_ms))
    assert contests.contest_leaderboard(contest=c, member=best.member)["me"]["rank"] == 1


def test_a_finished_entry_moves_the_rank_after_commit(
    org,
    contest,
    client_for,
    live_redis,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    first, second = member_in(org.a1), member_in(org.b1)
    with django_capture_on_commit_callbacks(execute=True):
        play(client_for(first.user), contest, ["right", "wrong"])
    with django_capture_on_commit_callbacks(execute=True):
        play(client_for(second.user), contest, ["wrong"])
    lb = contests.contest_leaderboard(contest=contest, member=second)
    assert lb["me"]["rank"] == 2 and lb["my_unit"]["rank"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        play(client_for(second.user), contest, ["right", "right", "right"])
    assert live_redis.exists(
        leaderboards._key(f"contest:{contest.pk}:m", "ready")
    )  # not rebuilt: pushed
    lb = contests.contest_leaderboard(contest=contest, member=second)
    assert lb["me"]["rank"] == 1 and lb["my_unit"]["rank"] == 1
    assert contests.contest_leaderboard(contest=contest, member=first)["me"]["rank"] == 2


def test_flushed_redis_is_rebuilt_from_the_database(field, live_redis):
    c, people = field
    before = _ranks(c, people)
    live_redis.flush_own_keys()  # every set and marker gone, as after FLUSHDB
    assert _ranks(c, people) == before
    assert live_redis.zcard(leaderboards._key(f"contest:{c.pk}:m")) == 30


def test_redis_down_falls_back_to_the_database(field, monkeypatch, settings):
    c, people = field
    settings.EHOME_REDIS_RETRY_SECONDS = 60
    monkeypatch.setattr(leaderboards, "client", lambda: None)
    expected = _ranks(c, people)
    calls = []

    def down():
        calls.append(1)
        return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=None)

    monkeypatch.setattr(leaderboards, "client", down)
    monkeypatch.setattr(leaderboards, "_down_until", 0.0)
    assert _ranks(c, people) == expected
    assert len(calls) == 1  # one failed attempt, then the database for the retry interval


def test_points_ranks_per_subtree_from_redis(org, live_redis, django_capture_on_commit_callbacks):
    """Study points: "my rank" in a unit subtree from its sorted set, equal to the
    database's count, and an award after commit moves it."""
    from elearning.contests import selectors as points
    from elearning.contests import services as point_services
    from elearning.models import PointBalance

    people = [member_in(u) for u in (org.a1, org.a1, org.b1, org.a)]
    for m, total in zip(people, (30, 10, 50, 20), strict=True):
        PointBalance.objects.create(member=m, unit_path=m.unit.path, total=total)
    root_ranks = [points.points_leaderboard(unit=org.root, member=m)["me"]["rank"] for m in people]
    a_ranks = [points.points_leaderboard(unit=org.a, member=m)["me"]["rank"] for m in people[:2]]
    assert root_ranks == [2, 4, 1, 3] and a_ranks == [1, 3]
    assert live_redis.zcard(leaderboards._key(f"points:{org.root.path}")) == 4
    assert live_redis.zcard(leaderboards._key(f"points:{org.a.path}")) == 3
    with django_capture_on_commit_callbacks(execute=True):  # 10 + the day's cap of 10
        assert point_services.points_award(
            member=people[1], rule="contest", event_key="lb", units=10
        )
    assert PointBalance.objects.get(member=people[1]).total == 20
    # now tied with people[3] (20): both third at the root; second in A, behind people[0]
    assert points.points_leaderboard(unit=org.root, member=people[1])["me"]["rank"] == 3
    assert points.points_leaderboard(unit=org.a, member=people[1])["me"]["rank"] == 2
    assert live_redis.zscore(leaderboards._key(f"points:{org.a1.path}"), str(people[1].pk)) == 20


def test_points_rankings_follow_a_transfer_and_a_unit_move(
    org, live_redis, django_capture_on_commit_callbacks
):
    """A member transferred from A1 to B1 leaves A's leaderboard and joins B's at once —
    the top N (database) and "my rank" (Redis) agree; a unit moved with its subtree
    re-files its members; an edit made outside the services is caught by the periodic
    job."""
    from elearning import tasks
    from elearning.contests import selectors as points
    from elearning.models import PointBalance
    from organizations.models import Member
    from organizations.services import unit_update
    from organizations.transfers import transfer_accept, transfer_start

    mover, stay_a, stay_b = member_in(org.a1), member_in(org.a1), member_in(org.b1)
    for m, total in ((mover, 50), (stay_a, 10), (stay_b, 30)):
        PointBalance.objects.create(member=m, unit_path=m.unit.path, total=total)

    def board(unit, member):
        lb = points.points_leaderboard(unit=unit, member=member)
        return [row["member_id"] for row in lb["top"]], (lb["me"] or {}).get("rank")

    assert board(org.a, stay_a) == ([mover.pk, stay_a.pk], 2)  # builds A's set in Redis
    assert board(org.b, stay_b) == ([stay_b.pk], 1)
    with django_capture_on_commit_callbacks(execute=True):
        started = transfer_start(member=mover, started_by=None, to_unit=org.b1)
        transfer_accept(transfer=started, accepted_by=None)
    assert board(org.a, stay_a) == ([stay_a.pk], 1)
    assert board(org.b, stay_b) == ([mover.pk, stay_b.pk], 2)
    assert live_redis.zscore(leaderboards._key(f"points:{org.a.path}"), str(mover.pk)) is None
    assert live_redis.zscore(leaderboards._key(f"points:{org.b1.path}"), str(mover.pk)) == 50

    # B1 (with both members) moves under A: A's board now holds everyone
    with django_capture_on_commit_callbacks(execute=True):
        b1 = unit_update(unit=org.b1, parent=org.a)
    assert PointBalance.objects.get(member=stay_b).unit_path == b1.path
    assert board(org.a, stay_a) == ([mover.pk, stay_b.pk, stay_a.pk], 3)

    # a unit changed by a plain save (an import, an admin form): the periodic job re-files
    Member.objects.filter(pk=stay_a.pk).update(unit=org.b)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.points_unit_paths_sync.call() == 1
    assert PointBalance.objects.get(member=stay_a).unit_path == org.b.path
    stay_a = Member.objects.select_related("unit").get(pk=stay_a.pk)
    assert board(org.b, stay_a) == ([stay_a.pk], 1)
    assert live_redis.zscore(leaderboards._key(f"points:{org.a.path}"), str(stay_a.pk)) is None
