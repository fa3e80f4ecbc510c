"""Robustness: schemathesis generates requests for every operation of the published
OpenAPI schema (bounded examples per operation) as a member and as a secretary — no 5xx,
and every documented response matches its schema. Plus explicit bad input: NUL bytes,
numbers beyond 64 bits, bad pages and cursors, wrong types → 4xx; throttles → 429 with
Retry-After."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings

from cms.models import Book
from elearning.models import Contest, Course, Lesson
from tests.cms.conftest import publish_news, site  # noqa: F401 - fixtures
from tests.elearning.conftest import academy  # noqa: F401 - fixture
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 6  # per operation and caller: ~30 operations × 2 callers stay under 3 min


def _schema_dict() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))


@pytest.fixture
def fuzz_data(org, site, academy):  # noqa: F811
    """A little of everything, so that some generated ids hit real objects."""
    publish_news(site.channel, title="要闻一", publishing_unit=org.root, audience_unit=org.root)
    Book.objects.create(title="党章", audience_unit=org.root, is_published=True)
    course = Course.objects.create(title="选修课", audience_unit=org.root, is_published=True)
    Lesson.objects.create(course=course, title="图文", kind="article", body="<p>x</p>")
    now = timezone.now()
    Contest.objects.create(
        title="竞答",
        audience_unit=org.root,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1),
        is_published=True,
    )
    return academy


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly (not through Django's test client) would close the
    test transaction's connection at the end of each request; do what the client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _current_access_token(user) -> str:
    from api.auth import LoginSerializer

    fresh = type(user).objects.get(pk=user.pk)  # its current token version
    return str(LoginSerializer.get_token(fresh).access_token)


def test_schemathesis_finds_no_server_error_or_schema_violation(
    org, fuzz_data, keep_test_connection
):
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    schema = schemathesis.openapi.from_dict(_schema_dict())
    schema.app = get_wsgi_application()
    callers = {
        "member": member_in(org.a1).user,
        "secretary": user_with_role(org.a, "secretary"),
    }
    failures: list[str] = []
    calls: dict[int, int] = {}
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 10, "the published schema lost its operations"

    def runner(op, auth: dict, who: str):
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def run(case):
            response = case.call(headers=auth)
            calls[response.status_code] = calls.get(response.status_code, 0) + 1
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        return run

    for who, user in callers.items():
        for op in operations:
            # a fresh token per operation: a fuzzed POST /auth/logout/ {"all": true}
            # ends the caller's earlier tokens (organizations.logins)
            auth = {"Authorization": f"Bearer {_current_access_token(user)}"}
            try:
                runner(op, auth, who)()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all get a turn
                parts = getattr(exc, "exceptions", None) or [exc]
                summary = "; ".join(
                    f"{getattr(e, 'title', type(e).__name__)}: {str(e).strip()[:300]}"
                    for e in parts
                )
                failures.append(f"{who} {op.method.upper()} {op.path}: {summary}")
    assert not failures, "\n\n".join(failures)
    # the run really exercised the API, successes included
    assert sum(calls.values()) >= 2 * len(operations), calls
    assert calls.get(200, 0) > 0, calls


# --- explicit bad input --------------------------------------------------------------------
LISTS = [
    "/api/v1/news/",
    "/api/v1/stories/",
    "/api/v1/digests/",
    "/api/v1/books/",
    "/api/v1/periodicals/",
    "/api/v1/courses/",
    "/api/v1/contests/",
]
DETAILS = [
    "/api/v1/news/{}/",
    "/api/v1/stories/{}/",
    "/api/v1/digests/{}/",
    "/api/v1/books/{}/",
    "/api/v1/periodicals/{}/",
    "/api/v1/courses/{}/",
    "/api/v1/media/{}/",
    "/api/v1/attempts/{}/",
    "/api/v1/contests/{}/leaderboard/",
    "/api/v1/lessons/{}/progress/",
]
BAD_QUERIES = [
    {"tag": "党\x00建"},
    {"q": "\x00"},
    {"channel": "a\x00"},
    {"unit": "\x00" * 3},
    {"date_from": "2026-13-45"},
    {"date_to": "9" * 40},
    {"updated_since": "1e999"},
    {"updated_since": "2026-11-28T08:00:00\x00"},
    {"page": "abc"},
    {"page": str(2**64)},
    {"page": "-1"},
    {"page_size": "1e9"},
    {"page_size": str(2**70)},
]


@pytest.fixture
def member_client(org, client_for):
    return client_for(member_in(org.a1).user)


def test_bad_query_parameters_are_4xx(member_client):
    bad = []
    for path in LISTS:
        for params in BAD_QUERIES:
            r = member_client.get(path, params)
            if r.status_code >= 500 or 200 < r.status_code < 400:
                bad.append((path, params, r.status_code))
            elif r.status_code >= 400 and not {"code", "message"} <= set(r.json()["error"]):
                bad.append((path, params, r.content))
    assert not bad, bad


def test_huge_impossible_and_mistyped_ids_are_404(member_client):
    bad = []
    for template in DETAILS:
        for value in (2**63, 2**64 + 1, 10**30, 0, "abc", "1.5", "-1", "%00", "1%00"):
            r = member_client.get(template.format(value))
            if r.status_code != 404:
                bad.append((template, value, r.status_code))
    assert not bad, bad


def test_nul_bytes_in_json_bodies_are_400(member_client, fuzz_data):
    exam = fuzz_data.exam
    start = member_client.post(f"/api/v1/exams/{exam.pk}/attempts/", {}, format="json")
    assert start.status_code == 201
    attempt = start.json()["id"]
    r = member_client.patch(
        f"/api/v1/attempts/{attempt}/", {"answers": {"1": "A\x00"}}, format="json"
    )
    assert 400 <= r.status_code < 500
    r = member_client.post(
        f"/api/v1/lessons/{fuzz_data.video.pk}/progress/",
        {"intervals": [[0, 2**70, 1.0]]},
        format="json",
    )
    assert 400 <= r.status_code < 500
    r = member_client.post(
        "/api/v1/auth/token/", {"username": "a\x00", "password": "b\x00"}, format="json"
    )
    assert 400 <= r.status_code < 500


def test_throttle_answers_429_with_retry_after(member_client, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"}
    )
    # 20 s into a one-minute window, whatever the wall clock says (no boundary mid-test)
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: 1_800_000_020.0))
    codes = [member_client.get("/api/v1/books/").status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    r = member_client.get("/api/v1/books/")
    assert r.status_code == 429
    assert int(r["Retry-After"]) == 40  # until the window ends
    assert r.json()["error"]["code"] == "throttled"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/news/?date_from=2026-11-10%00",
        "/api/v1/news/?updated_since=2026-01-05T08:00:00Z%00",
        "/api/v1/books/?updated_since=2026-01-05T08:00:00%2B08:00%00",
        "/api/v1/sync/changes/?since=2026-01-05T08:00:00Z%00",
        "/api/v1/courses/?updated_since=2026-01-05T08:00:00Z%00",
    ],
)
def test_nul_in_a_date_parameter_is_400_naming_it(member_client, url):
    """Python's fromisoformat stops at a NUL, so DRF's date/time fields took
    "…Z\\x00" for a valid time; the API refuses any NUL in a query parameter."""
    r = member_client.get(url)
    assert r.status_code == 400
    body = r.json()["error"]
    assert body["code"] == "invalid"
    name = url.split("?")[1].split("=")[0]
    assert list(body["fields"]) == [name]
