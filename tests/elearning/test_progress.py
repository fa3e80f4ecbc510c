"""Server-verified progress: intervals are merged into unique seconds, implausible reports
are refused with nothing recorded, retries never double count."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from elearning.models import CourseProgress, LessonProgress, ProgressReceipt, WatchAllowance


def url(lesson):
    return f"/api/v1/lessons/{lesson.pk}/progress/"


def report(client, lesson, intervals, key, **extra):
    body = {"event": "intervals", "intervals": intervals, **extra}
    return client.post(url(lesson), body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def iv(a, b, rate=1.0):
    return {"from_s": a, "to_s": b, "rate": rate}


@pytest.fixture
def opened(academy, member, client_for):
    c = client_for(member.user)
    assert c.post(url(academy.video), {"event": "open"}, format="json").status_code == 200
    return c


def test_overlapping_reports_count_unique_seconds(opened, academy, member, rewind):
    rewind(member, academy.video, 40)
    r = report(opened, academy.video, [iv(0, 30)], "k1")
    assert r.status_code == 200, r.json()
    rewind(member, academy.video, 40)
    r = report(opened, academy.video, [iv(20, 50)], "k2")  # 10 s overlap
    assert r.json()["unique_seconds"] == 50
    assert r.json()["intervals"] == [[0, 50]]
    assert r.json()["completed"] is False


def test_retry_with_same_key_never_double_counts(opened, academy, member, rewind):
    rewind(member, academy.video, 40)
    first = report(opened, academy.video, [iv(0, 30)], "same")
    rewind(member, academy.video, 40)
    again = report(opened, academy.video, [iv(0, 30)], "same")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["unique_seconds"] == first.json()["unique_seconds"] == 30
    row = LessonProgress.objects.get(member=member, lesson=academy.video)
    assert row.reports == 1


def test_skipping_to_the_end_does_not_complete(opened, academy, member, rewind):
    rewind(member, academy.video, 60)
    r = report(opened, academy.video, [iv(0, 5), iv(90, 100)], "skip")
    assert r.status_code == 200
    assert r.json()["unique_seconds"] == 15
    assert r.json()["completed"] is False


def test_completes_at_ninety_percent_unique_coverage(opened, academy, member, rewind):
    rewind(member, academy.video, 50)
    report(opened, academy.video, [iv(0, 45, 2.0)], "a")  # 45 s of media in 50 s at 2×
    rewind(member, academy.video, 50)
    r = report(opened, academy.video, [iv(45, 89)], "b")
    assert r.json()["unique_seconds"] == 89 and r.json()["completed"] is False
    rewind(member, academy.video, 5)
    r = report(opened, academy.video, [iv(89, 90)], "c")
    assert r.json()["completed"] is True
    cp = CourseProgress.objects.get(member=member, course=academy.course)
    assert cp.lessons_completed == 1 and cp.completed_at is None


def test_more_seconds_than_wall_time_allows_is_refused(opened, academy, member, rewind):
    rewind(member, academy.video, 10)  # 10 s × 2.0 + 15 s slack = 35 s at most
    r = report(opened, academy.video, [iv(0, 60)], "fast")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "progress_too_fast"
    row = LessonProgress.objects.get(member=member, lesson=academy.video)
    assert row.unique_seconds == 0 and row.intervals == []
    # the refused key was not consumed: the same batch later (with wall time) is accepted
    assert not ProgressReceipt.objects.filter(member=member, key="fast").exists()
    rewind(member, academy.video, 60)
    assert report(opened, academy.video, [iv(0, 60)], "fast").json()["unique_seconds"] == 60


def test_first_report_without_open_only_gets_the_slack(academy, member, client_for):
    c = client_for(member.user)
    r = report(c, academy.video, [iv(0, 80)], "cold")
    assert r.status_code == 422
    assert not LessonProgress.objects.filter(member=member, unique_seconds__gt=0).exists()
    assert report(c, academy.video, [iv(0, 10)], "warm").json()["unique_seconds"] == 10


@pytest.mark.parametrize(
    "intervals,code",
    [
        ([iv(0, 130)], "interval_beyond_duration"),
        ([iv(30, 10)], "interval_invalid"),
        ([iv(0, 10), iv(5, 15)], "interval_overlap"),
        ([iv(0, 10), iv(0, 10)], "interval_overlap"),
        ([iv(0, 10, 16.0)], "rate_invalid"),
        ([iv(0, 1e12)], "interval_beyond_duration"),
    ],
)
def test_bad_intervals_are_refused(opened, academy, member, rewind, intervals, code):
    rewind(member, academy.video, 300)
    r = report(opened, academy.video, intervals, "bad")
    assert r.status_code == 400, r.json()
    assert r.json()["error"]["code"] == code
    assert LessonProgress.objects.get(member=member, lesson=academy.video).unique_seconds == 0


def test_negative_start_is_refused(opened, academy):
    r = report(opened, academy.video, [iv(-5, 10)], "neg")
    assert r.status_code == 400


def test_progress_from_the_future_is_refused(opened, academy, member, rewind):
    rewind(member, academy.video, 60)
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    r = report(opened, academy.video, [iv(0, 10)], "fut", sent_at=future)
    assert r.status_code == 400 and r.json()["error"]["code"] == "from_future"


def test_too_many_intervals_in_a_batch(opened, academy):
    r = report(opened, academy.video, [iv(i, i + 0.6) for i in range(101)], "many")
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_intervals"


def test_idempotency_key_is_required(opened, academy):
    r = opened.post(url(academy.video), {"intervals": [iv(0, 5)]}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "idempotency_key_required"


def test_article_time_is_measured_by_the_server(academy, member, client_for, rewind):
    c = client_for(member.user)
    lesson = academy.article
    # a heartbeat without "open" is refused
    assert c.post(url(lesson), {"event": "heartbeat"}, format="json").status_code == 409
    c.post(url(lesson), {"event": "open"}, format="json")
    # a client-claimed duration is simply not part of the protocol: intervals are refused
    assert report(c, lesson, [iv(0, 600)], "x").status_code == 400
    r = c.post(url(lesson), {"event": "heartbeat"}, format="json")
    assert r.json()["seconds_spent"] <= 1
    rewind(member, lesson, 20)
    r = c.post(url(lesson), {"event": "heartbeat"}, format="json")
    assert 20 <= r.json()["seconds_spent"] <= 21 and r.json()["completed"] is False
    rewind(member, lesson, 300)  # a long pause counts at most one heartbeat cap (60 s)
    r = c.post(url(lesson), {"event": "heartbeat"}, format="json")
    assert r.json()["completed"] is True
    assert r.json()["seconds_spent"] <= 20 + 60 + 2


def test_reading_completes_when_the_required_time_is_reached(academy, member, client_for, rewind):
    """Heartbeats a little under 20 s apart (timers drift) still add up: a 30 s article
    read for 30 s is complete at the beat sent at 30 s, not one beat later."""
    c = client_for(member.user)
    lesson = academy.article  # 30 s required
    c.post(url(lesson), {"event": "open"}, format="json")
    rewind(member, lesson, 9.7)
    assert c.post(url(lesson), {"event": "heartbeat"}, format="json").json()["seconds_spent"] == 9
    rewind(member, lesson, 9.8)
    r = c.post(url(lesson), {"event": "heartbeat"}, format="json").json()
    assert r["seconds_spent"] == 19 and not r["completed"]
    rewind(member, lesson, 10.6)  # 30.1 s since open
    r = c.post(url(lesson), {"event": "heartbeat"}, format="json").json()
    assert r["completed"] is True and r["seconds_spent"] == 30 and r["coverage"] == 1.0


def test_reading_time_shown_never_exceeds_the_requirement(academy, member, client_for, rewind):
    c = client_for(member.user)
    lesson = academy.article  # 30 s required
    c.post(url(lesson), {"event": "open"}, format="json")
    rewind(member, lesson, 50)
    r = c.post(url(lesson), {"event": "heartbeat"}, format="json").json()
    assert (r["seconds_spent"], r["required_seconds"], r["completed"]) == (30, 30, True)
    rewind(member, lesson, 20)  # reading on after completion
    assert c.post(url(lesson), {"event": "heartbeat"}, format="json").json()["seconds_spent"] == 30
    assert c.get(url(lesson)).json()["seconds_spent"] == 30
    # also a row stored before the cap existed
    LessonProgress.objects.filter(member=member, lesson=lesson).update(seconds_spent=79)
    assert c.get(url(lesson)).json()["seconds_spent"] == 30


def test_lesson_of_an_invisible_course_is_404(academy, org, client_for):
    from tests.factories import member_in

    academy.course.audience_unit = org.b
    academy.course.save()
    outsider = member_in(org.a1)
    r = client_for(outsider.user).get(url(academy.video))
    assert r.status_code == 404


def test_get_my_progress(opened, academy, member, rewind):
    rewind(member, academy.video, 30)
    report(opened, academy.video, [iv(0, 20)], "g")
    r = opened.get(url(academy.video))
    assert r.status_code == 200
    assert r.json()["unique_seconds"] == 20 and r.json()["coverage"] == 0.2


def _opened_400s_video(org, *, seconds_ago: int, **allowance):
    """A committed 400-second video lesson a new A1 member opened `seconds_ago` (for the
    tests with concurrent writers, which need committed rows): (member, lesson)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises all writers)")
    from elearning.courses import progress
    from elearning.models import Course, Lesson
    from media_pipeline.models import MediaAsset
    from tests.factories import member_in

    asset = MediaAsset.objects.create(kind="video", title="v", status="ready", duration=400.0)
    course = Course.objects.create(title="c", audience_unit=org.root, is_published=True)
    lesson = Lesson.objects.create(course=course, title="l", kind="video", media=asset)
    m = member_in(org.a1)
    progress.progress_open(member=m, lesson=lesson)
    then = timezone.now() - dt.timedelta(seconds=seconds_ago)
    LessonProgress.objects.filter(member=m).update(opened_at=then)
    WatchAllowance.objects.filter(member=m).update(refilled_at=then, **allowance)
    return m, lesson


def _at_once(n: int, call) -> tuple[list, list]:
    """Run call(i) for i < n in n threads released together: (results, exceptions)."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            barrier.wait()
            results.append(call(i))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_two_devices_reporting_at_once_never_lose_an_update(org, client_for):
    from elearning.courses import progress

    m, lesson = _opened_400s_video(org, seconds_ago=1000)
    _, errors = _at_once(
        8,
        lambda i: progress.progress_report(
            member=m,
            lesson=lesson,
            intervals=[{"from_s": i * 10, "to_s": i * 10 + 10, "rate": 1}],
            idempotency_key=f"dev{i}",
        ),
    )
    row = LessonProgress.objects.get(member=m, lesson=lesson)
    accepted = 8 - len(errors)
    # every accepted report is in the merged set: nothing was overwritten
    assert row.unique_seconds == accepted * 10
    assert row.reports == accepted
    assert accepted >= 1


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_a_retry_racing_its_original_counts_once(org):
    from elearning.courses import progress

    m, lesson = _opened_400s_video(org, seconds_ago=50, budget=0)
    results, errors = _at_once(
        8,
        lambda i: progress.progress_report(
            member=m,
            lesson=lesson,
            intervals=[{"from_s": 0, "to_s": 60, "rate": 1}],
            idempotency_key="same-batch",  # a phone retrying over a bad network
        ),
    )
    assert errors == []
    assert sorted(st.duplicate for st in results) == [False] + [True] * 7
    assert all(st.unique_seconds == 60 for st in results)
    row = LessonProgress.objects.get(member=m, lesson=lesson)
    assert (row.unique_seconds, row.reports) == (60, 1)
    # the allowance (≈ 50 s × 2) was spent once: a second minute still fits
    assert WatchAllowance.objects.get(member=m).budget == pytest.approx(100 - 60, abs=2)
    assert ProgressReceipt.objects.filter(member=m).count() == 1


@pytest.mark.pg_only
def test_the_report_is_one_prepared_statement(opened, academy, member, rewind, settings):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL path")
    from django.test.utils import CaptureQueriesContext

    rewind(member, academy.video, 600)
    with CaptureQueriesContext(connection) as q:
        assert report(opened, academy.video, [iv(0, 30)], "p1").status_code == 200
    assert [x.get("prepared") for x in q.captured_queries if "int4multirange" in x["sql"]] == [True]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                    ["%elearning_progressreceipt%"])  # fmt: skip
        assert cur.fetchone()[0] == 1
    settings.EHOME_DB_PREPARE = False  # behind a transaction-pooling PgBouncer
    r = report(opened, academy.video, [iv(30, 60)], "p2")
    assert r.status_code == 200 and r.json()["unique_seconds"] == 60


def test_slack_is_granted_once_not_per_report(opened, academy):
    # rapid-fire reports right after "open": only the initial allowance (15 s) is there
    accepted = 0
    for i in range(5):
        r = report(opened, academy.video, [iv(i * 6, i * 6 + 6)], f"burst{i}")
        accepted += r.status_code == 200
    assert accepted == 2  # 6 + 6 ≤ 15 < 18 (plus at most a few ms of refill)


def _plain(data):
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


FAST = [  # the bodies phones send every few seconds: parsed without the serializer
    {"event": "intervals", "intervals": [iv(0, 5)], "idempotency_key": "k1"},
    {"intervals": [{"from_s": 0, "to_s": 5}]},
    {"intervals": [iv(1.5, 7.25, 2), iv(10, 12)]},
    {"intervals": [iv(0, 5, -1)]},  # a bad rate is the service's to refuse, by name
    {"event": "open"},
    {"event": "heartbeat"},
    {},
    {"intervals": []},
]
SLOW = [  # anything else goes through the serializer, which refuses or coerces it
    {"event": "seek"},
    {"event": None},
    {"intervals": "0-5"},
    {"intervals": [iv(-1, 5)]},
    {"intervals": [{"from_s": "0", "to_s": "5"}]},
    {"intervals": [{"from_s": True, "to_s": 5}]},
    {"intervals": [{"from_s": 0}]},
    {"intervals": [{"from_s": 0, "to_s": 5, "speed": 1}]},
    {"intervals": [iv(0, 5)], "idempotency_key": " padded "},
    {"intervals": [iv(0, 5)], "idempotency_key": ""},
    {"intervals": [iv(0, 5)], "idempotency_key": "k" * 65},
    {"intervals": [iv(0, 5)], "idempotency_key": "nul\x00"},
    {"intervals": [iv(0, 5)], "idempotency_key": "钥匙-1"},  # non-ASCII: the serializer's
    {"intervals": [iv(0, 5)], "sent_at": "2026-11-28T08:00:00Z"},
    {"intervals": [iv(0, 5)], "extra": 1},
    [iv(0, 5)],
]


@pytest.mark.parametrize("body,fast", [(b, True) for b in FAST] + [(b, False) for b in SLOW])
def test_fast_progress_parsing_agrees_with_the_serializer(body, fast):
    from rest_framework.exceptions import ValidationError

    from api.learning.progress import ProgressInSerializer, _progress_input_fast, progress_input

    parsed = _progress_input_fast(body)
    assert (parsed is not None) is fast
    ser = ProgressInSerializer(data=body)
    if parsed is not None:
        assert ser.is_valid(), ser.errors
        assert parsed == _plain(ser.validated_data)
    elif ser.is_valid():
        assert progress_input(body) == ser.validated_data
    else:
        with pytest.raises(ValidationError):
            progress_input(body)


@pytest.mark.pg_only
def test_prepared_statements_pass_through_execute_wrappers(opened, academy, member, rewind):
    """Instrumentation hooked with connection.execute_wrapper() sees the prepared
    statements too (and can block them, as a read-only guard would)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL path")
    rewind(member, academy.video, 600)
    seen = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert report(opened, academy.video, [iv(0, 30)], "w1").status_code == 200
    assert any("int4multirange" in sql for sql in seen)

    def refuse(execute, sql, params, many, context):
        raise RuntimeError("read-only")

    with connection.execute_wrapper(refuse), pytest.raises(RuntimeError):
        from elearning.courses import progress

        progress.progress_report(
            member=member, lesson=academy.video, intervals=[iv(30, 60)], idempotency_key="w2"
        )
    assert LessonProgress.objects.get(member=member, lesson=academy.video).unique_seconds == 30


SCENARIOS = [  # (what the phone sends, in order) — each answered by both paths
    [("k1", [iv(0, 30)])],
    [("k1", [iv(0, 30)]), ("k1", [iv(0, 30)])],  # a retry: duplicate=true, nothing counted
    [("k1", [iv(0, 30)]), ("k2", [iv(20, 60)])],  # overlapping the first: unique seconds
    [("k1", [iv(0, 95)])],  # completes the 100-second video (≥ 90 %)
    [("k1", [iv(0, 100)]), ("k2", [iv(0, 100)])],  # too many seconds for the wall time: 422
    [("k1", [iv(0, 130)])],  # beyond the media's duration: 400
    [("k1", [iv(0, 10), iv(5, 15)])],  # overlapping inside one batch: 400
    [("k1", [iv(0.4, 0.6)]), ("k2", [iv(0.6, 30.25)])],  # fractional seconds count exactly
]


@pytest.mark.parametrize("steps", SCENARIOS)
def test_fast_progress_path_answers_like_the_drf_view(academy, org, client_for, steps, monkeypatch):
    """The POST fast path (api.learning.progress._progress_post_fast) and LessonProgressApi give the
    same status, JSON, content type and headers for the same reports from the same state."""
    from api.learning import progress as learning
    from tests.factories import member_in

    real, used = learning._progress_post_fast, []

    def counted(request, pk):
        response = real(request, pk)
        used.append(response is not None)
        return response

    def run(fast: bool):
        m = member_in(org.a1)
        c = client_for(m.user)
        assert c.post(url(academy.video), {"event": "open"}, format="json").status_code == 200
        then = timezone.now() - dt.timedelta(seconds=60)
        LessonProgress.objects.filter(member=m).update(opened_at=then)
        WatchAllowance.objects.filter(member=m).update(refilled_at=then)
        monkeypatch.setattr(learning, "_progress_post_fast", counted if fast else lambda r, p: None)
        answers = []
        for key, intervals in steps:
            r = report(c, academy.video, intervals, key)
            body = r.json()
            if body.get("completed_at"):
                body["completed_at"] = "<time>"
            answers.append(
                (r.status_code, body, r["Content-Type"], r.get("Vary"), r.get("Allow"), r.content)
            )
        return answers

    drf = run(fast=False)
    fast = run(fast=True)
    assert used and all(used)  # every report of the fast run took the fast path
    assert [a[:5] for a in fast] == [a[:5] for a in drf]
    # byte for byte, apart from the completion time
    assert [a[5] for a in fast if "completed_at" not in a[1] or a[1]["completed_at"] is None] == [
        a[5] for a in drf if "completed_at" not in a[1] or a[1]["completed_at"] is None
    ]


def test_unusual_progress_requests_fall_back_to_the_drf_view(opened, academy, member, client_for):
    """Requests the fast path does not take are answered by LessonProgressApi with its own
    wording: a bad token (401), a body the serializer must word (400 naming the field), a
    missing key, an invisible lesson (404)."""
    bad = client_for(member.user)
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    r = report(bad, academy.video, [iv(0, 5)], "x")
    assert r.status_code == 401 and r.json()["error"]["code"] in (
        "token_not_valid",
        "not_authenticated",
    )
    r = report(opened, academy.video, [{"from_s": "五", "to_s": 5}], "x")
    assert r.status_code == 400 and "from_s" in str(r.json()["error"]["fields"])
    r = opened.post(url(academy.video), {"intervals": [iv(0, 5)]}, format="json")
    assert r.json()["error"]["code"] == "idempotency_key_required"
    r = opened.post("/api/v1/lessons/999999/progress/", {"intervals": [iv(0, 5)]}, format="json",
                    HTTP_IDEMPOTENCY_KEY="x")  # fmt: skip
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_the_fast_path_can_be_switched_off(opened, academy, member, rewind, settings, monkeypatch):
    from api.learning import progress as learning

    def boom(request, pk):
        raise AssertionError("the fast path ran")

    monkeypatch.setattr(learning, "_progress_post_fast", boom)
    settings.EHOME_PROGRESS_FAST_PATH = False  # every report through LessonProgressApi
    rewind(member, academy.video, 60)
    r = report(opened, academy.video, [iv(0, 30)], "off")
    assert r.status_code == 200 and r.json()["unique_seconds"] == 30


# --- one allowance per member, real interval lengths ------------------------------------


def _six_video_lessons(org, member):
    """Six 400-second video lessons of one course, all opened by `member` 10 s ago."""
    from elearning.courses import progress
    from elearning.models import Course, Lesson
    from media_pipeline.models import MediaAsset

    course = Course.objects.create(title="六课", audience_unit=org.root, is_published=True)
    lessons = []
    for i in range(6):
        asset = MediaAsset.objects.create(kind="video", title=f"v{i}", status="ready", duration=400)
        lessons.append(
            Lesson.objects.create(course=course, title=f"l{i}", kind="video", media=asset)
        )
        progress.progress_open(member=member, lesson=lessons[-1])
    then = timezone.now() - dt.timedelta(seconds=10)
    LessonProgress.objects.filter(member=member).update(opened_at=then)
    WatchAllowance.objects.filter(member=member).update(refilled_at=then)
    return lessons, then


def _accepted_seconds(member) -> int:
    rows = LessonProgress.objects.filter(member=member)
    return sum(rows.values_list("unique_seconds", flat=True))


def _allowed(since) -> float:
    """What wall time since `since` allows: the slack (15 s) + 2 × wall seconds."""
    return 15 + 2 * (timezone.now() - since).total_seconds()


def test_six_lessons_share_one_allowance(org, member):
    """Six lessons reported one after the other within ~10 s: together at most what
    wall time allows (before, each lesson had its own allowance: 6 × 35 s = 210 s)."""
    from elearning.courses import progress
    from elearning.errors import ProgressRejected

    lessons, since = _six_video_lessons(org, member)
    accepted = 0
    for i, lesson in enumerate(lessons):
        try:
            progress.progress_report(
                member=member, lesson=lesson, intervals=[iv(0, 35)], idempotency_key=f"six{i}"
            )
            accepted += 1
        except ProgressRejected as exc:
            assert exc.code == "progress_too_fast"
    assert accepted == 1
    assert _accepted_seconds(member) == 35 <= _allowed(since)


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_six_lessons_reported_at_once_share_one_allowance(org, client_for):
    """The same six reports sent at the same moment over HTTP (the fast path, phones):
    the member's allowance serialises them; their total stays within wall time."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises all writers)")
    from tests.factories import member_in

    m = member_in(org.a1)
    lessons, since = _six_video_lessons(org, m)
    clients = [client_for(m.user) for _ in lessons]
    results, errors = _at_once(
        6, lambda i: report(clients[i], lessons[i], [iv(0, 30)], f"par{i}").status_code
    )
    assert errors == []
    assert sorted(results) == [200] + [422] * 5
    assert _accepted_seconds(m) == 30 <= _allowed(since)
    # and the allowance was paid once: 15 + 2 × ~10 s − 30 ≈ 5 s left
    assert WatchAllowance.objects.get(member=m).budget == pytest.approx(5, abs=3)


def test_a_fifth_of_a_second_counts_a_fifth(opened, academy, member):
    """Intervals count their real length: 0.2 s watched adds 0.2 s (not a whole second)
    to what was watched and to what the allowance paid."""
    before = WatchAllowance.objects.get(member=member).budget
    r = report(opened, academy.video, [iv(0.4, 0.6)], "fifth")
    assert r.status_code == 200, r.json()
    assert r.json()["intervals"] == [[0.4, 0.6]] and r.json()["unique_seconds"] == 0
    spent = before - WatchAllowance.objects.get(member=member).budget
    assert spent < 0.3  # 0.2 s paid, minus a few ms of refill
    # five of them are one second of media, not five
    r = report(opened, academy.video, [iv(k + 0.4, k + 0.6) for k in range(1, 5)], "fifths")
    assert r.status_code == 200, r.json()
    assert r.json()["unique_seconds"] == 1 and len(r.json()["intervals"]) == 5
    r = report(opened, academy.video, [iv(5, 5.2)], "sixth")
    assert r.json()["unique_seconds"] == 1  # 1.2 s watched in all
    row = LessonProgress.objects.get(member=member, lesson=academy.video)
    assert row.intervals[0] == [400, 600]  # stored in milliseconds


def test_adjacent_fractional_reports_join_without_loss(opened, academy, member, rewind):
    """A phone reporting every 5.3 s: the pieces join exactly, nothing is lost or gained
    at the joins."""
    for i in range(4):
        rewind(member, academy.video, 6)
        a, b = round(i * 5.3, 1), round((i + 1) * 5.3, 1)
        r = report(opened, academy.video, [iv(a, b)], f"p{i}")
        assert r.status_code == 200, r.json()
    assert r.json()["intervals"] == [[0, 21.2]] and r.json()["unique_seconds"] == 21
