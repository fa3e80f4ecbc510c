"""Contests (server-timed answers, modes, leaderboards) and study points (caps, ledger)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from elearning.contests import services as points
from elearning.models import (
    Contest,
    ContestBest,
    ContestEntry,
    ContestUnitScore,
    PointBalance,
    PointLedger,
    PointRule,
    Question,
)
from tests.elearning.conftest import make_questions
from tests.factories import member_in


@pytest.fixture
def contest(org):
    qs = make_questions(org.root, category="竞赛", n=3)
    singles = [q for q in qs if q.type == "single"]
    c = Contest.objects.create(
        title="党纪党规知识竞答",
        audience_unit=org.root,
        starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(days=1),
        mode="challenge",
        seconds_per_question=20,
        is_published=True,
    )
    c.questions.set(singles)
    return c


def play(client, contest, answers):
    """answers: list of 'right'/'wrong'; returns the final state."""
    state = client.post(f"/api/v1/contests/{contest.pk}/entries/").json()
    for a in answers:
        q = state["question"]
        if q is None:
            break
        assert "answer" not in q
        key = Question.objects.get(pk=q["id"]).answer[0]
        value = key if a == "right" else ("B" if key != "B" else "C")
        state = client.post(
            f"/api/v1/contests/{contest.pk}/answers/",
            {"question": q["id"], "answer": value},
            format="json",
        ).json()
    return state


def test_challenge_ends_at_first_mistake_and_leaderboards(org, contest, client_for):
    m1, m2 = member_in(org.a1), member_in(org.b1)
    s1 = play(client_for(m1.user), contest, ["right", "right", "wrong"])
    assert s1["finished"] and s1["correct"] == 2
    s2 = play(client_for(m2.user), contest, ["wrong", "right"])
    assert s2["finished"] and s2["correct"] == 0 and s2["answered"] == 1
    lb = client_for(m2.user).get(f"/api/v1/contests/{contest.pk}/leaderboard/?top=5").json()
    assert [r["member_id"] for r in lb["members"]] == [m1.pk, m2.pk]
    assert lb["me"]["rank"] == 2
    assert lb["units"][0]["unit_id"] == org.a1.pk and lb["my_unit"]["rank"] == 2
    # contest points: one per correct answer
    assert PointLedger.objects.get(member=m1, rule="contest").points == 2


def test_late_answer_counts_as_wrong(org, contest, client_for):
    m = member_in(org.a1)
    c = client_for(m.user)
    state = c.post(f"/api/v1/contests/{contest.pk}/entries/").json()
    ContestEntry.objects.filter(member=m).update(asked_at=timezone.now() - dt.timedelta(seconds=60))
    q = state["question"]
    key = Question.objects.get(pk=q["id"]).answer[0]
    r = c.post(
        f"/api/v1/contests/{contest.pk}/answers/",
        {"question": q["id"], "answer": key},
        format="json",
    ).json()
    assert r["last"]["correct"] is False and r["last"]["timed_out"] is True and r["finished"]
    assert r["last"]["question"]["id"] == q["id"]  # now answered (late): its answer is shown


def test_answer_to_another_question_is_refused(org, contest, client_for):
    m = member_in(org.a1)
    c = client_for(m.user)
    state = c.post(f"/api/v1/contests/{contest.pk}/entries/").json()
    other = contest.questions.exclude(pk=state["question"]["id"]).first()
    r = c.post(
        f"/api/v1/contests/{contest.pk}/answers/",
        {"question": other.pk, "answer": "A"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "question_not_current"


def test_best_score_only_improves_unit_totals_once(org, contest, client_for):
    Contest.objects.filter(pk=contest.pk).update(mode="fixed")
    contest.refresh_from_db()
    m = member_in(org.a1)
    c = client_for(m.user)
    play(c, contest, ["right", "wrong", "wrong"])
    play(c, contest, ["right", "right", "wrong"])
    play(c, contest, ["wrong", "wrong", "wrong"])
    assert ContestBest.objects.get(member=m).score == 2
    unit = ContestUnitScore.objects.get(contest=contest, unit=org.a1)
    assert unit.participants == 1 and unit.total_score == 2
    r = c.post(f"/api/v1/contests/{contest.pk}/entries/")
    assert r.status_code == 409 and r.json()["error"]["code"] == "entries_exhausted"


def test_points_daily_cap_and_idempotent_events(org):
    m = member_in(org.a1)
    PointRule.objects.create(code="lesson_complete", points=4, daily_cap=10)
    points.rules_cache_clear()
    assert points.points_award(member=m, rule="lesson_complete", event_key="e1") == 4
    assert points.points_award(member=m, rule="lesson_complete", event_key="e1") == 0
    assert points.points_award(member=m, rule="lesson_complete", event_key="e2") == 4
    assert points.points_award(member=m, rule="lesson_complete", event_key="e3") == 2  # cap
    assert points.points_award(member=m, rule="lesson_complete", event_key="e4") == 0
    assert PointBalance.objects.get(member=m).total == 10
    assert PointLedger.objects.filter(member=m).count() == 4


def test_watch_minutes_follow_unique_seconds(org):
    m = member_in(org.a1)
    PointRule.objects.create(code="watch_minutes", points=1, per_minutes=1, daily_cap=0)
    points.rules_cache_clear()
    assert (
        points.points_award_watch(member=m, lesson_id=1, seconds_before=0, seconds_after=130) == 2
    )
    assert (
        points.points_award_watch(member=m, lesson_id=1, seconds_before=130, seconds_after=170) == 0
    )
    assert (
        points.points_award_watch(member=m, lesson_id=1, seconds_before=0, seconds_after=200) == 1
    )


def test_points_api_leaderboard_by_subtree(org, client_for):
    a, b = member_in(org.a1), member_in(org.b1)
    points.points_award(member=a, rule="quiz_pass", event_key="x1")
    points.points_award(member=b, rule="quiz_pass", event_key="x2")
    points.points_award(member=b, rule="contest", event_key="x3", units=3)
    r = client_for(a.user).get(f"/api/v1/points/?unit={org.root.pk}").json()
    assert r["total"] == 5
    assert [row["member_id"] for row in r["leaderboard"]["top"]] == [b.pk, a.pk]
    assert r["leaderboard"]["me"]["rank"] == 2
    mine = client_for(a.user).get("/api/v1/points/").json()["leaderboard"]
    assert [row["member_id"] for row in mine["top"]] == [a.pk]
    assert client_for(a.user).get(f"/api/v1/points/?unit={org.b.pk}").status_code == 404


def test_course_list_and_detail(org, academy, client_for):
    m = member_in(org.a1)
    c = client_for(m.user)
    lst = c.get("/api/v1/courses/").json()
    assert lst["count"] == 1 and lst["results"][0]["lesson_count"] == 3
    d = c.get(f"/api/v1/courses/{academy.course.pk}/").json()
    assert [lsn["kind"] for lsn in d["lessons"]] == ["video", "audio", "article"]
    assert d["exam_id"] == academy.exam.pk and d["lessons"][0]["required_seconds"] == 90
    academy.course.audience_unit = org.b
    academy.course.save()
    assert c.get(f"/api/v1/courses/{academy.course.pk}/").status_code == 404


def test_course_list_query_count_is_constant(
    org, academy, client_for, django_assert_max_num_queries
):
    from elearning.models import Course

    for i in range(5):
        Course.objects.create(title=f"c{i}", audience_unit=org.root, is_published=True)
    c = client_for(member_in(org.a1).user)
    with django_assert_max_num_queries(8) as ctx:
        c.get("/api/v1/courses/?page_size=2")
    small = len(ctx.captured_queries)
    with django_assert_max_num_queries(small):
        c.get("/api/v1/courses/?page_size=20")
