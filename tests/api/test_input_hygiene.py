"""Bodies no endpoint can use are refused at the edge with the documented error body
(docs/api.md "Errors"), nothing is written, never a 500: lone UTF-16 surrogates and NUL
characters in JSON strings, JSON nested deeper than any request needs, and bodies over
the size limit (413 JSON, on the DRF views and on the fast progress path alike)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from elearning.models import Attempt, LessonProgress, ProgressReceipt
from tests.elearning.conftest import academy  # noqa: F401 - fixture
from tests.factories import member_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(org):
    return member_in(org.a1, username="hygiene")


@pytest.fixture
def client(member, client_for):
    return client_for(member.user)


def _post_raw(client, url, raw: bytes, **headers):
    return client.generic("POST", url, raw, content_type="application/json", **headers)


def _patch_raw(client, url, raw: bytes):
    return client.generic("PATCH", url, raw, content_type="application/json")


def _error(r, status=400, code=None):
    assert r.status_code == status, (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def _progress_url(lesson):
    return f"/api/v1/lessons/{lesson.pk}/progress/"


@pytest.mark.parametrize(
    "raw",
    [
        # a lone low surrogate, escaped as JSON allows (the bytes on the wire are ASCII)
        rb'{"event": "intervals", "intervals": [{"from_s": 0, "to_s": 5}],'
        rb' "idempotency_key": "k\udc00"}',
        rb'{"event": "intervals", "intervals": [{"from_s": 0, "to_s": 5}],'
        rb' "idempotency_key": "k\ud800"}',
        rb'{"event": "intervals", "intervals": [{"from_s": 0, "to_s": 5}],'
        rb' "idempotency_key": "a\u0000b"}',
    ],
)
def test_bad_strings_in_a_progress_report_are_400(academy, member, client, raw):  # noqa: F811
    assert (
        client.post(_progress_url(academy.video), {"event": "open"}, format="json").status_code
        == 200
    )
    err = _error(_post_raw(client, _progress_url(academy.video), raw), 400, "invalid")
    assert list(err["fields"]) == ["idempotency_key"]
    assert LessonProgress.objects.get(member=member, lesson=academy.video).reports == 0
    assert not ProgressReceipt.objects.filter(member=member).exists()


def test_a_surrogate_pair_is_an_ordinary_character(academy, member, client):  # noqa: F811
    """Only LONE surrogates are refused: an escaped pair is one character (an emoji)."""
    client.post(_progress_url(academy.video), {"event": "open"}, format="json")
    r = _post_raw(
        client,
        _progress_url(academy.video),
        b'{"intervals": [{"from_s": 0, "to_s": 5}], "idempotency_key": "ok\\ud83d\\ude00"}',
    )
    assert r.status_code == 200, r.content


@pytest.fixture
def attempt(org, client):
    """An attempt of an exam of fill-in-the-blank questions: their answers are free text,
    stored as given (so a bad string would reach the database)."""
    from elearning.models import Exam, ExamRule, Question

    for i in range(3):
        Question.objects.create(
            type="fill", stem=f"填空{i}", answer=["共产主义"], category="填空", owner_unit=org.root
        )
    exam = Exam.objects.create(title="填空测验", audience_unit=org.root, is_published=True)
    ExamRule.objects.create(exam=exam, category="填空", count=3, points=10)
    r = client.post(f"/api/v1/exams/{exam.pk}/attempts/")
    assert r.status_code == 201
    return r.json()


DEEP = b"[" * 10_000 + b"]" * 10_000
BAD_ANSWERS = {  # the value of one answer, as raw JSON, and the field the 400 names
    "nul": (b'"a\\u0000b"', True),
    "high surrogate": (b'"x\\ud800y"', True),
    "low surrogate": (b'"x\\udc00"', True),
    "deep array": (DEEP, False),
    "deep object": (b'{"a": ' + DEEP + b"}", False),
    "40 levels": (b"[" * 40 + b"]" * 40, True),
}


@pytest.mark.parametrize("which", BAD_ANSWERS)
@pytest.mark.parametrize("how", ["autosave", "submit"])
def test_bad_answers_are_400_and_change_nothing(member, client, attempt, which, how):
    qid = attempt["questions"][0]["id"]
    value, named = BAD_ANSWERS[which]
    raw = b'{"answers": {"%d": %s}}' % (qid, value)
    if how == "autosave":
        r = _patch_raw(client, f"/api/v1/attempts/{attempt['id']}/", raw)
    else:
        r = _post_raw(
            client, f"/api/v1/attempts/{attempt['id']}/submit/", raw, HTTP_IDEMPOTENCY_KEY="s1"
        )
    err = _error(r, 400, "invalid")
    if named:
        assert list(err["fields"]) and list(err["fields"])[0].startswith(f"answers.{qid}")
    row = Attempt.objects.get(pk=attempt["id"])
    assert row.status == "in_progress" and row.answers == {} and row.grade_count == 0


def test_reasonable_nesting_still_parses(client, attempt):
    """Nesting a little deeper than any of our bodies is still JSON we read (and then
    refuse by content, naming the question)."""
    qid = attempt["questions"][0]["id"]
    nested = b"[" * 20 + b"]" * 20
    r = _patch_raw(
        client, f"/api/v1/attempts/{attempt['id']}/", b'{"answers": {"%d": %s}}' % (qid, nested)
    )
    _error(r, 400, "answer_invalid")
    r = _patch_raw(
        client,
        f"/api/v1/attempts/{attempt['id']}/",
        b'{"answers": {"%d": "\\u515a\\ud83d\\ude00"}}' % qid,
    )
    assert r.status_code == 200  # escaped CJK and a surrogate pair are ordinary text


def test_nul_and_surrogates_in_the_login_body_are_400(db):
    from rest_framework.test import APIClient

    c = APIClient()
    for raw in (
        b'{"username": "a\\u0000b", "password": "x"}',
        b'{"username": "x\\ud800y", "password": "x"}',
        b'{"username": ' + b"[" * 10_000 + b"]" * 10_000 + b', "password": "x"}',
    ):
        _error(_post_raw(c, "/api/v1/auth/token/", raw), 400, "invalid")


ELEVEN_MB = 11 * 1024 * 1024


def _big_progress_body() -> bytes:
    pad = b" " * ELEVEN_MB
    return b'{"intervals": [{"from_s": 0, "to_s": 5}], "idempotency_key": "big"' + pad + b"}"


def test_an_11_mb_progress_report_is_413_json(academy, member, client):  # noqa: F811
    client.post(_progress_url(academy.video), {"event": "open"}, format="json")
    r = _post_raw(client, _progress_url(academy.video), _big_progress_body())
    err = _error(r, 413, "request_too_large")
    assert "10" in err["message"]  # names the limit (10 MB)
    assert LessonProgress.objects.get(member=member, lesson=academy.video).reports == 0


def test_an_11_mb_body_is_413_json_on_drf_views(academy, client, attempt):  # noqa: F811
    big = b'{"answers": {}, "pad": "' + b"x" * ELEVEN_MB + b'"}'
    r = _post_raw(
        client, f"/api/v1/attempts/{attempt['id']}/submit/", big, HTTP_IDEMPOTENCY_KEY="big"
    )
    _error(r, 413, "request_too_large")
    assert Attempt.objects.get(pk=attempt["id"]).status == "in_progress"
    r = _post_raw(client, "/api/v1/auth/token/", big)
    _error(r, 413, "request_too_large")


def test_the_fast_path_refuses_big_bodies_like_the_drf_view(academy, member, client, settings):  # noqa: F811
    """The fast progress path answers the same 413 whether or not it is switched on, and
    a body without a Content-Length (chunked) over the limit too."""
    client.post(_progress_url(academy.video), {"event": "open"}, format="json")
    answers = []
    for fast in (True, False):
        settings.EHOME_PROGRESS_FAST_PATH = fast
        r = _post_raw(client, _progress_url(academy.video), _big_progress_body())
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 413


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_the_limit_follows_the_setting(academy, client, attempt):  # noqa: F811
    raw = b'{"answers": {}, "pad": "' + b"x" * 5000 + b'"}'
    r = _post_raw(
        client, f"/api/v1/attempts/{attempt['id']}/submit/", raw, HTTP_IDEMPOTENCY_KEY="small"
    )
    _error(r, 413, "request_too_large")
    assert Attempt.objects.get(pk=attempt["id"]).status == "in_progress"
