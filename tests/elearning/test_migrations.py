"""The data steps of the academy migrations, on the database the suite runs on: stored
second ranges become millisecond ranges and each member's per-lesson budgets one
allowance; duplicate open attempts are closed before the one-open-attempt constraint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import make_org_tree, member_in

BEFORE = [("elearning", "0005_exam_review_after_last")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_intervals_become_milliseconds_and_budgets_one_allowance():
    org = make_org_tree()
    m1, m2 = member_in(org.a1), member_in(org.a1)
    try:
        old = _migrate(BEFORE)
        Course = old.get_model("elearning", "Course")
        Lesson = old.get_model("elearning", "Lesson")
        LessonProgress = old.get_model("elearning", "LessonProgress")
        course = Course.objects.create(title="c", audience_unit_id=org.root.pk)
        lessons = [Lesson.objects.create(course=course, title=f"l{i}", kind="video", sort_order=i)
                   for i in range(2)]  # fmt: skip
        now = timezone.now()
        rows = [
            (m1.pk, lessons[0], [[0, 30], [45, 60]], 12.5, now - dt.timedelta(minutes=5)),
            (m1.pk, lessons[1], [[10, 20]], 40.0, now - dt.timedelta(minutes=9)),
            (m2.pk, lessons[0], [], 15.0, None),
        ]
        for member_id, lesson, intervals, budget, last in rows:
            LessonProgress.objects.create(
                member_id=member_id, lesson=lesson, course=course, intervals=intervals,
                budget=budget, opened_at=now - dt.timedelta(hours=1), last_report_at=last,
            )  # fmt: skip
        new = _migrate([("elearning", "0006_watch_allowance_ms_intervals")])
        LessonProgress = new.get_model("elearning", "LessonProgress")
        WatchAllowance = new.get_model("elearning", "WatchAllowance")
        got = {(p.member_id, p.lesson_id): p.intervals for p in LessonProgress.objects.all()}
        assert got == {
            (m1.pk, lessons[0].pk): [[0, 30000], [45000, 60000]],
            (m1.pk, lessons[1].pk): [[10000, 20000]],
            (m2.pk, lessons[0].pk): [],
        }
        allowances = {a.member_id: a for a in WatchAllowance.objects.all()}
        assert allowances[m1.pk].budget == 40.0  # the largest of the member's budgets
        assert abs(allowances[m1.pk].refilled_at - (now - dt.timedelta(minutes=5))) < dt.timedelta(
            seconds=1
        )
        assert allowances[m2.pk].budget == 15.0
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_duplicate_open_attempts_are_closed_before_the_constraint():
    org = make_org_tree()
    m = member_in(org.a1)
    try:
        old = _migrate([("elearning", "0003_courseprogress_report_index")])
        Exam = old.get_model("elearning", "Exam")
        Attempt = old.get_model("elearning", "Attempt")
        exam = Exam.objects.create(title="e", audience_unit_id=org.root.pk)
        now = timezone.now()
        ids = [
            Attempt.objects.create(
                exam=exam, member_id=m.pk, number=n, started_at=now, deadline=now
            ).pk
            for n in (1, 2, 3)
        ]
        new = _migrate([("elearning", "0004_one_open_attempt")])
        Attempt = new.get_model("elearning", "Attempt")
        status = dict(Attempt.objects.values_list("pk", "status"))
        assert status == {ids[0]: "expired", ids[1]: "expired", ids[2]: "in_progress"}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
