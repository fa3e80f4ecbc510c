"""Contest play and leaderboards; site search with filters, in scope."""

from __future__ import annotations

import re

import pytest

from tests.portal import factories as f

pytestmark = pytest.mark.django_db


def test_contest_play_one_question_at_a_time_then_leaderboard(org, member_b1, web_client):
    contest = f.contest(org.root, questions=3)
    client = web_client(member_b1.user)
    assert contest.title in client.get("/contests/").content.decode()
    answers = ["A", "B", "A"]  # two right, one wrong
    for answer in answers:
        page = client.get(f"/contests/{contest.pk}/play/").content.decode()
        qid = re.search(r'name="question" value="(\d+)"', page).group(1)
        assert "竞答题" in page and 'data-seconds="30"' in page
        response = client.post(
            f"/contests/{contest.pk}/play/", {"question": qid, "type": "single", f"q{qid}": answer}
        )
        assert response.status_code == 302
    assert response["Location"] == f"/contests/{contest.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "本次答对 2 / 3 题" in detail
    board = client.get(f"/contests/{contest.pk}/leaderboard/").content.decode()
    assert member_b1.name in board and "我的排名：第 1 名" in board and org.b1.name in board


def test_contest_outside_scope_is_404(org, member_b1, web_client):
    contest = f.contest(org.a1)
    assert web_client(member_b1.user).get(f"/contests/{contest.pk}/play/").status_code == 404


def test_search_finds_chinese_words_in_scope_with_type_filter(
    org, member_b1, web_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        f.news(org.b1, title="坦桑尼亚港口项目安全生产月活动")
        f.news(org.a1, title="北京项目安全生产检查")
        f.book(org.root, title="安全生产法律法规汇编")
    client = web_client(member_b1.user)
    html = client.get("/search/", {"q": "安全生产"}).content.decode()
    assert "港口项目" in html and "法律法规汇编" in html
    assert "北京项目安全生产检查" not in html.replace("<mark>", "").replace("</mark>", "")
    only_news = client.get("/search/", {"q": "安全生产", "type": "news"}).content.decode()
    assert "港口项目" in only_news and "法律法规汇编" not in only_news


def test_contest_list_marks_only_open_contests(org, member_b1, web_client):
    import datetime as dt

    from django.utils import timezone

    open_now = f.contest(org.root)
    later = f.contest(org.root)
    later.starts_at = timezone.now() + dt.timedelta(days=1)
    later.ends_at = later.starts_at + dt.timedelta(hours=1)
    later.save()
    html = web_client(member_b1.user).get("/contests/").content.decode()

    def item(contest) -> str:
        return html[html.index(contest.title) :].split("</li>")[0]

    assert "进行中" in item(open_now)
    assert "进行中" not in item(later)
