"""The portal: the comment box and thread under a news item (plain text, safe links, no
script), refusals shown in Chinese with their 4xx status, the unit board, asking and
answering questions, the FAQ."""

from __future__ import annotations

import pytest
from django.test import Client

from interaction.comments.models import Board, Comment
from interaction.qa.models import FaqEntry, Question

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def comment(client, target_type, target_id, body, **extra):
    data = {
        "target_type": target_type,
        "target_id": target_id,
        "body": body,
        "next": "/x/",
        **extra,
    }
    return client.post("/comments/", data)


def test_news_page_shows_the_box_and_thread_without_a_script_path(news_a, m_a1, m2_a1):
    evil = '<script>alert("x")</script> 见 https://example.org/a?b=1&c=2 和 javascript:alert(1)'
    resp = comment(web(m_a1.user), "news", news_a.pk, evil, next=news_a.url)
    assert resp.status_code == 302 and resp["Location"].startswith(news_a.url)
    html = web(m2_a1.user).get(news_a.url).content.decode()
    assert 'name="body"' in html and "评论（1）" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow">' in html
    assert 'href="javascript' not in html


@pytest.mark.parametrize(
    "body, status, message",
    [("", 400, "不能为空"), ("长" * 1001, 400, "最多 1000 个字"), ("铃\x07", 400, "控制字符")],
)
def test_portal_refusals_are_chinese_4xx_and_write_nothing(news_a, m_a1, body, status, message):
    resp = comment(web(m_a1.user), "news", news_a.pk, body)
    assert resp.status_code == status and message in resp.content.decode()
    assert not Comment.objects.exists()


def test_portal_reply_to_reply_and_invisible_item(news_a, m_a1, m_b1):
    client = web(m_a1.user)
    comment(client, "news", news_a.pk, "一级")
    top = Comment.objects.get()
    comment(client, "news", news_a.pk, "二级", parent=top.pk)
    reply = Comment.objects.get(parent=top)
    resp = comment(client, "news", news_a.pk, "三级", parent=reply.pk)
    assert resp.status_code == 400 and "只能回复一级评论" in resp.content.decode()
    assert comment(web(m_b1.user), "news", news_a.pk, "看不见").status_code == 404
    assert Comment.objects.count() == 2


def test_portal_rate_limit_is_429(news_a, m_a1, settings):
    from tests.interaction.conftest import rate_reset

    settings.EHOME_INTERACTION_RATES = {"comment": (1, 60)}
    rate_reset("comment", m_a1.pk)
    client = web(m_a1.user)
    assert comment(client, "news", news_a.pk, "一").status_code == 302
    resp = comment(client, "news", news_a.pk, "二")
    assert resp.status_code == 429 and "过于频繁" in resp.content.decode()
    assert resp["Retry-After"]


def test_unit_board_for_members_and_upper_levels(org, m_a1, m_b1):
    from tests.factories import member_in

    client = web(m_a1.user)
    resp = client.get("/board/")
    board = Board.objects.get(unit=org.a1)
    assert resp.status_code == 302 and resp["Location"] == f"/boards/{board.pk}/"
    page = client.get(f"/boards/{board.pk}/").content.decode()
    assert "北京项目党支部留言板" in page and 'name="body"' in page
    assert comment(client, "board", board.pk, "支部留言").status_code == 302
    upper = web(member_in(org.root).user)
    assert "支部留言" in upper.get(f"/boards/{board.pk}/").content.decode()
    assert comment(upper, "board", board.pk, "上级留言").status_code == 302
    assert web(m_b1.user).get(f"/boards/{board.pk}/").status_code == 404
    assert comment(web(m_b1.user), "board", board.pk, "越界").status_code == 404
    assert client.get(f"/board/?unit={org.b.pk}").status_code == 404
    assert Comment.objects.count() == 2


def test_ask_answer_and_faq_in_the_portal(org, m_a1, answerer_a):
    client = web(m_a1.user)
    form = client.get("/qa/ask/").content.decode()
    assert org.a1.name in form and org.root.name in form and org.b.name not in form
    bad = client.post("/qa/ask/", {"title": "标题", "body": "内容", "unit": org.b.pk})
    assert bad.status_code == 400 and "本党组织或上级" in bad.content.decode()
    done = client.post(
        "/qa/ask/", {"title": "组织关系转接", "body": "怎么办理？", "unit": org.a.pk}
    )
    q = Question.objects.get()
    assert done.status_code == 302 and q.addressed_unit_id == org.a.pk
    assert "组织关系转接" in client.get("/qa/").content.decode()
    answerer = web(answerer_a)
    assert "组织关系转接" in answerer.get("/qa/inbox/").content.decode()
    answerer.post(f"/qa/inbox/{q.pk}/", {"action": "answer", "answer": "登录系统提交申请。"})
    answerer.post(f"/qa/inbox/{q.pk}/", {"action": "faq"})
    assert FaqEntry.objects.filter(question=q).exists()
    assert "登录系统提交申请。" in client.get(f"/qa/{q.pk}/").content.decode()
    assert "怎么办理？" in client.get("/faq/").content.decode()
    assert client.get("/qa/inbox/").status_code == 404  # not an answerer


def test_interaction_pages_pass_the_static_accessibility_check(org, news_a, m_a1, answerer_a):
    from interaction.comments.models import Board
    from tests.portal.a11y import problems

    client = web(m_a1.user)
    comment(client, "news", news_a.pk, "有一条评论")
    top = Comment.objects.get()
    comment(client, "news", news_a.pk, "和一条回复", parent=top.pk)
    client.post("/qa/ask/", {"title": "问题", "body": "内容", "unit": org.a.pk})
    q = Question.objects.get()
    board = Board.objects.create(unit=org.a1)
    pages = [
        news_a.url,
        f"/boards/{board.pk}/",
        "/qa/",
        "/qa/ask/",
        f"/qa/{q.pk}/",
        "/faq/",
        f"/comments/{top.pk}/edit/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert problems(response.content.decode()) == [], url
    answerer = web(answerer_a)
    for url in ("/qa/inbox/", f"/qa/inbox/{q.pk}/"):
        response = answerer.get(url)
        assert response.status_code == 200, url
        assert problems(response.content.decode()) == [], url
