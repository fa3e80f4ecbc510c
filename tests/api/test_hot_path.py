"""The hot API endpoints' shorter road (api.hot_path): a Bearer-token POST to a progress
report or an engagement batch answers exactly as through the site's full stack — the
same status, headers (security headers included) and body for good and bad requests —
and nothing else takes that road."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from api.hot_path import HotPathDispatch, HotPathHandler
from elearning.models import LessonProgress
from tests.factories import member_in

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def roads():
    """The full stack, the hot road, and the hot road with the progress lane in front."""
    return {
        "full": WSGIHandler(),
        "hot": HotPathHandler(),
        "lane": HotPathDispatch(WSGIHandler(), lane=True),
    }


def call(app, method, path, body=None, headers=None, raw: bytes | None = None):
    """(status, headers without Date, body) of one request through a WSGI app."""
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    environ = (
        RequestFactory()
        .generic(method, path, data=data, content_type="application/json", **extra)
        .environ
    )
    got = {}

    def start_response(status, response_headers):
        got["status"], got["headers"] = status, response_headers

    # as Django's test client: the request signals must not close the test's connection
    # (its transaction)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = app(environ, start_response)
        content = b"".join(response)
        if hasattr(response, "close"):  # optional in WSGI (the lane answers with a list)
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    # the CSP's directives come in no fixed order (django-csp builds them from a set)
    heads = sorted(
        (k, "; ".join(sorted(v.split("; "))) if k == "Content-Security-Policy" else v)
        for k, v in got["headers"]
        if k != "Date"
    )
    return got["status"], heads, content


class Watcher:
    """Two members of one branch, each with an opened lesson an hour ago: one for each
    road, so both see the same state."""

    def __init__(self, org):
        from elearning.courses import progress
        from elearning.models import Course, Lesson, LessonProgress, WatchAllowance
        from media_pipeline.models import MediaAsset

        asset = MediaAsset.objects.create(
            kind="video", title="微党课", owner_unit=org.root, status="ready", duration=600.0
        )
        course = Course.objects.create(title="必修课", audience_unit=org.root, is_published=True)
        self.lesson = Lesson.objects.create(course=course, title="视频", kind="video", media=asset)
        self.members = {road: member_in(org.a1) for road in ("full", "hot", "lane")}
        for m in self.members.values():
            progress.progress_open(member=m, lesson=self.lesson)
        hour_ago = timezone.now() - dt.timedelta(hours=1)
        LessonProgress.objects.filter(lesson=self.lesson).update(opened_at=hour_ago)
        WatchAllowance.objects.update(refilled_at=hour_ago)
        self.tokens = {r: str(AccessToken.for_user(m.user)) for r, m in self.members.items()}

    def url(self, pk=None):
        return f"/api/v1/lessons/{pk or self.lesson.pk}/progress/"


@pytest.fixture
def watcher(org):
    return Watcher(org)


def both(roads, watcher, method, path, body=None, headers=None, raw=None, token=True):
    out = {}
    for road, app in roads.items():
        h = dict(headers or {})
        if token is True:
            h["Authorization"] = f"Bearer {watcher.tokens[road]}"
        elif token:
            h["Authorization"] = token
        out[road] = call(app, method, path, body, h, raw)
    return out


def same(out, status: int):
    for road in ("hot", "lane"):
        assert out[road][0] == out["full"][0], (road, out)
        assert dict(out[road][1]) == dict(out["full"][1]), road
        assert out[road][2] == out["full"][2], road
    assert out["hot"][0].startswith(str(status)), out["hot"]
    return dict(out["hot"][1]), out["hot"][2]


def iv(a, b):
    return {"event": "intervals", "intervals": [{"from_s": a, "to_s": b, "rate": 1.0}]}


def test_progress_reports_answer_alike_on_both_roads(roads, watcher):
    key = {"Idempotency-Key": "k1"}
    headers, body = same(both(roads, watcher, "POST", watcher.url(), iv(0, 30), key), 200)
    assert json.loads(body)["unique_seconds"] == 30
    # the security headers of the whole site are on the hot road's answer too
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in headers and "Content-Security-Policy" in headers
    assert "Accept-Language" in headers["Vary"] and headers["Content-Language"]
    # a retry is a duplicate on both
    _, body = same(both(roads, watcher, "POST", watcher.url(), iv(0, 30), key), 200)
    assert json.loads(body)["duplicate"] is True
    same(both(roads, watcher, "POST", watcher.url(), {"event": "open"}), 200)


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("bad json", 400, None),
        ("bad field", 400, "invalid"),
        ("no key", 400, "idempotency_key_required"),
        ("missing lesson", 404, "not_found"),
        ("id over 64 bits", 404, "not_found"),
        ("bad token", 401, None),
        ("too large", 413, "request_too_large"),
        ("english", 400, None),
        ("bad host", 400, None),
    ],
)
def test_refusals_answer_alike_on_both_roads(roads, watcher, case, status, code, settings):
    path, body, headers, raw, token = watcher.url(), iv(0, 5), {"Idempotency-Key": "r"}, None, True
    if case == "bad json":
        raw = b'{"event": "intervals", '
    elif case == "bad field":
        body = {"event": "intervals", "intervals": [{"from_s": "五", "to_s": 5}]}
    elif case == "no key":
        headers = {}
    elif case == "missing lesson":
        path = watcher.url(999_999)
    elif case == "id over 64 bits":
        path = watcher.url(2**64)
    elif case == "bad token":
        token = "Bearer not-a-token"
    elif case == "too large":
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
        raw = b'{"event": "open", "pad": "' + b"x" * 2048 + b'"}'
    elif case == "english":
        headers = {"Accept-Language": "en"}
    elif case == "bad host":
        settings.ALLOWED_HOSTS = ["testserver"]
        for key in ("h0", "h1"):  # the lane has learned its headers: it would answer
            same(both(roads, watcher, "POST", path, iv(0, 5), {"Idempotency-Key": key}), 200)
        body, headers = iv(5, 10), {"Idempotency-Key": "h2", "Host": "evil.example"}
    _, content = same(both(roads, watcher, "POST", path, body, headers, raw, token), status)
    if code:
        assert json.loads(content)["error"]["code"] == code


def test_a_revoked_token_is_refused_on_the_hot_road(roads, watcher):
    from organizations.logins import user_logins_revoke

    for m in watcher.members.values():
        user_logins_revoke(user=m.user)
    _, content = same(
        both(roads, watcher, "POST", watcher.url(), iv(0, 5), {"Idempotency-Key": "x"}), 401
    )
    assert json.loads(content)["error"]["code"] == "token_revoked"


def test_a_deactivated_user_is_refused_on_the_hot_road(roads, watcher):
    for m in watcher.members.values():
        m.user.is_active = False
        m.user.save()
    same(both(roads, watcher, "POST", watcher.url(), iv(0, 5), {"Idempotency-Key": "x"}), 401)


def test_rate_limits_answer_alike_on_both_roads(roads, watcher, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: T0 + 15))
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "1/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    same(both(roads, watcher, "POST", watcher.url(), {"event": "open"}), 200)
    headers, content = same(both(roads, watcher, "POST", watcher.url(), {"event": "open"}), 429)
    assert headers["Retry-After"] == "45"
    assert json.loads(content)["error"]["code"] == "throttled"


def test_engagement_batches_answer_alike_on_both_roads(roads, watcher, org):
    from elearning.models import Lesson

    url = "/api/v1/engagement/events/"
    likes = {"events": [{"type": "like", "kind": "lesson", "id": watcher.lesson.pk}] * 3}
    _, content = same(both(roads, watcher, "POST", url, likes), 202)
    assert json.loads(content)["results"][0] == {"type": "like", "liked": True}
    hidden = Lesson.objects.create(course=_course_of(org.b), title="B 的课", kind="article")
    out = both(
        roads,
        watcher,
        "POST",
        url,
        {"events": [{"type": "read", "kind": "lesson", "id": hidden.pk}]},
    )
    same(out, 404)
    same(both(roads, watcher, "POST", url, {"events": []}), 400)
    same(both(roads, watcher, "POST", url, {"events": likes["events"] * 34}), 400)


def _course_of(unit):
    from elearning.models import Course

    return Course.objects.create(title="B 课程", audience_unit=unit, is_published=True)


def test_only_bearer_posts_to_the_hot_urls_take_the_short_road(watcher):
    app = HotPathDispatch(WSGIHandler())
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {watcher.tokens['hot']}"}

    def env(method, path, **extra):
        return RequestFactory().generic(method, path, **extra).environ

    assert app.hot.takes(env("POST", watcher.url(), **bearer))
    assert app.hot.takes(env("POST", "/api/v1/engagement/events/", **bearer))
    assert not app.hot.takes(env("GET", watcher.url(), **bearer))
    assert not app.hot.takes(env("PUT", watcher.url(), **bearer))
    assert not app.hot.takes(env("POST", watcher.url()))  # a session's call
    assert not app.hot.takes(env("POST", watcher.url(), HTTP_COOKIE="sessionid=x", **bearer))
    assert not app.hot.takes(env("POST", f"/api/v1/lessons/{watcher.lesson.pk}/", **bearer))
    assert not app.hot.takes(env("POST", "/api/v1/lessons/1/progress/x/", **bearer))
    # the resolver gives the site's own match: view, kwargs, names
    match = app.hot.resolver.resolve(watcher.url())
    assert match.view_name == "api:lesson-progress" and match.kwargs == {"pk": watcher.lesson.pk}
    skipped = {"django.contrib.sessions.middleware.SessionMiddleware"}
    assert skipped.isdisjoint(app.hot.middleware)
    assert "api.hot_path.SessionVaryMiddleware" in app.hot.middleware
    assert "django.middleware.security.SecurityMiddleware" in app.hot.middleware


def test_the_hot_road_can_be_switched_off(settings):
    from api.hot_path import wrap

    full = WSGIHandler()
    settings.EHOME_HOT_PATH = False
    assert wrap(full) is full
    settings.EHOME_HOT_PATH = True
    assert isinstance(wrap(full), HotPathDispatch)


def test_a_misspelt_setting_fails_at_start(settings):
    with pytest.raises(LookupError):
        HotPathHandler(url_names=["api:no-such-url"])
    with pytest.raises(LookupError):
        HotPathHandler(skip_middleware={"no.such.Middleware": None})


# --- the progress lane (api.hot_path.ProgressLane) -----------------------------------------


def _lane_answers(roads, monkeypatch) -> list:
    """Which of the lane road's requests the lane answered itself (True) or handed on.
    (PostgreSQL: elsewhere the lane hands every request on, to the same answers.)"""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the lane's one statement is PostgreSQL's")
    lane = roads["lane"].lane
    lane.templates.clear()  # each test learns the headers afresh
    seen, real = [], lane.hot

    def handed_on(environ, start_response):
        seen[-1] = False
        return real(environ, start_response)

    def counted(environ, start_response, pk):
        seen.append(True)
        return type(lane).__call__(lane, environ, start_response, pk)

    class Spy:
        lesson_id = staticmethod(lane.lesson_id)

        def __call__(self, environ, start_response, pk):
            return counted(environ, start_response, pk)

    monkeypatch.setattr(lane, "hot", handed_on)
    monkeypatch.setattr(roads["lane"], "lane", Spy())
    return seen


@pytest.mark.pg_only
def test_the_lane_answers_accepted_reports_with_the_sites_headers(roads, watcher, monkeypatch):
    seen = _lane_answers(roads, monkeypatch)
    for i, key in enumerate(("l1", "l2", "l3")):
        out = both(
            roads, watcher, "POST", watcher.url(), iv(i * 10, i * 10 + 10), {"Idempotency-Key": key}
        )
        headers, body = same(out, 200)
        assert json.loads(body)["unique_seconds"] == i * 10 + 10
    # the first answer for (http, zh-hans) taught the lane the headers; it answered the rest
    assert seen[1:] == [True, True]
    assert headers["Content-Length"] == str(len(body))
    # a retried key, an open event: handed on, answered alike
    same(both(roads, watcher, "POST", watcher.url(), iv(0, 10), {"Idempotency-Key": "l1"}), 200)
    same(both(roads, watcher, "POST", watcher.url(), {"event": "open"}), 200)
    assert seen[3:] == [False, False]


@pytest.mark.pg_only
def test_the_lane_keeps_https_and_language_headers(watcher, settings, monkeypatch):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    # the middleware reads these settings when it is built: roads of its own
    roads = {
        "full": WSGIHandler(),
        "hot": HotPathHandler(),
        "lane": HotPathDispatch(WSGIHandler(), lane=True),
    }
    seen = _lane_answers(roads, monkeypatch)
    cases = [({"X-Forwarded-Proto": "https"}, "zh-hans"), ({"Accept-Language": "en"}, "en")]
    for extra, language in cases:
        for i in range(2):
            key = {"Idempotency-Key": f"{language}{i}", **extra}
            start = 40 + 10 * len(seen)
            headers, _ = same(
                both(roads, watcher, "POST", watcher.url(), iv(start, start + 5), key), 200
            )
            assert headers["Content-Language"] == language
            assert ("Strict-Transport-Security" in headers) is ("X-Forwarded-Proto" in extra)
    assert seen == [False, True, False, True]  # each (scheme, language) learned once


@pytest.mark.pg_only
def test_a_revoked_token_on_the_lane_writes_nothing(roads, watcher, monkeypatch):
    from organizations.logins import user_logins_revoke

    seen = _lane_answers(roads, monkeypatch)
    key = {"Idempotency-Key": "v1"}
    same(both(roads, watcher, "POST", watcher.url(), iv(0, 5), key), 200)
    same(both(roads, watcher, "POST", watcher.url(), iv(5, 10), {"Idempotency-Key": "v2"}), 200)
    member = watcher.members["lane"]
    user_logins_revoke(user=member.user)
    r = call(roads["lane"], "POST", watcher.url(), iv(10, 20),
             {"Authorization": f"Bearer {watcher.tokens['lane']}", "Idempotency-Key": "v3"})  # fmt: skip
    assert r[0].startswith("401") and json.loads(r[2])["error"]["code"] == "token_revoked"
    assert seen == [False, True, False]
    row = LessonProgress.objects.get(member=member, lesson=watcher.lesson)
    assert (row.unique_seconds, row.reports) == (10, 2)


@pytest.mark.pg_only
def test_an_error_after_the_lanes_statement_answers_the_stored_report(
    roads, watcher, monkeypatch, caplog
):
    from elearning.courses.signals import lesson_watched

    seen = _lane_answers(roads, monkeypatch)
    token = {"Authorization": f"Bearer {watcher.tokens['lane']}"}
    assert call(roads["lane"], "POST", watcher.url(), iv(0, 5), {**token, "Idempotency-Key": "e1"})[
        0
    ].startswith("200")
    failures = []

    def points_service_down(sender, **kwargs):
        failures.append(1)
        raise RuntimeError("points service down")

    lesson_watched.connect(points_service_down, dispatch_uid="test-lane-failure")
    try:
        r = call(
            roads["lane"], "POST", watcher.url(), iv(5, 15), {**token, "Idempotency-Key": "e2"}
        )
    finally:
        lesson_watched.disconnect(dispatch_uid="test-lane-failure")
    # the report was stored by the lane's statement; the hot road answers it as stored
    assert r[0].startswith("200")
    assert json.loads(r[2])["duplicate"] is True and json.loads(r[2])["unique_seconds"] == 15
    assert failures == [1] and seen == [False, False]
    assert "progress lane" in caplog.text and "points service down" in caplog.text
