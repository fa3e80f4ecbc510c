"""Completion reports: one query per level, per child unit + total, time-zone-aware
overdue, scope = the caller's secretary units (404 otherwise), CSV/Excel export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from elearning.models import Assignment, CourseProgress
from elearning.reports import exports as report_exports
from elearning.reports import selectors as reports
from tests.factories import member_in, user_with_role


@pytest.fixture
def people(org, academy):
    a1 = [member_in(org.a1) for _ in range(3)]
    b1 = [member_in(org.b1) for _ in range(2)]
    a_direct = member_in(org.a)
    now = timezone.now()
    CourseProgress.objects.create(
        member=a1[0], course=academy.course, started_at=now, completed_at=now, best_score=80
    )
    CourseProgress.objects.create(
        member=a1[1], course=academy.course, started_at=now, best_score=40
    )
    CourseProgress.objects.create(
        member=b1[0], course=academy.course, started_at=now, completed_at=now, best_score=100
    )
    return {"a1": a1, "b1": b1, "a": a_direct}


def by_code(report):
    return {r["code"]: r for r in report["rows"]}


def test_report_rows_per_child_unit_and_total_in_one_query(org, academy, people):
    boss = user_with_role(org.root, "secretary")
    with CaptureQueriesContext(connection) as ctx:
        rep = reports.completion_report(user=boss, assignment=academy.assignment, unit=org.root)
    control = ("SET ", "COMMIT", "BEGIN", "SAVEPOINT", "RELEASE")
    sqls = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(control)]
    # ONE report query; besides it only the role lookup (and, on SQLite, the time zones)
    assert sum("elearning_courseprogress" in s for s in sqls) == 1
    assert len(sqls) <= 3
    rows = by_code(rep)
    assert set(rows) == {"A", "B", "G"}  # G = the secretary's own unit (its direct members)
    assert rows["A"]["members"] == 4 and rows["A"]["started"] == 2
    assert rows["A"]["completed"] == 1 and rows["A"]["average_score"] == 60.0
    assert rows["B"]["members"] == 2 and rows["B"]["completion_rate"] == 0.5
    total = rep["total"]
    assert total["members"] == 7 and total["completed"] == 2
    assert total["average_score"] == round((80 + 40 + 100) / 3, 2)
    assert total["overdue"] == 0


def test_drill_down_to_a_child_and_to_members(org, academy, people):
    sec = user_with_role(org.a, "secretary")
    rep = reports.completion_report(user=sec, assignment=academy.assignment, unit=org.a)
    rows = by_code(rep)
    assert rows["A1"]["members"] == 3 and rows["A"]["is_unit_itself"]
    listing = reports.completion_members(user=sec, assignment=academy.assignment, unit=org.a1)
    assert listing["count"] == 3
    assert sorted(r["status"] for r in listing["results"]) == [
        "completed",
        "in_progress",
        "not_started",
    ]


def test_overdue_uses_each_members_time_zone(org, academy, people):
    # due "yesterday" for everybody → overdue everywhere except completed members
    Assignment.objects.filter(pk=academy.assignment.pk).update(
        due_date=timezone.now().date() - dt.timedelta(days=2)
    )
    academy.assignment.refresh_from_db()
    boss = user_with_role(org.root, "secretary")
    rep = reports.completion_report(user=boss, assignment=academy.assignment, unit=org.root)
    rows = by_code(rep)
    assert rows["A"]["overdue"] == 3 and rows["B"]["overdue"] == 1


def test_deadline_is_end_of_day_in_unit_time_zone(org, academy, client_for):
    from elearning.courses.selectors import assignment_deadline

    d = dt.date(2026, 3, 1)
    tz_deadline = assignment_deadline(due_date=d, tz_name="Africa/Dar_es_Salaam")
    cn_deadline = assignment_deadline(due_date=d, tz_name="Asia/Shanghai")
    assert tz_deadline - cn_deadline == dt.timedelta(hours=5)
    m = member_in(org.b1)
    data = client_for(m.user).get("/api/v1/assignments/").json()["results"][0]
    assert data["timezone"] == "Africa/Dar_es_Salaam"
    assert data["due_at"].endswith("+03:00") and "T00:00:00" in data["due_at"]
    assert data["status"] == "not_started"


def test_report_outside_scope_is_404(org, academy, people, client_for):
    sec_b = user_with_role(org.b, "secretary")
    c = client_for(sec_b)
    url = f"/api/v1/reports/completion/?assignment={academy.assignment.pk}&unit={org.a.pk}"
    assert c.get(url).status_code == 404
    plain = client_for(people["a1"][0].user)
    url_root = f"/api/v1/reports/completion/?assignment={academy.assignment.pk}&unit={org.root.pk}"
    assert plain.get(url_root).status_code == 404
    ok = c.get(f"/api/v1/reports/completion/?assignment={academy.assignment.pk}&unit={org.b.pk}")
    assert ok.status_code == 200 and ok.json()["total"]["members"] == 3  # + the secretary
    assert c.get("/api/v1/reports/completion/?assignment=x&unit=1").status_code == 400


def test_csv_and_excel_export(org, academy, people, client_for):
    c = client_for(user_with_role(org.root, "secretary"))
    base = f"/api/v1/reports/completion/?assignment={academy.assignment.pk}&unit={org.root.pk}"
    r = c.get(base + "&export=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert "完成率" in text.splitlines()[0] and "（合计）" in text
    r = c.get(base + "&export=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [c.value for c in ws["A"]]
    assert any(v and "（合计）" in str(v) for v in values)
    r = c.get(base + "&members=1&page_size=2")
    assert r.status_code == 200 and r.json()["count"] == 7 and len(r.json()["results"]) == 2


def test_member_list_filtered_by_status_counts_only_those(org, academy, people):
    sec = user_with_role(org.root, "secretary")  # not a member of A itself
    listing = lambda status: reports.completion_members(  # noqa: E731
        user=sec, assignment=academy.assignment, unit=org.a, status=status
    )
    assert listing("completed")["count"] == 1
    assert [r["name"] for r in listing("completed")["results"]] == [people["a1"][0].name]
    assert listing("in_progress")["count"] == 1
    assert listing("not_started")["count"] == 2  # a1[2] and the direct member of A
    assert listing("overdue")["count"] == 0
    Assignment.objects.filter(pk=academy.assignment.pk).update(
        due_date=timezone.now().date() - dt.timedelta(days=2)
    )
    academy.assignment.refresh_from_db()
    overdue = listing("overdue")
    assert overdue["count"] == 3 and {r["status"] for r in overdue["results"]} == {"overdue"}
    assert listing("not_started")["count"] == 0 and listing("in_progress")["count"] == 0
    with pytest.raises(ValueError):
        listing("lazy")


def test_overdue_list_is_complete_beyond_the_first_page(org, academy, people):
    """The overdue members are found wherever they sort, not only among the first rows."""
    Assignment.objects.filter(pk=academy.assignment.pk).update(
        due_date=timezone.now().date() - dt.timedelta(days=2)
    )
    academy.assignment.refresh_from_db()
    now = timezone.now()
    for m in [member_in(org.a1) for _ in range(6)]:  # completed members sorting first
        CourseProgress.objects.create(
            member=m, course=academy.course, started_at=now, completed_at=now
        )
    sec = user_with_role(org.root, "secretary")  # not a member of A itself
    first_two = reports.completion_members(
        user=sec, assignment=academy.assignment, unit=org.a, limit=2, status="overdue"
    )
    assert first_two["count"] == 3 and len(first_two["results"]) == 2
    sheet = load_workbook(
        io.BytesIO(
            report_exports.members_xlsx(
                user=sec, assignment=academy.assignment, unit=org.a, status="overdue"
            )
        )
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("姓名", "党员编号", "所在组织", "状态")
    names = {r[0] for r in rows[2:-1]}
    assert names == {people["a1"][1].name, people["a1"][2].name, people["a"].name}
    assert {r[3] for r in rows[2:-1]} == {"已逾期"}
