"""A member's study-points history: each credited event, newest first, with its reason,
what it was earned on (the course of a lesson, an exam, a contest) and the running total.

The ledger (`PointLedger`, append-only) keeps what an event was about in its idempotency
key, written by `elearning.contests.services` — the formats are read back here, in one
place: ``lesson:<member>:<lesson>``, ``watch:<member>:<lesson>:<block>``,
``exam:<exam>:<member>``, ``contest:<entry>`` (and the demo's ``demo-exam:<exam>:<member>``).
The running total is a window sum over the member's rows in the order they were credited,
so a page of the history costs one query for the rows plus one per kind of source on it,
whatever the page size. Events capped to 0 points are left out (nothing was credited).
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.db.models import F, QuerySet, Sum, Window

from elearning.contests.models import ContestEntry, PointLedger
from elearning.courses.models import Lesson
from elearning.exams.models import Exam
from organizations.models import Member


class PointsSourceJSON(TypedDict):
    kind: str  # "course" | "exam" | "contest"
    id: int
    title: str


class PointsEventJSON(TypedDict):
    id: int
    at: dt.datetime
    day: dt.date
    rule: str
    reason: str
    points: int
    running_total: int
    source: PointsSourceJSON | None


def points_history(*, member: Member) -> QuerySet[PointLedger]:
    """The member's credited events, newest first, each annotated with `running_total`
    (the balance right after it)."""
    return (
        PointLedger.objects.filter(member=member)
        .exclude(points=0)
        .annotate(
            running_total=Window(Sum("points"), order_by=[F("created_at").asc(), F("id").asc()])
        )
        .order_by("-created_at", "-id")
    )


def _source_key(event_key: str) -> tuple[str, int] | None:
    """(kind of object, its id) named by a ledger event key, None when it names none."""
    parts = event_key.split(":")
    try:
        if parts[0] in ("lesson", "watch") and len(parts) >= 3:
            return "lesson", int(parts[2])
        if parts[0] in ("exam", "demo-exam") and len(parts) == 3:
            return "exam", int(parts[1])
        if parts[0] == "contest" and len(parts) == 2:
            return "entry", int(parts[1])
    except ValueError:
        return None
    return None


def points_events(rows: list[PointLedger]) -> list[PointsEventJSON]:
    """The rows of a page of `points_history`, with their sources looked up in bulk."""
    keys = {row.pk: _source_key(row.event_key) for row in rows}
    wanted: dict[str, set[int]] = {}
    for key in keys.values():
        if key is not None:
            wanted.setdefault(key[0], set()).add(key[1])
    found: dict[tuple[str, int], PointsSourceJSON] = {}
    if wanted.get("lesson"):
        for pk, course_id, title in Lesson.objects.filter(pk__in=wanted["lesson"]).values_list(
            "pk", "course_id", "course__title"
        ):
            found["lesson", pk] = {"kind": "course", "id": course_id, "title": title}
    if wanted.get("exam"):
        for pk, title in Exam.objects.filter(pk__in=wanted["exam"]).values_list("pk", "title"):
            found["exam", pk] = {"kind": "exam", "id": pk, "title": title}
    if wanted.get("entry"):
        for pk, contest_id, title in ContestEntry.objects.filter(
            pk__in=wanted["entry"]
        ).values_list("pk", "contest_id", "contest__title"):
            found["entry", pk] = {"kind": "contest", "id": contest_id, "title": title}
    return [
        {
            "id": row.pk,
            "at": row.created_at,
            "day": row.day,
            "rule": row.rule,
            "reason": str(row.get_rule_display()),
            "points": row.points,
            "running_total": row.running_total,
            "source": found.get(keys[row.pk]) if keys[row.pk] else None,
        }
        for row in rows
    ]
