"""Completion reports for an assignment over a unit's subtree.

One SQL query per report level: members of the unit's subtree (and of the assignment's
audience) are LEFT JOINed to their `CourseProgress` row and grouped by
``substr(unit.path, 1, (depth + 1) * steplen)`` — the child unit each member falls under;
members of the unit itself form a bucket equal to the unit's own path. The unit total is
summed from those rows. Overdue = not completed and past the end of the due date in the
member's unit time zone (PostgreSQL: ``AT TIME ZONE``; SQLite: a CASE over the time zones
present).
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.db import connection, transaction
from django.utils import timezone

from elearning.courses.models import Assignment
from elearning.courses.selectors import assignment_deadline
from organizations.models import Member, OrgUnit
from organizations.selectors import (
    ObjectNotFound,
    access_unit_by_id,
    object_or_not_found,
    scope_for,
)

REPORT_ROLES = ["secretary"]


class ReportRow(TypedDict):
    unit_id: int
    code: str
    name: str
    is_unit_itself: bool
    members: int
    started: int
    completed: int
    completion_rate: float
    average_score: float | None
    overdue: int


class CompletionReportJSON(TypedDict):
    assignment: dict
    unit: dict
    rows: list[ReportRow]
    total: ReportRow


def _scope_check(user, *, assignment: Assignment, unit: OrgUnit) -> None:
    """Not found unless the caller is a secretary (or superuser) over `unit`, and the
    assignment's audience overlaps the caller's scope."""
    scope = scope_for(user, roles=REPORT_ROLES)
    if not scope.covers(unit.path) or not scope.overlaps(assignment.audience_unit.path):
        raise ObjectNotFound


def access_report_by_id(
    user, *, assignment_id, unit_id, action: str = "view"
) -> tuple[Assignment, OrgUnit]:
    """The assignment and unit of a completion report the user may see (a secretary over
    the unit whose subtree the assignment's audience reaches), or ObjectNotFound — the
    same for missing ids and ones outside the caller's scope."""
    unit = access_unit_by_id(user, unit_id, action=action, roles=REPORT_ROLES)
    assignment = object_or_not_found(
        Assignment.objects.select_related("course", "audience_unit"), assignment_id
    )
    _scope_check(user, assignment=assignment, unit=unit)
    return assignment, unit


def _past_deadline_sql(params: dict, assignment: Assignment, unit: OrgUnit) -> str:
    """SQL truth value "now is past the end of the due date in the time zone of unit u"."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        params["now"] = now
        params["due"] = assignment.due_date
        return "%(now)s >= ((CAST(%(due)s AS date) + 1)::timestamp AT TIME ZONE u.timezone)"
    # SQLite: compare naive UTC strings; one WHEN per time zone present in the subtree.
    params["now"] = now.astimezone(dt.UTC).replace(tzinfo=None)
    zones = OrgUnit.objects.filter(path__startswith=unit.path).values_list("timezone", flat=True)
    whens = []
    for i, tz in enumerate(sorted(set(zones))):
        deadline = assignment_deadline(due_date=assignment.due_date, tz_name=tz)
        params[f"tz{i}"] = tz
        params[f"dl{i}"] = deadline.astimezone(dt.UTC).replace(tzinfo=None)
        whens.append(f"WHEN %(tz{i})s THEN %(dl{i})s")
    if not whens:
        return "1 = 0"
    return f"%(now)s >= (CASE u.timezone {' '.join(whens)} END)"


def _filters(params: dict, assignment: Assignment, unit: OrgUnit) -> str:
    # The narrower of the two subtrees decides (both conditions keep the LIKE indexable).
    params["prefix"] = unit.path + "%"
    params["aud"] = assignment.audience_unit.path + "%"
    params["course"] = assignment.course_id
    params["active"] = Member.Status.ACTIVE
    return "u.path LIKE %(prefix)s AND u.path LIKE %(aud)s AND m.status = %(active)s"


def _run(sql: str, params: dict, *, subtree: bool = True) -> list[tuple]:
    """Run a report query. Below the top level, on PostgreSQL, the planner is told for
    this transaction only that random reads are cheap (the tree and the progress index are
    hot in memory): otherwise it hashes the whole member table even for a 3,000-member
    subtree instead of walking the subtree's units through the (unit) and
    (course, member) indexes. A whole tree is best served by the hash plan."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql" and subtree:
            cur.execute("SET LOCAL random_page_cost = 1.1")
        cur.execute(sql, params)
        return cur.fetchall()


def completion_report(*, user, assignment: Assignment, unit: OrgUnit) -> CompletionReportJSON:
    """Rows per child unit (+ the unit's own members) and the total — one SQL query."""
    _scope_check(user, assignment=assignment, unit=unit)
    params: dict = {"L": (unit.depth + 1) * OrgUnit.steplen}
    where = _filters(params, assignment, unit)
    past = _past_deadline_sql(params, assignment, unit)
    # Stage 1 aggregates members per unit (integer key, no per-member time-zone maths);
    # stage 2 rolls units up to the child-unit buckets and decides "overdue" once per unit.
    sql = f"""
        WITH per_unit AS (
            SELECT m.unit_id,
                   COUNT(*) AS members,
                   COUNT(cp.started_at) AS started,
                   COUNT(cp.completed_at) AS completed,
                   SUM(cp.best_score) AS score_sum,
                   COUNT(cp.best_score) AS scored
            FROM organizations_member m
            JOIN organizations_orgunit u ON u.id = m.unit_id
            LEFT JOIN elearning_courseprogress cp
                   ON cp.member_id = m.id AND cp.course_id = %(course)s
            WHERE {where}
            GROUP BY m.unit_id
        ), agg AS (
            SELECT substr(u.path, 1, %(L)s) AS bucket,
                   SUM(p.members) AS members,
                   SUM(p.started) AS started,
                   SUM(p.completed) AS completed,
                   SUM(p.score_sum) AS score_sum,
                   SUM(p.scored) AS scored,
                   SUM(CASE WHEN {past} THEN p.members - p.completed ELSE 0 END) AS overdue
            FROM per_unit p JOIN organizations_orgunit u ON u.id = p.unit_id
            GROUP BY substr(u.path, 1, %(L)s)
        )
        SELECT g.id, g.code, g.name, g.path, a.members, a.started, a.completed,
               a.score_sum, a.scored, a.overdue
        FROM agg a JOIN organizations_orgunit g ON g.path = a.bucket
        ORDER BY g.path
    """
    raw = _run(sql, params, subtree=unit.depth > 1)
    rows = []
    tot = {"members": 0, "started": 0, "completed": 0, "score_sum": 0.0, "scored": 0, "over": 0}
    for uid, code, name, path, members, started, completed, ssum, scored, over in raw:
        rows.append(
            _row(
                uid, code, name, path == unit.path, members, started, completed, ssum, scored, over
            )
        )
        tot["members"] += int(members)
        tot["started"] += int(started)
        tot["completed"] += int(completed)
        tot["score_sum"] += float(ssum or 0)
        tot["scored"] += int(scored)
        tot["over"] += int(over or 0)
    total = _row(
        unit.pk,
        unit.code,
        unit.name,
        True,
        tot["members"],
        tot["started"],
        tot["completed"],
        tot["score_sum"],
        tot["scored"],
        tot["over"],
    )
    return {
        "assignment": {
            "id": assignment.pk,
            "course": assignment.course.title,
            "due_date": assignment.due_date,
        },
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "rows": rows,
        "total": total,
    }


def _row(uid, code, name, itself, members, started, completed, ssum, scored, over) -> ReportRow:
    # PostgreSQL's SUM of counts is numeric (Decimal): normalise to int/float
    members, started, completed, scored = int(members), int(started), int(completed), int(scored)
    return {
        "unit_id": uid,
        "code": code,
        "name": name,
        "is_unit_itself": itself,
        "members": members,
        "started": started,
        "completed": completed,
        "completion_rate": round(completed / members, 4) if members else 0.0,
        "average_score": round(float(ssum) / scored, 2) if scored else None,
        "overdue": int(over or 0),
    }


#: member status → SQL condition (``past``: "the deadline of the member's unit has passed")
MEMBER_STATUSES = {
    "completed": "cp.completed_at IS NOT NULL",
    "overdue": "cp.completed_at IS NULL AND {past}",
    "in_progress": "cp.completed_at IS NULL AND cp.started_at IS NOT NULL AND NOT ({past})",
    "not_started": "cp.started_at IS NULL AND cp.completed_at IS NULL AND NOT ({past})",
}


def completion_members(
    *,
    user,
    assignment: Assignment,
    unit: OrgUnit,
    limit: int = 100,
    offset: int = 0,
    status: str | None = None,
) -> dict:
    """Drill-down: the members of `unit`'s subtree with their status (one query; the
    total comes with the rows). `status` (a MEMBER_STATUSES key) keeps only those members
    — every overdue member of a large tree, not the overdue among the first page."""
    if status is not None and status not in MEMBER_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    _scope_check(user, assignment=assignment, unit=unit)
    params: dict = {"limit": limit, "offset": offset}
    where = _filters(params, assignment, unit)
    past = _past_deadline_sql(params, assignment, unit)
    overdue = f"CASE WHEN cp.completed_at IS NULL AND {past} THEN 1 ELSE 0 END"
    if status is not None:
        where += " AND " + MEMBER_STATUSES[status].format(past=past)
    sql = f"""
        SELECT m.id, m.name, m.member_no, u.id, u.name, cp.started_at, cp.completed_at,
               cp.lessons_completed, cp.best_score, {overdue} AS overdue,
               COUNT(*) OVER () AS total
        FROM organizations_member m
        JOIN organizations_orgunit u ON u.id = m.unit_id
        LEFT JOIN elearning_courseprogress cp
               ON cp.member_id = m.id AND cp.course_id = %(course)s
        WHERE {where}
        ORDER BY u.path, m.name, m.id
        LIMIT %(limit)s OFFSET %(offset)s
    """
    raw = _run(sql, params, subtree=unit.depth > 1)
    results = []
    total = 0
    for mid, name, no, uid, uname, started, completed, lessons, score, over, n in raw:
        total = n
        status = (
            "completed"
            if completed
            else "overdue"
            if over
            else ("in_progress" if started else "not_started")
        )
        results.append(
            {
                "member_id": mid,
                "name": name,
                "member_no": no,
                "unit_id": uid,
                "unit": uname,
                "started_at": started,
                "completed_at": completed,
                "lessons_completed": lessons or 0,
                "best_score": score,
                "status": status,
            }
        )
    return {"count": total, "results": results}
