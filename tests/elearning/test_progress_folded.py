"""The everyday interval report is authorized inside its own statement
(elearning.courses.progress_store.report_record_authorized, #23): no user look-up before
it, and every rule of the API's authentication still holds — a revoked token, an inactive
user, a user who is not a member, a member outside the lesson's audience are refused as
before, and nothing is written for them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elearning.contests import services as points
from elearning.models import (
    Course,
    CourseProgress,
    Lesson,
    LessonProgress,
    PointBalance,
    PointRule,
    ProgressReceipt,
)
from media_pipeline.models import MediaAsset
from organizations.logins import user_logins_revoke
from organizations.models import Member
from tests.elearning.test_progress import iv, report, url
from tests.factories import member_in

pytestmark = [pytest.mark.django_db, pytest.mark.pg_only]


@pytest.fixture(autouse=True)
def _postgres():
    if connection.vendor != "postgresql":
        pytest.skip(
            "the folded statement is PostgreSQL's (elsewhere the report authenticates first)"
        )


@pytest.fixture
def watching(academy, member, client_for, rewind):
    """The member's phone: the video opened, ten minutes of wall time behind it."""
    c = client_for(member.user)
    assert c.post(url(academy.video), {"event": "open"}, format="json").status_code == 200
    rewind(member, academy.video, 600)
    return c


def _state(member, lesson):
    row = LessonProgress.objects.get(member=member, lesson=lesson)
    return row.unique_seconds, row.reports, ProgressReceipt.objects.filter(member=member).count()


def test_an_accepted_report_is_one_statement_with_its_authorization(watching, academy):
    assert report(watching, academy.video, [iv(0, 30)], "k1").status_code == 200
    with CaptureQueriesContext(connection) as q:
        r = report(watching, academy.video, [iv(30, 60)], "k2")
    assert r.status_code == 200 and r.json()["unique_seconds"] == 60
    # (the test's transaction wraps it in a savepoint; in production it is its own)
    sqls = [x["sql"] for x in q.captured_queries if "SAVEPOINT" not in x["sql"]]
    assert len(sqls) == 1, [s[:80] for s in sqls]
    sql = sqls[0]
    assert "organizations_loginstate" in sql and "int4multirange" in sql


def test_a_revoked_token_is_refused_and_nothing_is_written(watching, academy, member):
    assert report(watching, academy.video, [iv(0, 30)], "k1").status_code == 200
    before = _state(member, academy.video)
    user_logins_revoke(user=member.user)  # "log out everywhere" from another device
    r = report(watching, academy.video, [iv(30, 60)], "k2")
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"
    assert _state(member, academy.video) == before


def test_an_inactive_user_is_refused_and_nothing_is_written(watching, academy, member):
    before = _state(member, academy.video)
    get_user_model().objects.filter(pk=member.user_id).update(is_active=False)
    r = report(watching, academy.video, [iv(0, 30)], "k1")
    assert r.status_code == 401
    assert _state(member, academy.video) == before


def test_a_member_moved_out_of_the_audience_gets_not_found(org, client_for, rewind):
    asset = MediaAsset.objects.create(
        kind="video", title="A 委课", owner_unit=org.a, status="ready", duration=100.0
    )
    course = Course.objects.create(title="A 委必修", audience_unit=org.a, is_published=True)
    lesson = Lesson.objects.create(course=course, title="视频", kind="video", media=asset)
    m = member_in(org.a1)
    c = client_for(m.user)
    assert c.post(url(lesson), {"event": "open"}, format="json").status_code == 200
    rewind(m, lesson, 600)
    assert report(c, lesson, [iv(0, 30)], "k1").status_code == 200
    before = _state(m, lesson)
    Member.objects.filter(pk=m.pk).update(unit=org.b1)  # transferred to another committee
    r = report(c, lesson, [iv(30, 60)], "k2")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert _state(m, lesson) == before


def test_a_user_who_is_not_a_member_is_refused(academy, client_for):
    user = get_user_model().objects.create_user("visitor", password="x")
    r = report(client_for(user), academy.video, [iv(0, 30)], "k1")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"
    assert not ProgressReceipt.objects.exists()


def test_a_retried_key_answers_duplicate_and_counts_once(watching, academy, member):
    first = report(watching, academy.video, [iv(0, 30)], "k1")
    again = report(watching, academy.video, [iv(0, 30)], "k1")
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert _state(member, academy.video) == (30, 1, 1)


def test_completion_and_points_follow_a_folded_report(watching, academy, member):
    PointRule.objects.create(code="watch_minutes", points=1, per_minutes=1, daily_cap=0)
    PointRule.objects.create(code="lesson_complete", points=4, daily_cap=0)
    points.rules_cache_clear()
    r = report(watching, academy.video, [iv(0, 95)], "k1")  # ≥ 90 % of the 100 s video
    assert r.status_code == 200 and r.json()["completed"] is True
    # one point for the first full minute watched, four for the completed lesson
    assert PointBalance.objects.get(member=member).total == 5
    cp = CourseProgress.objects.get(member=member, course=academy.course)
    assert cp.lessons_completed == 1
