"""The study-points history: a member sees their own credited events — time in their
unit's time zone, reason, the course/exam/contest it was earned on (linked), points and
the running total — newest first, 20 a page; in the portal and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from elearning.contests.models import PointLedger
from elearning.contests.services import contest_answer, contest_enter, points_award
from tests.portal import factories as f

pytestmark = pytest.mark.django_db


def _at(member, key: str, when: dt.datetime) -> None:
    """Pin when an event was credited (the ledger stamps the real time)."""
    PointLedger.objects.filter(member=member, event_key=key).update(created_at=when)


@pytest.fixture
def earned(org, member_b1):
    """B1 is in Africa/Dar_es_Salaam (UTC+3): a lesson, an exam and a contest."""
    course, exam = f.course_with_exam(org.root)
    lesson = course.lessons.first()
    contest = f.contest(org.root, questions=2)
    member = member_b1
    points_award(member=member, rule="lesson_complete", event_key=f"lesson:{member.pk}:{lesson.pk}")
    _at(member, f"lesson:{member.pk}:{lesson.pk}", dt.datetime(2026, 11, 20, 22, 30, tzinfo=dt.UTC))
    points_award(member=member, rule="quiz_pass", event_key=f"exam:{exam.pk}:{member.pk}")
    _at(member, f"exam:{exam.pk}:{member.pk}", dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC))
    state = contest_enter(contest=contest, member=member)
    while state["question"] is not None and not state["finished"]:
        state = contest_answer(
            contest=contest, member=member, question_id=state["question"]["id"], answer="A"
        )
    key = f"contest:{state['entry']}"
    _at(member, key, dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.UTC))
    return {"course": course, "exam": exam, "contest": contest}


def test_history_shows_local_time_reason_source_points_and_running_total(
    earned, member_b1, web_client
):
    resp = web_client(member_b1.user).get("/learn/points/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "积分明细" in html
    rows = resp.context["events"]
    assert [(e["rule"], e["points"], e["running_total"]) for e in rows] == [
        ("contest", 2, 9),
        ("quiz_pass", 5, 7),
        ("lesson_complete", 2, 2),
    ]
    # 22:30 UTC is 01:30 the next day in Dar es Salaam
    assert "2026-11-21 01:30" in html and "2026-11-20 22:30" not in html
    assert "完成课时" in html and "考试/测验通过" in html
    assert f'href="/learn/courses/{earned["course"].pk}/"' in html
    assert f'href="/learn/exams/{earned["exam"].pk}/"' in html
    assert f'href="/contests/{earned["contest"].pk}/"' in html
    assert earned["course"].title in html and earned["contest"].title in html
    # the home page's points card links here
    assert 'href="/learn/points/"' in web_client(member_b1.user).get("/").content.decode()


def test_a_member_sees_only_their_own_history(earned, member_a1, member_b1, web_client, client_for):
    resp = web_client(member_a1.user).get("/learn/points/")
    assert resp.status_code == 200
    assert resp.context["events"] == []
    assert "暂无积分记录" in resp.content.decode()
    api = client_for(member_a1.user).get("/api/v1/points/history/")
    assert api.status_code == 200 and api.json()["count"] == 0


def test_history_pages_twenty_events_newest_first(org, member_a1, web_client):
    start = timezone.now() - dt.timedelta(days=30)
    for i in range(25):
        key = f"lesson:{member_a1.pk}:{90000 + i}"
        day = start + dt.timedelta(days=i)  # one a day: under the daily cap
        points_award(member=member_a1, rule="lesson_complete", event_key=key, now=day)
        _at(member_a1, key, day)
    client = web_client(member_a1.user)
    first = client.get("/learn/points/")
    assert len(first.context["events"]) == 20
    assert first.context["events"][0]["running_total"] == 50  # 25 × 2, the newest first
    second = client.get("/learn/points/?page=2")
    assert [e["running_total"] for e in second.context["events"]] == [10, 8, 6, 4, 2]
    # a lesson that no longer exists: the event stays, without a link
    assert second.context["events"][0]["source"] is None


def test_api_history(earned, member_b1, client_for):
    resp = client_for(member_b1.user).get("/api/v1/points/history/", {"page_size": 2})
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 3 and body["next"]
    first = body["results"][0]
    assert (first["rule"], first["points"], first["running_total"]) == ("contest", 2, 9)
    assert first["source"] == {
        "kind": "contest",
        "id": earned["contest"].pk,
        "title": earned["contest"].title,
    }
    assert body["results"][1]["source"]["kind"] == "exam"
    assert client_for(member_b1.user).get("/api/v1/points/history/?page=9").status_code == 404
