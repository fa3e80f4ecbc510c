"""Moderation: the sensitive-word filter (Simplified and Traditional alike), reports, the
queue of a moderator's subtree (API and admin) with bulk approve/reject, the author told
of a rejection, and a moderator acting outside their subtree refused with 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from interaction.comments.models import Comment, SensitiveWord
from interaction.comments.words import sensitive_hits
from notifications.models import Notification

pytestmark = pytest.mark.django_db
URL = "/api/v1/comments/"
QUEUE = "/api/v1/moderation/comments/"
DECIDE = "/api/v1/moderation/comments/decide/"


def post(client, target, body, **extra):
    data = {"target_type": "news", "target_id": target.pk, "body": body, **extra}
    return client.post(URL, data, format="json")


def test_words_match_in_simplified_and_traditional_forms(org):
    SensitiveWord.objects.create(unit=org.root, word="敏感词")
    SensitiveWord.objects.create(unit=org.a, word="臺灣")
    assert sensitive_hits("这里有敏感詞和台湾", unit_path=org.a1.path) == ["敏感词", "臺灣"]
    # B's subtree does not use A's list; the root's list applies everywhere
    assert sensitive_hits("台湾 敏感词", unit_path=org.b1.path) == ["敏感词"]
    assert sensitive_hits("ＡＢＣ", unit_path=org.a1.path) == []


def test_a_list_change_is_used_at_once(org, django_capture_on_commit_callbacks):
    assert sensitive_hits("新词", unit_path=org.a1.path) == []
    with django_capture_on_commit_callbacks(execute=True):
        w = SensitiveWord.objects.create(unit=org.a, word="新词")
    assert sensitive_hits("新詞", unit_path=org.a1.path) == ["新词"]
    with django_capture_on_commit_callbacks(execute=True):
        w.delete()
    assert sensitive_hits("新词", unit_path=org.a1.path) == []


def test_a_hit_is_held_with_the_words_shown_to_the_moderator(
    client_for, org, news_a, m_a1, m2_a1, editor_a
):
    SensitiveWord.objects.create(unit=org.root, word="敏感词")
    c = post(client_for(m_a1.user), news_a, "说一个敏感詞").json()
    assert c["status"] == "pending" and c["held_reason"] == "sensitive"
    assert (
        client_for(m2_a1.user)
        .get(URL, {"target_type": "news", "target_id": news_a.pk})
        .json()["results"]
        == []
    )
    queue = client_for(editor_a).get(QUEUE).json()["results"]
    assert [(q["id"], q["matched_words"], q["held_reason"]) for q in queue] == [
        (c["id"], ["敏感词"], "sensitive")
    ]


def test_queue_is_the_moderators_subtree_only(
    client_for, org, news_a, news_b, m_a1, m_b1, editor_a, editor_b
):
    SensitiveWord.objects.create(unit=org.root, word="禁词")
    a = post(client_for(m_a1.user), news_a, "禁词A").json()
    b = post(client_for(m_b1.user), news_b, "禁词B").json()
    assert [q["id"] for q in client_for(editor_a).get(QUEUE).json()["results"]] == [a["id"]]
    assert [q["id"] for q in client_for(editor_b).get(QUEUE).json()["results"]] == [b["id"]]
    assert client_for(m_a1.user).get(QUEUE).json()["results"] == []


def test_moderator_outside_subtree_is_404_and_nothing_changes(
    client_for, org, news_a, news_b, m_a1, m_b1, editor_a
):
    SensitiveWord.objects.create(unit=org.root, word="禁词")
    a = post(client_for(m_a1.user), news_a, "禁词A").json()
    b = post(client_for(m_b1.user), news_b, "禁词B").json()
    resp = client_for(editor_a).post(
        DECIDE, {"ids": [a["id"], b["id"]], "action": "approve"}, format="json"
    )
    assert resp.status_code == 404
    missing = client_for(editor_a).post(
        DECIDE, {"ids": [a["id"], 99999999], "action": "approve"}, format="json"
    )
    assert missing.status_code == 404 and missing.json() == resp.json()
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}


def test_bulk_reject_needs_a_reason_and_tells_the_authors(
    client_for, org, news_a, m_a1, m2_a1, editor_a
):
    SensitiveWord.objects.create(unit=org.root, word="禁词")
    ids = [
        post(client_for(m.user), news_a, f"禁词{i}").json()["id"]
        for i, m in enumerate((m_a1, m2_a1))
    ]
    editor = client_for(editor_a)
    no_reason = editor.post(DECIDE, {"ids": ids, "action": "reject"}, format="json")
    assert no_reason.status_code == 400 and "驳回理由" in no_reason.json()["error"]["message"]
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}
    ok = editor.post(
        DECIDE, {"ids": ids, "action": "reject", "reason": "含不当用语"}, format="json"
    )
    assert ok.json() == {"count": 2}
    assert set(Comment.objects.values_list("status", "reject_reason")) == {
        ("rejected", "含不当用语")
    }
    notes = Notification.objects.filter(kind="comment_rejected")
    assert sorted(n.recipient_id for n in notes) == sorted([m_a1.pk, m2_a1.pk])
    assert all("含不当用语" in n.body for n in notes)
    own = (
        client_for(m_a1.user)
        .get(URL, {"target_type": "news", "target_id": news_a.pk})
        .json()["results"]
    )
    # the author still sees it, marked rejected with the reason; nobody else does
    assert [(r["status"], r["reject_reason"]) for r in own] == [("rejected", "含不当用语")]
    others = (
        client_for(m2_a1.user)
        .get(URL, {"target_type": "news", "target_id": news_a.pk})
        .json()["results"]
    )
    assert [r["is_mine"] for r in others] == [True]  # only m2's own (also rejected) one


def test_report_puts_a_comment_in_the_queue_once(client_for, news_a, m_a1, m2_a1, editor_a):
    c = post(client_for(m_a1.user), news_a, "普通评论").json()
    reporter = client_for(m2_a1.user)
    for _ in range(3):
        assert (
            reporter.post(f"{URL}{c['id']}/report/", {"reason": "不实"}, format="json").status_code
            == 200
        )
    own = client_for(m_a1.user).post(f"{URL}{c['id']}/report/", {}, format="json")
    assert own.status_code == 400
    queue = client_for(editor_a).get(QUEUE).json()["results"]
    assert [(q["id"], q["report_count"], q["held_reason"]) for q in queue] == [
        (c["id"], 1, "reported")
    ]
    client_for(editor_a).post(DECIDE, {"ids": [c["id"]], "action": "approve"}, format="json")
    assert client_for(editor_a).get(QUEUE).json()["results"] == []
    assert Comment.objects.get(pk=c["id"]).status == "published"


def test_queue_runs_a_constant_number_of_queries(client_for, org, news_a, editor_a):
    from tests.factories import member_in

    SensitiveWord.objects.create(unit=org.root, word="禁词")
    editor = client_for(editor_a)
    post(client_for(member_in(org.a1).user), news_a, "禁词0")
    editor.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        editor.get(QUEUE)
    for i in range(8):
        post(client_for(member_in(org.a1).user), news_a, f"禁词{i + 1}")
    with CaptureQueriesContext(connection) as many:
        assert len(editor.get(QUEUE).json()["results"]) == 9
    assert len(many) == len(few) <= 10, [q["sql"] for q in many.captured_queries]


def _admin(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_admin_queue_lists_subtree_and_bulk_rejects(
    client_for, org, news_a, news_b, m_a1, m_b1, editor_a
):
    SensitiveWord.objects.create(unit=org.root, word="禁词")
    a = post(client_for(m_a1.user), news_a, "禁词在A").json()
    b = post(client_for(m_b1.user), news_b, "禁词在B").json()
    admin = _admin(editor_a)
    page = admin.get("/admin/interaction/moderation/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "禁词在A" in html and "禁词在B" not in html and "命中敏感词" in html
    outside = admin.post(
        "/admin/interaction/moderation/",
        {"ids": [a["id"], b["id"]], "action": "reject", "reason": "x"},
    )
    assert outside.status_code == 404
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}
    done = admin.post(
        "/admin/interaction/moderation/", {"ids": [a["id"]], "action": "reject", "reason": "不当"}
    )
    assert done.status_code == 302
    assert Comment.objects.get(pk=a["id"]).status == "rejected"


def test_admin_queue_is_refused_to_a_plain_member(m_a1):
    resp = _admin(m_a1.user).get("/admin/interaction/moderation/")
    assert resp.status_code in (302, 403)


def test_admin_word_list_is_scoped(org, editor_a):
    mine = SensitiveWord.objects.create(unit=org.a1, word="甲词")
    theirs = SensitiveWord.objects.create(unit=org.b1, word="乙词")
    admin = _admin(editor_a)
    listing = admin.get("/admin/interaction_words/").content.decode()
    assert "甲词" in listing and "乙词" not in listing
    assert admin.get(f"/admin/interaction_words/edit/{theirs.pk}/").status_code == 404
    assert admin.get(f"/admin/interaction_words/edit/{mine.pk}/").status_code == 200
    add = admin.post("/admin/interaction_words/new/", {"unit": org.b1.pk, "word": "越权"})
    assert add.status_code == 200 and not SensitiveWord.objects.filter(word="越权").exists()
    dup = admin.post("/admin/interaction_words/new/", {"unit": org.a1.pk, "word": "甲詞"})
    assert dup.status_code == 200 and "已在该党组织的敏感词表中" in dup.content.decode()
