"""Comments over /api/v1/comments/: posting, threads one level deep, edit window, delete
own, the bad-input list (each a clear 4xx with nothing written), rate limits, ETag/304,
delta sync and constant query counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interaction.comments.models import Comment, ModerationRule
from tests.interaction.conftest import rate_reset

pytestmark = pytest.mark.django_db
URL = "/api/v1/comments/"


def post(client, target, body, **extra):
    data = {"target_type": "news", "target_id": target.pk, "body": body, **extra}
    return client.post(URL, data, format="json")


def thread(client, target, **params):
    return client.get(URL, {"target_type": "news", "target_id": target.pk, **params})


def test_member_comments_and_another_member_reads_it(client_for, news_a, m_a1, m2_a1):
    resp = post(client_for(m_a1.user), news_a, "  学习了，很受教育。\r\n第二行  ")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["body"] == "学习了，很受教育。\n第二行"
    assert body["status"] == "published" and body["is_mine"]
    rows = thread(client_for(m2_a1.user), news_a).json()["results"]
    assert [(r["body"], r["author"]["name"], r["is_mine"]) for r in rows] == [
        ("学习了，很受教育。\n第二行", "张三", False)
    ]


@pytest.mark.parametrize(
    "body, code",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("长" * 1001, "too_long"),
        ("有\x07铃声", "control_characters"),
        ("反向\u202e文字", "control_characters"),
        ("退格\x08", "control_characters"),
        (["列表"], "invalid"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_written(client_for, news_a, m_a1, body, code):
    resp = post(client_for(m_a1.user), news_a, body)
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["message"]
    if code != "invalid":
        assert error["code"] == code
    assert not Comment.objects.exists()


def test_nul_byte_is_refused(client_for, news_a, m_a1):
    resp = post(client_for(m_a1.user), news_a, "空\x00字符")
    assert resp.status_code == 400
    assert "NUL" in json.dumps(resp.json(), ensure_ascii=False)
    assert not Comment.objects.exists()


def test_exactly_the_maximum_is_accepted(client_for, news_a, m_a1):
    assert post(client_for(m_a1.user), news_a, "长" * 1000).status_code == 201


def test_item_the_member_cannot_see_is_404_and_nothing_written(client_for, news_a, m_b1):
    client = client_for(m_b1.user)
    assert post(client, news_a, "看不到的内容").status_code == 404
    assert thread(client, news_a).status_code == 404
    missing = client.post(
        URL, {"target_type": "news", "target_id": 999999, "body": "x"}, format="json"
    )
    assert missing.status_code == 404 and missing.json() == post(client, news_a, "y").json()
    assert not Comment.objects.exists()


def test_threads_are_one_level_deep(client_for, news_a, m_a1, m2_a1):
    a, b = client_for(m_a1.user), client_for(m2_a1.user)
    top = post(a, news_a, "一级评论").json()
    reply = post(b, news_a, "回复", parent_id=top["id"])
    assert reply.status_code == 201 and reply.json()["parent_id"] == top["id"]
    deeper = post(a, news_a, "回复的回复", parent_id=reply.json()["id"])
    assert deeper.status_code == 400
    assert deeper.json()["error"]["code"] == "reply_to_reply"
    assert Comment.objects.count() == 2


def test_reply_must_be_under_the_same_item(client_for, org, site, news_a, m_a1):
    from tests.cms.conftest import publish_news

    other = publish_news(
        site.channel, title="另一条", publishing_unit=org.a, audience_unit=org.a, slug="other"
    )
    client = client_for(m_a1.user)
    top = post(client, news_a, "一级").json()
    resp = post(client, other, "跨内容回复", parent_id=top["id"])
    assert resp.status_code == 400 and Comment.objects.count() == 1


def test_edit_within_the_window_only(client_for, news_a, m_a1):
    client = client_for(m_a1.user)
    c = post(client, news_a, "原文").json()
    resp = client.patch(f"{URL}{c['id']}/", {"body": "改后"}, format="json")
    assert resp.status_code == 200 and resp.json()["body"] == "改后" and resp.json()["edited_at"]
    Comment.objects.filter(pk=c["id"]).update(created_at=timezone.now() - dt.timedelta(minutes=16))
    late = client.patch(f"{URL}{c['id']}/", {"body": "太晚了"}, format="json")
    assert late.status_code == 409 and "15 分钟" in late.json()["error"]["message"]
    assert Comment.objects.get(pk=c["id"]).body == "改后"


def test_only_the_author_edits_or_deletes(client_for, news_a, m_a1, m2_a1):
    c = post(client_for(m_a1.user), news_a, "我的评论").json()
    other = client_for(m2_a1.user)
    assert other.patch(f"{URL}{c['id']}/", {"body": "篡改"}, format="json").status_code == 404
    assert other.delete(f"{URL}{c['id']}/").status_code == 404
    assert Comment.objects.get(pk=c["id"]).body == "我的评论"
    assert client_for(m_a1.user).delete(f"{URL}{c['id']}/").status_code == 204
    assert Comment.objects.get(pk=c["id"]).status == "removed"
    assert thread(other, news_a).json()["results"] == []


def test_rate_limit_is_a_clear_429(client_for, news_a, m_a1, settings):
    settings.EHOME_INTERACTION_RATES = {"comment": (2, 60)}
    rate_reset("comment", m_a1.pk)
    client = client_for(m_a1.user)
    assert post(client, news_a, "一").status_code == 201
    assert post(client, news_a, "二").status_code == 201
    resp = post(client, news_a, "三")
    assert resp.status_code == 429
    assert "过于频繁" in resp.json()["error"]["message"]
    assert int(resp["Retry-After"]) >= 1
    assert Comment.objects.count() == 2


def test_plain_text_comes_back_as_written(client_for, news_a, m_a1):
    """The API never turns text into HTML: clients show the string as text."""
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3)"
    c = post(client_for(m_a1.user), news_a, evil).json()
    assert c["body"] == evil


def test_etag_and_304_then_a_new_comment_changes_it(client_for, news_a, m_a1, m2_a1):
    reader = client_for(m2_a1.user)
    post(client_for(m_a1.user), news_a, "第一条")
    first = thread(reader, news_a)
    etag = first["ETag"]
    assert etag
    again = reader.get(
        URL, {"target_type": "news", "target_id": news_a.pk}, HTTP_IF_NONE_MATCH=etag
    )
    assert again.status_code == 304
    post(client_for(m_a1.user), news_a, "第二条")
    changed = reader.get(
        URL, {"target_type": "news", "target_id": news_a.pk}, HTTP_IF_NONE_MATCH=etag
    )
    assert changed.status_code == 200 and len(changed.json()["results"]) == 2


def test_delta_sync_lists_changes_and_removals(client_for, news_a, m_a1, m2_a1):
    author, reader = client_for(m_a1.user), client_for(m2_a1.user)
    old = post(author, news_a, "旧评论").json()
    gone = post(author, news_a, "将删除").json()
    since = timezone.now()
    Comment.objects.filter(pk__in=[old["id"], gone["id"]]).update(
        updated_at=since - dt.timedelta(seconds=5)
    )
    new = post(author, news_a, "新评论").json()
    author.delete(f"{URL}{gone['id']}/")
    rows = thread(reader, news_a, updated_since=since.isoformat()).json()["results"]
    got = {r["id"]: (r["status"], r["body"]) for r in rows}
    assert got == {new["id"]: ("published", "新评论"), gone["id"]: ("removed", "")}


def test_thread_runs_a_constant_number_of_queries(client_for, news_a, m_a1, m2_a1, org):
    from tests.factories import member_in

    reader = client_for(m2_a1.user)
    post(client_for(m_a1.user), news_a, "一")
    thread(reader, news_a)  # warm caches
    with CaptureQueriesContext(connection) as few:
        assert thread(reader, news_a).status_code == 200
    authors = [member_in(org.a1) for _ in range(5)]
    for i, m in enumerate(authors):
        top = post(client_for(m.user), news_a, f"评论{i}").json()
        post(client_for(m_a1.user), news_a, f"回复{i}", parent_id=top["id"])
    with CaptureQueriesContext(connection) as many:
        resp = thread(reader, news_a)
    assert len(resp.json()["results"]) == 11
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 16, [q["sql"] for q in many.captured_queries]


def test_pre_moderation_holds_until_approved(client_for, org, news_a, m_a1, m2_a1, editor_a):
    ModerationRule.objects.create(unit=org.a, target="news", mode="pre")
    c = post(client_for(m_a1.user), news_a, "先审后发").json()
    assert c["status"] == "pending" and c["held_reason"] == "pre"
    assert thread(client_for(m2_a1.user), news_a).json()["results"] == []
    own = thread(client_for(m_a1.user), news_a).json()["results"]
    assert [r["status"] for r in own] == ["pending"]
    resp = client_for(editor_a).post(
        "/api/v1/moderation/comments/decide/",
        {"ids": [c["id"]], "action": "approve"},
        format="json",
    )
    assert resp.status_code == 200 and resp.json() == {"count": 1}
    assert [r["body"] for r in thread(client_for(m2_a1.user), news_a).json()["results"]] == [
        "先审后发"
    ]


def test_channel_rule_wins_over_the_rule_for_all_news(client_for, org, news_a, m_a1):
    ModerationRule.objects.create(unit=org.root, target="news", mode="pre")
    ModerationRule.objects.create(
        unit=org.root, target="news", channel_code="headline", mode="post"
    )
    assert post(client_for(m_a1.user), news_a, "频道规则").json()["status"] == "published"


def test_official_reply_is_marked(client_for, org, news_a, m_a1, editor_a):
    top = post(client_for(m_a1.user), news_a, "请问").json()
    resp = post(client_for(editor_a), news_a, "感谢关注", parent_id=top["id"], official=True)
    assert resp.status_code == 201, resp.content
    assert resp.json()["is_official"] and resp.json()["official_unit"] == org.a.name
    refused = post(client_for(m_a1.user), news_a, "冒充官方", official=True)
    assert refused.status_code == 403 and Comment.objects.count() == 2


def test_lessons_and_boards_take_comments_within_their_audience(client_for, org, m_a1, m_b1):
    from elearning.models import Course, Lesson
    from tests.factories import member_in

    course = Course.objects.create(title="党课", audience_unit=org.a, is_published=True)
    lesson = Lesson.objects.create(course=course, title="第一课", kind="article", body="<p>x</p>")
    data = {"target_type": "lesson", "target_id": lesson.pk, "body": "课后感想"}
    assert client_for(m_a1.user).post(URL, data, format="json").status_code == 201
    assert client_for(m_b1.user).post(URL, data, format="json").status_code == 404

    mine = client_for(m_a1.user).get("/api/v1/boards/mine/").json()
    assert mine["unit"]["id"] == org.a1.pk
    board = {"target_type": "board", "target_id": mine["id"], "body": "支部留言"}
    assert client_for(m_a1.user).post(URL, board, format="json").status_code == 201
    upper = member_in(org.root)
    assert client_for(upper.user).post(URL, board, format="json").status_code == 201
    assert client_for(m_b1.user).get(f"/api/v1/boards/{mine['id']}/").status_code == 404
    assert client_for(m_b1.user).post(URL, board, format="json").status_code == 404
    listed = client_for(upper.user).get("/api/v1/boards/").json()["results"]
    assert mine["id"] in [b["id"] for b in listed]
    assert Comment.objects.filter(target_type="board").count() == 2
