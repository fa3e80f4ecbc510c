"""Robustness: schemathesis generates requests for every operation of the published
OpenAPI schema as a member and as a secretary, in both of its generation modes — valid
requests ("positive": path ids of objects that exist for the caller, so the operations'
logic runs, not only their 404) and invalid ones ("negative": every body, query and path
shape the schema forbids: arrays, nulls, wrong types, missing fields) — no 5xx, and every
documented response matches its schema. The rate limits are lifted for the fuzz run
only (they would answer most calls 429). Plus explicit bad input: NUL bytes, numbers
beyond 64 bits, bad pages and cursors, wrong types → 4xx; throttles → 429 with
Retry-After."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from cms.models import Book, DigestIssue, ExemplarPage, Periodical, PeriodicalIssue
from cms.samples import pdf_bytes
from cms.services import preview_token_make
from dues.gateways.sandbox_models import SandboxTrade
from dues.models import PaymentOrder
from elearning.models import Contest, Course, Lesson
from interaction.models import Board, FaqEntry
from media_pipeline.models import MediaAsset
from notifications.models import Notification
from notifications.services import notification_send
from organizations.models import UnitRole
from tests.cms.conftest import publish_news, site  # noqa: F401 - fixtures
from tests.elearning.conftest import academy  # noqa: F401 - fixture
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db

# per operation, caller and generation mode: 37 operations × 2 callers × 2 modes × 5
# examples ≈ 740 requests, ~20 s
MAX_EXAMPLES = 5


def _schema_dict() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))


def _live_child(parent, page):
    page.live = True
    page.first_published_at = page.last_published_at = timezone.now()
    parent.add_child(instance=page)
    return page


@pytest.fixture
def fuzz_data(org, site, academy):  # noqa: F811
    """A little of everything, so that the fuzzer's ids reach real objects."""
    news = publish_news(
        site.channel, title="要闻一", publishing_unit=org.root, audience_unit=org.root
    )
    story = _live_child(
        site.stories,
        ExemplarPage(
            title="典型一", slug="fuzz-story", subject_name="张一", subject_unit=org.a1,
            date=dt.date(2026, 11, 1), publishing_unit=org.root, audience_unit=org.root,
        ),
    )  # fmt: skip
    digest = _live_child(
        site.digests,
        DigestIssue(
            title="手机报一", slug="fuzz-digest", issue_number=1,
            issue_date=dt.date(2026, 11, 1), publishing_unit=org.root, audience_unit=org.root,
        ),
    )  # fmt: skip
    book = Book.objects.create(
        title="党章",
        audience_unit=org.root,
        is_published=True,
        file=ContentFile(pdf_bytes("党章"), name="dangzhang.pdf"),
    )
    periodical = Periodical.objects.create(title="期刊", audience_unit=org.root, is_published=True)
    issue = PeriodicalIssue.objects.create(
        periodical=periodical,
        label="第1期",
        issue_date=dt.date(2026, 11, 1),
        is_published=True,
        file=ContentFile(pdf_bytes("期刊"), name="qikan.pdf"),
    )
    course = Course.objects.create(title="选修课", audience_unit=org.root, is_published=True)
    Lesson.objects.create(course=course, title="图文", kind="article", body="<p>x</p>")
    now = timezone.now()
    contest = Contest.objects.create(
        title="竞答",
        audience_unit=org.root,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1),
        is_published=True,
    )
    media = MediaAsset.objects.get(pk=academy.video.media_id)
    media.master_key = f"media/fuzz{media.pk}/master.m3u8"  # what the pipeline leaves ready
    media.save(update_fields=["master_key"])
    from publications.models import Document, DocumentAttachment

    document = Document.objects.create(
        title="文件一", number="模糊〔2026〕1号", issuing_unit=org.root, audience_unit=org.root,
        issued_on=dt.date(2026, 11, 1), is_published=True,
    )  # fmt: skip
    attachment = DocumentAttachment.objects.create(
        document=document, name="附件.pdf", kind="pdf", size=9,
        file=ContentFile(pdf_bytes("附件"), name="fujian.pdf"),
    )  # fmt: skip
    # member records and family liaison files (#19)
    from care.liaison.models import FamilyContact, LiaisonFile
    from organizations.models import MemberRecord
    from tests.factories import member_in

    abroad = member_in(org.a1, is_overseas=True, phone="13912345678")
    record = MemberRecord.objects.create(member=abroad, occupation="工程师")
    record.photo.save("fuzz.jpg", ContentFile(b"\xff\xd8\xff jpeg"), save=True)
    liaison_file = LiaisonFile.objects.create(member=abroad)
    family = FamilyContact.objects.create(file=liaison_file, relation="配偶", name="王芳")
    # transfers, assistance and organisation life (#19, #21): in A1, the fuzz secretary's
    from care.assistance.models import AssistanceCase
    from organizations.models import Transfer
    from supervision.models import (
        LedgerEvidence,
        LedgerItem,
        LedgerReport,
        Meeting,
        MeetingFile,
        Rectification,
        RectificationEvidence,
    )

    now = timezone.now()
    mover = member_in(org.a1)
    transfer = Transfer.objects.create(
        member=mover,
        from_unit=org.a1,
        to_unit=org.a1,
        reason="转接",
        started_at=now,
        expires_at=now + dt.timedelta(days=30),
        letter_year=2000,
        letter_seq=7,
    )
    case = AssistanceCase.objects.create(
        unit=org.a1, member=mover, category="illness", situation="困难", opened_on=dt.date.today()
    )
    meeting = Meeting.objects.create(
        unit=org.a1,
        kind="theme_day",
        title="主题党日",
        starts_at=now - dt.timedelta(hours=2),
        ends_at=now - dt.timedelta(hours=1),
        place="会议室",
    )
    item, _ = LedgerItem.objects.get_or_create(
        code="FUZZ", defaults={"title": "事项", "period": "year", "for_branch": True}
    )
    report = LedgerReport.objects.create(
        unit=org.a1, item=item, period="2026", text="报告", submitted_at=now
    )
    rectification = Rectification.objects.create(
        unit=org.a1,
        issued_by_unit=org.a,
        title="问题",
        description="d",
        category="c",
        deadline=dt.date.today() + dt.timedelta(days=30),
        responsible_person="p",
    )

    def _file(model, **parent):
        obj = model(**parent, name="x.pdf")
        obj.file.save("fuzz.pdf", ContentFile(b"%PDF-1.4"), save=True)
        return obj

    more_ids = {
        "transfers": transfer.pk, "assistance-cases": case.pk, "meetings": meeting.pk,
        "reports": report.pk, "rectifications": rectification.pk,
        "ledger/evidence": _file(LedgerEvidence, report=report).pk,
        "rectifications/evidence": _file(RectificationEvidence, rectification=rectification).pk,
        "meetings/files": _file(MeetingFile, meeting=meeting).pk,
    }  # fmt: skip
    # manuscripts (#22): from A1 to A, submitted — the fuzz secretary of A receives it
    from publications.models import Manuscript, ManuscriptAttachment

    manuscript = Manuscript.objects.create(
        title="稿件", sender_unit=org.a1, receiver_unit=org.a, body="正文",
        status="submitted", submitted_at=now,
    )  # fmt: skip
    more_ids["manuscripts"] = manuscript.pk
    more_ids["manuscripts/attachments"] = ManuscriptAttachment.objects.create(
        manuscript=manuscript, name="稿件.pdf", kind="pdf", size=9,
        file=ContentFile(pdf_bytes("稿件"), name="gaojian.pdf"),
    ).pk  # fmt: skip
    news_by_a = publish_news(
        site.channel, title="要闻二", publishing_unit=org.a, audience_unit=org.root
    )
    more_ids["news_by_a"] = news_by_a.pk
    # the bulletin (#22): one live issue with its PDF
    from publications.bulletins.printing import bulletin_pdf_make
    from publications.models import BulletinIndexPage, BulletinIssuePage

    bulletins = _live_child(site.home, BulletinIndexPage(title="政工情况", slug="fuzz-bulletin"))
    adopted = Manuscript.objects.create(
        title="采用稿", sender_unit=org.a1, receiver_unit=org.a, body="正文",
        status="adopted_bulletin", submitted_at=now,
    )  # fmt: skip
    ManuscriptAttachment.objects.create(
        manuscript=adopted, name="photo.jpg", kind="jpg", is_image=True, size=9,
        file=ContentFile(b"\xff\xd8\xff jpeg", name="photo.jpg"),
    )  # fmt: skip
    section = {"heading": "工作动态", "items": [
        {"type": "editorial", "value": {"title": "条目", "author": "", "body": "<p>正文</p>", "images": []}},
        {"type": "manuscript", "value": adopted.pk},
    ]}  # fmt: skip
    bulletin = _live_child(
        bulletins,
        BulletinIssuePage(
            title="简报一", slug="fuzz-bulletin-1", issue_number=1, issue_date=dt.date(2026, 11, 1),
            publishing_unit=org.root, audience_unit=org.root,
            sections=[{"type": "section", "value": section}],
        ),
    )  # fmt: skip
    bulletin_pdf_make(issue_id=bulletin.pk)
    more_ids["bulletins"] = bulletin.pk
    return {
        "academy": academy,
        "preview_token": preview_token_make(page=news),
        "ids": {
            "news": news.pk, "content": news.pk, "stories": story.pk, "digests": digest.pk, "books": book.pk,
            "periodicals": periodical.pk, "periodical-issues": issue.pk,
            "courses": academy.course.pk, "lessons": academy.video.pk,
            "exams": academy.exam.pk, "contests": contest.pk, "media": media.pk,
            "boards": Board.objects.create(unit=org.a1).pk,
            "faq": FaqEntry.objects.create(
                unit=org.root, audience_unit=org.root, question_text="问", answer_text="答"
            ).pk,
            "documents": document.pk, "attachments": attachment.pk,
            "members": abroad.pk, "files": liaison_file.pk, "family": family.pk,
            **more_ids,
        },
    }  # fmt: skip


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


@pytest.fixture
def no_rate_limits(monkeypatch, settings):
    """The fuzz run only: no request limit answers it 429 (login limits included)."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {scope: None for scope in SimpleRateThrottle.THROTTLE_RATES},
    )
    settings.EHOME_LOGIN_LIMIT_ACCOUNT = "1000000/5m"
    settings.EHOME_LOGIN_LIMIT_ADDRESS = "1000000/5m"


def _current_access_token(user) -> str:
    from api.auth import LoginSerializer

    fresh = type(user).objects.get(pk=user.pk)  # its current token version
    return str(LoginSerializer.get_token(fresh).access_token)


#: answered 404 on this profile by design: the HLS proxy serves only presigned storage
#: (EHOME_MEDIA_PLAYBACK=presigned; with public media the files are plain URLs)
ONLY_404_BY_DESIGN = {
    "GET /api/v1/media/{id}/hls/{name}",
    # the callers have no photo of their own: 404 no_photo (tests/organizations/test_records.py)
    "GET /api/v1/me/record/photo/",
}


#: the id the fuzzer names for a resource the fixture has no object of: those operations
#: are still called, and must answer their documented 404
NO_SUCH_ID = 987654321


def _path_ids(path: str, ids: dict, own: dict) -> dict:
    """Real ids for an operation's path parameters ({} when it has none); `own`: the
    caller's own objects (their attempt, a notification of theirs)."""
    if "{out_trade_no}" in path:  # the sandbox's payment sheet of the caller's own order
        return {"out_trade_no": own["out_trade_no"]}
    if "{provider}" in path:
        return {"provider": "sandbox"}
    if "{id}" not in path:
        return {}
    if "{kind}" in path:  # /engagement/{kind}/{id}/…: an item of a kind (published by A,
        # whose managers see its stats)
        return {"kind": "news", "id": ids["news_by_a"]}
    resource = re.match(r"^/api/v1/(?:[a-z-]+/)*?([a-z-]+)/\{id\}", path).group(1)
    # "meetings/files" before "files" (a liaison file): the id of the right table
    parent = re.match(r"^/api/v1/(?:[a-z-]+/)*?([a-z-]+/[a-z-]+)/\{id\}", path)
    if parent and parent.group(1) in ids:
        resource = parent.group(1)
    suffix = re.search(r"\{id\}/([a-z-]+)/$", path)
    if suffix and f"{resource}/{suffix.group(1)}" in own:
        resource = f"{resource}/{suffix.group(1)}"
    out = {"id": own[resource] if resource in own else ids.get(resource, NO_SUCH_ID)}
    if "{name}" in path:
        out["name"] = "master.m3u8"
    if "{position}" in path:  # a bulletin's manuscript image (the fuzz issue has none)
        out["position"] = 1
    return out


@pytest.fixture
def callers(org, fuzz_data, client_for):
    """A member and a secretary, each with an exam attempt of their own (through the
    test client: before keep_test_connection, which the test client would undo)."""
    users = {"member": member_in(org.a1).user, "secretary": user_with_role(org.a, "secretary")}
    UnitRole.objects.create(user=users["secretary"], unit=org.a, role="answerer")  # Q&A answers
    exam = fuzz_data["academy"].exam
    attempts = {}
    for who, user in users.items():
        started = client_for(user).post(f"/api/v1/exams/{exam.pk}/attempts/", {}, format="json")
        assert started.status_code == 201, started.content
        notification_send(
            kind="announcement",
            recipients=[user.member],
            context={"title": "通知", "body": "内容"},
            idempotency_key="fuzz",
        )
        notification_send(
            kind="announcement",
            recipients=[user.member],
            context={"title": "通知二", "body": "内容"},
            idempotency_key="fuzz-read",
        )
        notification, to_read = (
            Notification.objects.filter(recipient__user=user)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        comment = client_for(user).post(
            "/api/v1/comments/",
            {"target_type": "news", "target_id": fuzz_data["ids"]["news"], "body": "评论"},
            format="json",
        )
        question = client_for(user).post(
            "/api/v1/questions/", {"title": "问题", "body": "内容"}, format="json"
        )
        assert comment.status_code == question.status_code == 201, comment.content
        order = PaymentOrder.objects.create(
            member=user.member, unit=user.member.unit, provider="sandbox",
            out_trade_no=f"FUZZ{user.pk}", amount_fen=9750, months=["2026-12"], status="paid",
            paid_at=timezone.now(), expires_at=timezone.now(),
        )  # fmt: skip
        # the sandbox's payment sheet: a trade it opened for this (paid) order
        SandboxTrade.objects.create(
            out_trade_no=order.out_trade_no, txn_id=f"SBX{order.pk}", amount_fen=9750,
            state="SUCCESS", paid_at=timezone.now(),
        )  # fmt: skip
        attempts[who] = {
            "orders": order.pk,
            "receipts": order.pk,
            "attempts": started.json()["id"],
            "notifications": notification,
            "notifications/read": to_read,  # the fuzzed DELETE may take the other one first
            "out_trade_no": order.out_trade_no,
            "comments": comment.json()["id"],
            "questions": question.json()["id"],
        }
    return users, attempts


def test_schemathesis_finds_no_server_error_or_schema_violation(
    fuzz_data, callers, keep_test_connection, no_rate_limits
):
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    schema = schemathesis.openapi.from_dict(_schema_dict())
    schema.app = get_wsgi_application()
    callers, attempts = callers
    failures: list[str] = []
    calls: Counter = Counter()
    by_operation: dict[str, Counter] = defaultdict(Counter)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 30, "the published schema lost its operations"

    def runner(op, auth: dict, mode, path_parameters: dict | None, query: dict | None):
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=op.as_strategy(generation_mode=mode, path_parameters=path_parameters, query=query)
        )
        def run(case):
            response = case.call(headers=auth)
            calls[response.status_code] += 1
            by_operation[f"{op.method.upper()} {op.path}"][response.status_code] += 1
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        return run

    for who, user in callers.items():
        for op in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                # valid requests name objects that exist; invalid ones may name anything
                ids = _path_ids(op.path, fuzz_data["ids"], attempts[who])
                pinned = ids if mode is GenerationMode.POSITIVE else None
                query = None
                if op.path == "/api/v1/preview/" and mode is GenerationMode.POSITIVE:
                    query = {"token": fuzz_data["preview_token"]}  # a draft's signed link
                # a fresh token each time: a fuzzed POST /auth/logout/ {"all": true}
                # ends the caller's earlier tokens (organizations.logins)
                auth = {"Authorization": f"Bearer {_current_access_token(user)}"}
                try:
                    runner(op, auth, mode, pinned, query)()
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all get a turn
                    parts = getattr(exc, "exceptions", None) or [exc]
                    if mode is GenerationMode.NEGATIVE and all(
                        isinstance(e, Unsatisfiable) for e in parts
                    ):
                        # no invalid request exists for it (a provider's callback takes any
                        # body and answers it by its signature): nothing to send
                        continue
                    summary = "; ".join(
                        f"{getattr(e, 'title', type(e).__name__)}: {str(e).strip()[:300]}"
                        for e in parts
                    )
                    failures.append(f"{who} {mode.value} {op.method.upper()} {op.path}: {summary}")
    assert not failures, "\n\n".join(failures)
    # the run really exercised the API: successes, 4xx for the invalid half, no limits
    assert sum(calls.values()) >= 4 * len(operations), calls
    assert calls[200] + calls[201] > len(operations), calls
    assert calls[400] > len(operations), calls
    assert calls[429] == 0, calls
    # and each operation's logic was reached, not only its 404: every one answered
    # something else too (a 2xx, or the 400/403/409 of its own checks)
    only_404 = {
        name: dict(codes)
        for name, codes in by_operation.items()
        if set(codes) <= {404} and name not in ONLY_404_BY_DESIGN
    }
    assert len(by_operation) == len(operations) and not only_404, only_404
    answered_2xx = [n for n, codes in by_operation.items() if any(200 <= c < 300 for c in codes)]
    assert len(answered_2xx) >= 25, {n: dict(by_operation[n]) for n in by_operation}


# --- explicit bad input --------------------------------------------------------------------
LISTS = [
    "/api/v1/news/",
    "/api/v1/stories/",
    "/api/v1/digests/",
    "/api/v1/books/",
    "/api/v1/periodicals/",
    "/api/v1/courses/",
    "/api/v1/contests/",
    "/api/v1/notifications/",
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
    exam = fuzz_data["academy"].exam
    start = member_client.post(f"/api/v1/exams/{exam.pk}/attempts/", {}, format="json")
    assert start.status_code == 201
    attempt = start.json()["id"]
    r = member_client.patch(
        f"/api/v1/attempts/{attempt}/", {"answers": {"1": "A\x00"}}, format="json"
    )
    assert 400 <= r.status_code < 500
    r = member_client.post(
        f"/api/v1/lessons/{fuzz_data['academy'].video.pk}/progress/",
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
