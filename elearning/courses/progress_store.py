"""Where lesson progress is kept: the one module that reads and writes `LessonProgress`,
`WatchAllowance` and `ProgressReceipt` rows. `elearning.courses.progress` decides what a
report means; this module stores it, for the API (both of its paths) and the portal.

Every write has one form that runs on every database, except the interval report, the
hottest write of the project (every phone every few seconds). It has two forms with the
same outcome (`Reported`), and tests/elearning/test_progress.py runs every scenario on
both databases:

- PostgreSQL: ONE statement. A data-modifying CTE spends the member's allowance (its
  ``WHERE`` holds the allowance check and "no receipt for this key yet"; the row lock
  serialises one member's reports, whichever the lesson), an ``UPDATE`` joined to it
  unions ``intervals + new::int4multirange`` on the progress row, and a last CTE inserts
  the receipt only when both happened, so a retried key updates nothing, and a retry
  racing its original fails on the receipt's unique constraint, which undoes its whole
  statement (answered as a duplicate). Every report locks the allowance row before the
  progress row: no deadlock between them. The statement is prepared once per connection
  (core.db), is its own transaction and commits asynchronously
  (``EHOME_PROGRESS_ASYNC_COMMIT``): the phone gets its answer without waiting for the
  WAL flush. docs/benchmarks.md ("Academy") has what this earns over the portable form.
- Elsewhere (SQLite): the same steps inside one transaction that holds the database
  write lock (``BEGIN IMMEDIATE``; ``SELECT … FOR UPDATE`` on other databases), the
  allowance before the progress row.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.db import fetchone_prepared
from elearning.courses.models import Lesson, LessonProgress, ProgressReceipt, WatchAllowance
from organizations.models import Member, OrgUnit

ACCEPTED, DUPLICATE, MISSING, TOO_FAST = "accepted", "duplicate", "missing", "too_fast"
_INTERVALS = LessonProgress._meta.get_field("intervals")


@dataclass(slots=True)
class ReportedRow:
    """The columns of a progress row the report statement returns (building a model
    instance for them cost more than the rest of the answer)."""

    unique_seconds: int
    unique_seconds_before: int
    completed_at: dt.datetime | None
    intervals: list[list[int]]
    seconds_spent: int = 0  # reading time: never changed by an interval report


@dataclass
class Reported:
    """What became of an interval report: ACCEPTED (`row` as stored now), DUPLICATE (its
    key was accepted before; `row` as it is), MISSING (no progress row or allowance yet:
    open the lesson, then report again) or TOO_FAST (more seconds than the allowance
    holds; nothing was written)."""

    outcome: str
    row: LessonProgress | ReportedRow | None = None
    just_completed: bool = False
    member: Member | None = None  # `report_record_authorized`: the member who reported


def row_get(*, member: Member, lesson: Lesson) -> LessonProgress | None:
    return LessonProgress.objects.filter(member=member, lesson=lesson).first()


def allowance_ensure(*, member: Member) -> None:
    """The member's watch-time allowance exists (created once, with the slack)."""
    WatchAllowance.objects.bulk_create(
        [
            WatchAllowance(
                member=member,
                budget=float(settings.EHOME_PROGRESS_SLACK_SECONDS),
                refilled_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )


def row_open(*, member: Member, lesson: Lesson) -> bool:
    """The progress row exists and its clock started; True when it was created. Opening
    an article/reading lesson again starts a new reading session (the clock restarts)."""
    now = timezone.now()
    timed = lesson.is_timed_media
    row, created = LessonProgress.objects.get_or_create(
        member=member,
        lesson=lesson,
        defaults={
            "course_id": lesson.course_id,
            "opened_at": now,
            "last_report_at": None if timed else now,
        },
    )
    if not created:
        changed = {} if timed else {"last_report_at": now}
        if row.opened_at is None:
            changed["opened_at"] = now
        if changed:
            LessonProgress.objects.filter(pk=row.pk).update(**changed)
    return created


def heartbeat_record(
    *, member: Member, lesson: Lesson, cap: int, need: int
) -> tuple[LessonProgress, bool] | None:
    """Add the time since the previous event (at most `cap` seconds) to an opened
    reading row; (row, just completed) or None when the lesson was never opened.

    Whole seconds are counted and the fraction is carried to the next heartbeat (the
    clock advances by what was counted), so beats 19.9 s apart lose nothing and a beat
    sent when the requirement is reached completes the lesson. A pause longer than `cap`
    counts `cap` and restarts the clock."""
    with transaction.atomic():
        row = LessonProgress.objects.select_for_update().filter(member=member, lesson=lesson)
        row = row.first()
        if row is None or row.last_report_at is None:
            return None
        now = timezone.now()
        elapsed = max(0.0, (now - row.last_report_at).total_seconds())
        if elapsed > cap:
            row.seconds_spent += int(cap)
            row.last_report_at = now
        else:
            counted = int(elapsed)
            row.seconds_spent += counted
            row.last_report_at += dt.timedelta(seconds=counted)
        row.reports += 1
        just = row.completed_at is None and row.seconds_spent >= need
        if just:
            row.completed_at = now
        row.save(update_fields=["seconds_spent", "last_report_at", "reports", "completed_at"])
    return row, just


def report_record(
    *, member: Member, lesson: Lesson, ranges: list[list[int]], key: str, need_ms: int
) -> Reported:
    """Spend the allowance on `ranges` (validated millisecond ranges), merge them into the
    watched set and keep the receipt of `key`, or nothing (see the module docstring)."""
    if connection.vendor == "postgresql":
        return _report_statement(member, lesson, ranges, key, need_ms)
    return _report_locked(member, lesson, ranges, key, need_ms)


def covered(intervals: list[list[int]]) -> int:
    """Total length of non-overlapping ranges (milliseconds for stored intervals)."""
    return sum(hi - lo for lo, hi in intervals)


def merge_intervals(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    """Union of two sets of half-open ranges (adjacent ranges are joined)."""
    merged: list[list[int]] = []
    for lo, hi in sorted([*a, *b]):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def _refilled(budget: float, since, now) -> float:
    """The allowance at `now`: refilled by wall time × the maximum rate, capped."""
    refill = max(0.0, (now - since).total_seconds()) * settings.EHOME_PROGRESS_MAX_RATE
    return min(settings.EHOME_PROGRESS_BUDGET_CAP_SECONDS, budget + refill)


_REPORT_SQL = """
WITH clk AS (
    -- set_config(…, true) is SET LOCAL inside the statement (no extra round trip):
    -- commit without waiting for the WAL flush when EHOME_PROGRESS_ASYNC_COMMIT is on
    SELECT clock_timestamp() AS t, set_config('synchronous_commit', %(sync)s, true) AS c
), allow AS (
    -- the member's allowance, shared by all their lessons: refilled by wall time × max
    -- rate since its last spend (capped), then this batch's real length is paid from it
    UPDATE elearning_watchallowance a SET
        budget = LEAST(%(cap)s, a.budget + %(rate)s * GREATEST(0, EXTRACT(EPOCH FROM
                     (clk.t - a.refilled_at)))) - %(secs)s,
        refilled_at = GREATEST(clk.t, a.refilled_at)
    FROM clk
    WHERE a.member_id = %(m)s
      AND %(secs)s <= LEAST(%(cap)s, a.budget + %(rate)s * GREATEST(0, EXTRACT(EPOCH FROM
                     (clk.t - a.refilled_at))))
      AND NOT EXISTS (SELECT 1 FROM elearning_progressreceipt r
                      WHERE r.member_id = %(m)s AND r.key = %(k)s)
      AND EXISTS (SELECT 1 FROM elearning_lessonprogress q
                  WHERE q.member_id = %(m)s AND q.lesson_id = %(l)s)
    RETURNING clk.t
), upd AS (
    -- joined to `allow`: runs only when the allowance paid, and after its row lock
    UPDATE elearning_lessonprogress p SET
        intervals = p.intervals + %(new)s::int4multirange,
        unique_seconds_before = p.unique_seconds,
        unique_seconds = (
            SELECT COALESCE(SUM(upper(r) - lower(r)), 0)
            FROM unnest(p.intervals + %(new)s::int4multirange) AS r
        ) / 1000,
        last_report_at = GREATEST(allow.t, p.last_report_at),
        reports = p.reports + 1,
        completed_at = COALESCE(p.completed_at, CASE WHEN (
            SELECT COALESCE(SUM(upper(r) - lower(r)), 0)
            FROM unnest(p.intervals + %(new)s::int4multirange) AS r
        ) >= %(need)s THEN allow.t END)
    FROM allow
    WHERE p.member_id = %(m)s AND p.lesson_id = %(l)s
    RETURNING p.unique_seconds, p.unique_seconds_before, p.completed_at,
              (p.completed_at = p.last_report_at) AS just_completed,
              p.intervals::text, allow.t
), rcpt AS (
    -- the receipt exists only with the update; a retry of the same key racing this one
    -- re-checks the row after our commit, passes NOT EXISTS (its snapshot is older) and
    -- fails here on the unique constraint, which undoes its whole statement
    INSERT INTO elearning_progressreceipt (member_id, lesson_id, key, created_at)
    SELECT %(m)s, %(l)s, %(k)s, upd.t FROM upd
)
SELECT unique_seconds, unique_seconds_before, completed_at, just_completed, intervals
FROM upd
"""


def _report_params(lesson, ranges, key, need_ms) -> dict:
    """The parameters both report statements share (all but who the member is)."""
    return {
        "l": lesson.pk,
        "k": key,
        "new": "{" + ",".join(f"[{lo},{hi})" for lo, hi in ranges) + "}",
        "need": need_ms,
        "secs": covered(ranges) / 1000,
        "rate": settings.EHOME_PROGRESS_MAX_RATE,
        "cap": float(settings.EHOME_PROGRESS_BUDGET_CAP_SECONDS),
        "sync": "off" if settings.EHOME_PROGRESS_ASYNC_COMMIT else "on",
    }


def _run_statement(sql: str, params: dict):
    """A report statement, prepared, its own transaction — or a savepoint inside a
    caller's, so a unique violation (a racing retry) leaves that transaction usable."""
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        return fetchone_prepared(sql, params)


def _report_statement(member, lesson, ranges, key, need_ms) -> Reported:
    """ONE prepared statement, its own transaction (autocommit): no BEGIN/COMMIT round
    trips. Inside a caller's transaction it runs in a savepoint, so a unique violation
    (a racing retry) leaves the caller's transaction usable."""
    params = {"m": member.pk, **_report_params(lesson, ranges, key, need_ms)}
    try:
        got = _run_statement(_REPORT_SQL, params)
    except IntegrityError:  # the same key committed by a concurrent request
        return Reported(DUPLICATE, row_get(member=member, lesson=lesson))
    if got is not None:
        uniq, before, completed_at, just, text = got
        row = ReportedRow(uniq, before, completed_at, _INTERVALS.to_python(text))
        return Reported(ACCEPTED, row, just_completed=bool(just))
    # Nothing updated: a retried key, a first report (no progress row or, for data older
    # than the per-member allowance, no allowance yet), or too many seconds.
    if ProgressReceipt.objects.filter(member=member, key=key).exists():
        return Reported(DUPLICATE, row_get(member=member, lesson=lesson))
    if not LessonProgress.objects.filter(member=member, lesson=lesson).exists():
        return Reported(MISSING)
    if not WatchAllowance.objects.filter(member=member).exists():
        return Reported(MISSING)
    return Reported(TOO_FAST)


def report_record_authorized(
    *,
    user_id: int,
    token_version: int,
    audience_path: str,
    lesson: Lesson,
    ranges: list[list[int]],
    key: str,
    need_ms: int,
) -> Reported | None:
    """The everyday report of a token's user in ONE statement, authorization included
    (PostgreSQL only; None elsewhere): the report statement, whose member is the one the
    statement itself finds for the token — an active user whose login state carries the
    token's version, with a member record in a unit under the lesson's audience
    (`starts_with(path, audience)`, organizations.selectors.is_visible_to_member). So the
    user, login state and unit are read in the same snapshot as the write, and the API
    needs no look-up of its own before it (api/learning/progress.py).

    ACCEPTED with the row and the member (its unit loaded), or None when nothing was
    written: not that member, not visible, a retried key, no progress row or allowance
    yet, too many seconds, or a concurrent retry of the key. The caller then takes the
    road that authenticates on its own and words each of these answers."""
    if connection.vendor != "postgresql":
        return None
    sql, member_names, unit_names = _authorized_sql()
    params = {"uid": user_id, "tv": token_version, "aud": audience_path}
    params.update(_report_params(lesson, ranges, key, need_ms))
    try:
        got = _run_statement(sql, params)
    except IntegrityError:  # the same key committed by a concurrent request
        return None
    if got is None:
        return None
    uniq, before, completed_at, just, text = got[:5]
    n = len(member_names)
    member = Member.from_db("default", member_names, got[5 : 5 + n])
    unit = OrgUnit.from_db("default", unit_names, got[5 + n :])
    Member.unit.field.set_cached_value(member, unit)
    row = ReportedRow(uniq, before, completed_at, _INTERVALS.to_python(text))
    return Reported(ACCEPTED, row, just_completed=bool(just), member=member)


_AUTHORIZED_SQL: tuple | None = None


def _authorized_sql() -> tuple[str, list[str], list[str]]:
    """`_REPORT_SQL` with the member found by a first CTE (`who`) instead of given: every
    ``%(m)s`` becomes that CTE's member id (NULL when no member qualifies, and then no
    row matches), and the answer carries the member's and the unit's columns."""
    global _AUTHORIZED_SQL
    if _AUTHORIZED_SQL is None:
        from django.contrib.auth import get_user_model
        from rest_framework_simplejwt.settings import api_settings

        from organizations.models import LoginState

        user = get_user_model()._meta
        member_fields = Member._meta.concrete_fields
        assert member_fields[0].primary_key  # m0: the member id
        unit_fields = OrgUnit._meta.concrete_fields
        cols = [f'm."{f.column}" AS m{i}' for i, f in enumerate(member_fields)]
        cols += [f'o."{f.column}" AS o{i}' for i, f in enumerate(unit_fields)]
        active = f'AND u."{user.get_field("is_active").column}"'
        who = f"""WITH who AS (
    -- api.authentication.MemberJWTAuthentication's rules, read with the write: the user
    -- (active), the token's version current, a member, a unit under the audience
    SELECT {", ".join(cols)}
    FROM {user.db_table} u
    JOIN {Member._meta.db_table} m ON m.user_id = u.{user.pk.column}
    JOIN {OrgUnit._meta.db_table} o ON o.id = m.unit_id
    LEFT JOIN {LoginState._meta.db_table} s ON s.user_id = u.{user.pk.column}
    WHERE u.{user.get_field(api_settings.USER_ID_FIELD).column} = %(uid)s
      {active if api_settings.CHECK_USER_IS_ACTIVE else ""}
      AND COALESCE(s.token_version, 0) = %(tv)s
      AND starts_with(o.path, %(aud)s)
), clk AS ("""
        sql = _REPORT_SQL.replace("WITH clk AS (", who, 1).replace("%(m)s", "(SELECT m0 FROM who)")
        sql = sql.replace(
            "SELECT unique_seconds, unique_seconds_before, completed_at, just_completed, intervals\nFROM upd",
            "SELECT unique_seconds, unique_seconds_before, completed_at, just_completed, intervals, who.*\nFROM upd, who",
        )
        assert "%(m)s" not in sql and "who.*" in sql
        _AUTHORIZED_SQL = (
            sql,
            [f.attname for f in member_fields],
            [f.attname for f in unit_fields],
        )
    return _AUTHORIZED_SQL


def _report_locked(member, lesson, ranges, key, need_ms) -> Reported:
    with transaction.atomic():
        if ProgressReceipt.objects.filter(member=member, key=key).exists():
            return Reported(DUPLICATE, row_get(member=member, lesson=lesson))
        allowance = WatchAllowance.objects.select_for_update().filter(member=member).first()
        row = LessonProgress.objects.select_for_update().filter(member=member, lesson=lesson)
        row = row.first()
        if allowance is None or row is None:
            return Reported(MISSING)
        now = timezone.now()
        budget = _refilled(allowance.budget, allowance.refilled_at, now)
        secs = covered(ranges) / 1000
        if secs > budget:
            return Reported(TOO_FAST)
        allowance.budget = budget - secs
        allowance.refilled_at = max(now, allowance.refilled_at)
        allowance.save(update_fields=["budget", "refilled_at"])
        row.intervals = merge_intervals(row.intervals, ranges)
        row.unique_seconds_before = row.unique_seconds
        row.unique_seconds = covered(row.intervals) // 1000
        row.last_report_at = max(now, row.last_report_at or now)
        row.reports += 1
        just = row.completed_at is None and covered(row.intervals) >= need_ms
        if just:
            row.completed_at = now
        row.save(
            update_fields=[
                "intervals",
                "unique_seconds_before",
                "unique_seconds",
                "last_report_at",
                "reports",
                "completed_at",
            ]
        )
        ProgressReceipt.objects.create(member=member, lesson=lesson, key=key, created_at=now)
    return Reported(ACCEPTED, row, just_completed=just)
