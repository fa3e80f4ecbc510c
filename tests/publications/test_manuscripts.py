"""Manuscripts (稿件): the whole flow through the API — write, submit to an upper unit,
register (登记号), return with comments, resubmit, decide (bulletin / news draft through
the review workflow / not adopted), score by the rules once — with the sender's editors
told of each decision; and the bad inputs: nothing written, a clear message."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cms.models import NewsPage
from notifications.models import Notification
from publications.manuscripts.models import (
    Manuscript,
    ManuscriptAttachment,
    ManuscriptEvent,
    ManuscriptScore,
    ManuscriptScoreRule,
)
from publications.manuscripts.scoring import setup_ensure as rules_ensure
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
S = Manuscript.Status
BASE = "/api/v1/manuscripts/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def people(org, client_for):
    """An editor of A1 (the sender) and an editor of A (the upper unit that receives)."""
    sender, receiver = user_with_role(org.a1, "editor"), user_with_role(org.a, "editor")
    return type(
        "People",
        (),
        {
            "sender": sender,
            "receiver": receiver,
            "s": client_for(sender),
            "r": client_for(receiver),
        },
    )


def _create(people, org, **extra):
    data = {
        "sender_unit": org.a1.pk,
        "receiver_unit": org.a.pk,
        "title": "项目部开展“党员先锋岗”活动",
        "body": "近日，北京项目党支部开展党员先锋岗活动。" * 30,
        "target_kind": "bulletin",
        "column": "基层动态",
        **extra,
    }
    r = people.s.post(BASE, data, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def _post(client, pk, action, data=None):
    return client.post(f"{BASE}{pk}/{action}/", data or {}, format="json")


def test_the_whole_flow_to_the_bulletin_with_a_return_and_a_score(
    org, people, django_capture_on_commit_callbacks
):
    rules_ensure()
    m = _create(people, org, leader_endorsed=True)
    assert m["status"] == "draft"
    # a draft is not in the receiver's queue, and cannot be registered
    assert people.r.get(BASE, {"box": "received"}).json()["results"] == []
    assert _post(people.s, m["id"], "submit").json()["status"] == "submitted"
    queue = people.r.get(BASE, {"box": "received"}).json()["results"]
    assert [x["id"] for x in queue] == [m["id"]]
    # deciding before registering is refused
    r = _post(people.r, m["id"], "decide", {"decision": "adopted_bulletin"})
    assert r.status_code == 409 and "请先登记" in r.json()["error"]["message"]
    reg = _post(people.r, m["id"], "register").json()
    assert reg["status"] == "registered" and reg["register_number"].endswith("-0001")
    # the second item of the year at the same receiver gets the next number
    other = _create(people, org, submit=True, title="第二篇")
    assert _post(people.r, other["id"], "register").json()["register_number"].endswith("-0002")
    # returned with comments, the sender is told, edits and resubmits
    with django_capture_on_commit_callbacks(execute=True):  # the message goes after commit
        r = _post(people.r, m["id"], "return", {"comment": "请补充活动成效的数据"})
    assert r.json()["status"] == "returned"
    note = Notification.objects.get(recipient__user=people.sender, kind="manuscript_returned")
    assert "请补充活动成效的数据" in note.body
    r = _post(people.s, m["id"], "resubmit", {"comment": "已补充", "title": "党员先锋岗见成效"})
    assert r.json()["status"] == "resubmitted" and r.json()["title"] == "党员先锋岗见成效"
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(people.r, m["id"], "decide", {"decision": "adopted_bulletin", "comment": "好稿"})
    assert r.json()["status"] == "adopted_bulletin"
    decided = Notification.objects.get(recipient__user=people.sender, kind="manuscript_decided")
    assert "简报采用" in decided.title
    # scored by the rules: 600 characters in the bulletin (5) + the leader's endorsement (5)
    r = _post(people.r, m["id"], "score")
    assert r.status_code == 201, r.content
    assert r.json() == {
        "manuscript": m["id"],
        "length": 600,
        "base_points": 5.0,
        "extra_points": 5.0,
        "points": 10.0,
    }
    # scoring twice: a clear refusal, still one score
    again = _post(people.r, m["id"], "score")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "该稿件已计分，不能重复计分"
    assert ManuscriptScore.objects.filter(manuscript_id=m["id"]).count() == 1
    history = people.s.get(f"{BASE}{m['id']}/").json()["history"]
    assert [h["action"] for h in history] == [
        "submitted",
        "registered",
        "returned",
        "resubmitted",
        "decided",
        "scored",
    ]
    assert history[2]["comment"] == "请补充活动成效的数据"


def test_adopted_as_news_becomes_a_draft_news_page_for_review(org, people, news_site):
    rules_ensure()
    m = _create(people, org, target_kind="news", submit=True, body="第一段\n\n第二段<b>")
    _post(people.r, m["id"], "register")
    r = _post(people.r, m["id"], "decide", {"decision": "adopted_news"})
    assert r.status_code == 200, r.content
    page = NewsPage.objects.get(pk=r.json()["news_page_id"])
    assert page.live is False and page.title == m["title"]
    assert page.publishing_unit_id == org.a.pk and page.source == org.a1.name
    assert page.get_parent().specific.channel_code == "grassroots"
    html = page.get_latest_revision_as_object().body[0].value.source
    assert html == "<p>第一段</p><p>第二段&lt;b&gt;</p>"
    # news: 6 characters → 2 points, no endorsement
    assert _post(people.r, m["id"], "score").json()["points"] == 2.0


def test_not_adopted_cannot_be_scored(org, people):
    rules_ensure()
    m = _create(people, org, submit=True)
    _post(people.r, m["id"], "register")
    assert _post(people.r, m["id"], "decide", {"decision": "not_adopted"}).status_code == 200
    r = _post(people.r, m["id"], "score")
    assert r.status_code == 409 and "只有采用的稿件" in r.json()["error"]["message"]
    assert not ManuscriptScore.objects.exists()


def test_a_column_rule_wins_over_the_any_column_rule(org, people):
    rules_ensure()
    ManuscriptScoreRule.objects.create(
        kind="bulletin", column="基层动态", min_length=0, points=7, endorsement_extra=0
    )
    m = _create(people, org, submit=True)
    _post(people.r, m["id"], "register")
    _post(people.r, m["id"], "decide", {"decision": "adopted_bulletin"})
    assert _post(people.r, m["id"], "score").json()["points"] == 7.0


# --- bad input: a clear message, nothing written -------------------------------------------
@pytest.mark.parametrize("receiver", ["b", "b1", "a1", "missing"])
def test_sending_to_a_unit_that_is_not_an_upper_level_writes_nothing(org, people, receiver):
    unit_id = 999_999 if receiver == "missing" else getattr(org, receiver).pk
    r = people.s.post(
        BASE,
        {"sender_unit": org.a1.pk, "receiver_unit": unit_id, "title": "标题", "submit": True},
        format="json",
    )
    assert r.status_code == 400, r.content
    message = r.json()["error"]["message"]
    assert "上级组织" in message or "收稿单位不存在" in message
    assert not Manuscript.objects.exists() and not ManuscriptEvent.objects.exists()


def test_sending_for_a_unit_outside_the_callers_subtree_is_not_found(org, people):
    r = people.s.post(
        BASE, {"sender_unit": org.b1.pk, "receiver_unit": org.b.pk, "title": "标题"}, format="json"
    )
    assert r.status_code == 404
    assert not Manuscript.objects.exists()


def _docx(*, macro: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        if macro:
            z.writestr("word/vbaProject.bin", b"\x00macro")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("稿件.pdf", b"MZ\x90\x00 not a pdf", 400, "不是 PDF 文件"),
        ("稿件.docx", _docx(macro=True), 400, "含有宏"),
        ("稿件.docm", _docx(macro=False), 400, "启用宏"),
        ("照片.png", b"GIF89a not a png", 400, "不是 png 图片"),
        ("稿件.exe", b"MZ", 400, "格式不支持"),
        ("大图.jpg", b"\xff\xd8\xff" + b"\x00" * 2048, 413, "超过"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_stored(
    org, people, settings, name, data, status, message
):
    settings.EHOME_DOCUMENT_ATTACHMENT_MAX_BYTES = 1024
    m = _create(people, org)
    r = people.s.post(
        f"{BASE}{m['id']}/attachments/",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
    )
    assert r.status_code == status, r.content
    assert message in r.json()["error"]["message"]
    assert not ManuscriptAttachment.objects.exists()


def test_good_attachments_are_kept_and_served_to_both_sides(org, people):
    m = _create(people, org)
    for name, data in (("照片.png", PNG), ("附件.pdf", PDF), ("稿件.docx", _docx(macro=False))):
        r = people.s.post(
            f"{BASE}{m['id']}/attachments/",
            {"file": SimpleUploadedFile(name, data)},
            format="multipart",
        )
        assert r.status_code == 201, r.content
    _post(people.s, m["id"], "submit")
    detail = people.r.get(f"{BASE}{m['id']}/").json()
    assert [(a["name"], a["is_image"]) for a in detail["attachments"]] == [
        ("照片.png", True),
        ("附件.pdf", False),
        ("稿件.docx", False),
    ]
    got = people.r.get(detail["attachments"][1]["url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF


@pytest.mark.parametrize(
    ("action", "data", "code"),
    [
        ("submit", {}, 409),  # already submitted
        ("resubmit", {}, 409),  # not returned
        ("return", {"comment": "  "}, 400),  # no comment
        ("decide", {"decision": "adopted"}, 400),  # no such decision
    ],
)
def test_steps_out_of_turn_are_refused_and_change_nothing(org, people, action, data, code):
    m = _create(people, org, submit=True)
    client = people.s if action in ("submit", "resubmit") else people.r
    if action in ("return", "decide"):
        _post(people.r, m["id"], "register")
    before = Manuscript.objects.values().get(pk=m["id"])
    events = ManuscriptEvent.objects.count()
    r = _post(client, m["id"], action, data)
    assert r.status_code == code, r.content
    assert r.json()["error"]["message"]
    assert Manuscript.objects.values().get(pk=m["id"]) == before
    assert ManuscriptEvent.objects.count() == events


def test_registering_twice_is_refused(org, people):
    m = _create(people, org, submit=True)
    number = _post(people.r, m["id"], "register").json()["register_number"]
    r = _post(people.r, m["id"], "register")
    assert r.status_code == 409 and number in r.json()["error"]["message"]


def test_the_score_is_unique_in_the_database_too(org, people):
    from django.db import IntegrityError, transaction

    rules_ensure()
    m = _create(people, org, submit=True)
    _post(people.r, m["id"], "register")
    _post(people.r, m["id"], "decide", {"decision": "adopted_bulletin"})
    _post(people.r, m["id"], "score")
    with pytest.raises(IntegrityError), transaction.atomic():
        ManuscriptScore.objects.create(
            manuscript_id=m["id"], length=1, base_points=1, extra_points=0, points=1
        )
