"""Progress the server can trust.

Clients report watched intervals ``(from_s, to_s, rate)`` of a video/audio lesson, in
batches, each batch with an idempotency key. The server

1. validates the shape (``0 ≤ from < to ≤ duration``, ``0 < rate ≤ max rate``, no overlap
   inside a batch, not sent from the future) — pure Python, nothing touched yet;
2. accepts the batch only when its seconds — their real length, to the millisecond —
   fit the wall time since the member's last accepted report at the maximum playback
   rate: ONE token bucket per member (`WatchAllowance`, shared by all their lessons)
   starts with a small slack, is refilled by ``wall seconds × max rate`` and spent by
   each accepted batch (so the slack is granted once, not per report or per lesson, six
   lessons reported at once share one wall clock, and a script cannot claim a 50-minute
   video 10 seconds after opening it);
3. merges the intervals (stored in milliseconds) into the set already watched and counts
   *unique* time, so seeking to the end or replaying a minute never counts twice and a
   0.2 s interval counts 0.2 s.

On PostgreSQL steps 2–3 and the idempotency receipt are ONE statement: a data-modifying
CTE spends the member's allowance (its ``WHERE`` holds the allowance check and "no
receipt for this key yet"; the row lock serialises one member's reports, whichever the
lesson), an ``UPDATE`` joined to it unions ``intervals + new::int4multirange`` on the
progress row, and a last CTE inserts the receipt only when both happened, so a retried
key updates nothing, and a retry racing its original fails on the receipt's unique
constraint, which undoes its whole statement (answered as a duplicate). Every report
locks the allowance row before the progress row: no deadlock between them. The statement is
prepared once per connection (config.db) and is its own transaction. Elsewhere (SQLite)
the row is read and written inside a transaction that holds the database write lock
(``BEGIN IMMEDIATE``). On PostgreSQL a report commits asynchronously
(``EHOME_PROGRESS_ASYNC_COMMIT``): the phone gets its answer without waiting for the WAL
flush.

Article/reading lessons: the client sends ``open`` then ``heartbeat`` events; the server
adds the time between consecutive events it received (each capped), never a duration the
client states.
"""

from __future__ import annotations

import datetime as dt
import math
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.db import fetchone_prepared
from elearning.courses.models import Lesson, LessonProgress, ProgressReceipt, WatchAllowance
from elearning.courses.services import course_progress_refresh, course_progress_start
from elearning.courses.signals import lesson_completed, lesson_watched
from elearning.errors import ProgressRejected
from organizations.models import Member


@dataclass
class ProgressState:
    lesson_id: int
    kind: str
    duration: int
    unique_seconds: int = 0
    seconds_spent: int = 0
    required_seconds: int = 0
    completed: bool = False
    completed_at: dt.datetime | None = None
    intervals: list = field(default_factory=list)
    duplicate: bool = False
    just_completed: bool = False
    unique_seconds_before: int = 0

    @property
    def coverage(self) -> float:
        if self.kind in (Lesson.Kind.VIDEO, Lesson.Kind.AUDIO):
            return round(self.unique_seconds / self.duration, 4) if self.duration else 0.0
        return (
            round(min(1.0, self.seconds_spent / self.required_seconds), 4)
            if self.required_seconds
            else 0.0
        )


def required_seconds(lesson: Lesson) -> int:
    if lesson.is_timed_media:
        return math.ceil(lesson.duration_seconds * settings.EHOME_PROGRESS_COMPLETE_RATIO)
    return lesson.min_seconds


def _state(lesson: Lesson, row: LessonProgress | None, **extra) -> ProgressState:
    st = ProgressState(
        lesson_id=lesson.pk,
        kind=lesson.kind,
        duration=lesson.duration_seconds,
        required_seconds=required_seconds(lesson),
    )
    if row is not None:
        st.unique_seconds = row.unique_seconds
        st.unique_seconds_before = row.unique_seconds_before
        st.seconds_spent = row.seconds_spent
        st.completed_at = row.completed_at
        st.completed = row.completed_at is not None
        st.intervals = as_seconds(row.intervals)
    for k, v in extra.items():
        setattr(st, k, v)
    return st


def progress_state(*, lesson: Lesson, row: LessonProgress | None) -> ProgressState:
    """Public read of a member's state on a lesson from an already-fetched progress row
    (the API and the portal batch-fetch rows, then call this per lesson)."""
    return _state(lesson, row)


# --- validation (no database) -----------------------------------------------------------


def as_seconds(ranges: list[list[int]]) -> list[list[float | int]]:
    """Stored millisecond ranges as the API shows them: seconds, whole ones as integers."""
    return [[lo // 1000 if lo % 1000 == 0 else lo / 1000 for lo in r] for r in ranges]


def normalise_intervals(
    *, lesson: Lesson, intervals: list[dict], sent_at: dt.datetime | None = None
) -> list[list[int]]:
    """Validate a batch and return sorted ``[lo, hi)`` millisecond ranges."""
    if not lesson.is_timed_media:
        raise ProgressRejected("wrong_kind", "图文/阅读课时不接受播放区间，请发送 open/heartbeat")
    duration = lesson.duration_seconds
    if duration <= 0:
        raise ProgressRejected("no_duration", "该课时的音视频尚未就绪，暂不能记录进度", 409)
    if sent_at is not None:
        skew = dt.timedelta(seconds=settings.EHOME_PROGRESS_CLOCK_SKEW_SECONDS)
        if sent_at > timezone.now() + skew:
            raise ProgressRejected("from_future", "上报时间晚于服务器当前时间，已拒绝")
    if not intervals:
        raise ProgressRejected("empty", "至少需要一个播放区间")
    if len(intervals) > settings.EHOME_PROGRESS_MAX_INTERVALS:
        raise ProgressRejected(
            "too_many_intervals",
            f"一次最多上报 {settings.EHOME_PROGRESS_MAX_INTERVALS} 个播放区间",
        )
    max_rate = settings.EHOME_PROGRESS_MAX_RATE
    end_ms = duration * 1000
    out: list[list[int]] = []
    for i, iv in enumerate(intervals):
        lo, hi, rate = float(iv["from_s"]), float(iv["to_s"]), float(iv.get("rate", 1.0))
        where = f"第 {i + 1} 个区间"
        if not all(math.isfinite(x) for x in (lo, hi, rate)):
            raise ProgressRejected("interval_invalid", f"{where}包含无效数字")
        if lo < 0 or hi <= lo:
            raise ProgressRejected("interval_invalid", f"{where}起止时间无效（须 0 ≤ 起点 < 终点）")
        if hi > duration + 1:
            raise ProgressRejected(
                "interval_beyond_duration", f"{where}超出了媒体时长（{duration} 秒）"
            )
        if rate <= 0 or rate > max_rate:
            raise ProgressRejected("rate_invalid", f"{where}的播放倍速须在 0 到 {max_rate} 之间")
        lo_ms, hi_ms = round(lo * 1000), min(round(hi * 1000), end_ms)
        if hi_ms > lo_ms:
            out.append([lo_ms, hi_ms])
    out.sort()
    for prev, cur in zip(out, out[1:], strict=False):
        if cur[0] < prev[1]:
            raise ProgressRejected(
                "interval_overlap", "同一批次内的播放区间相互重叠或重复，请合并后上报"
            )
    return out


def merge_intervals(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    """Union of two sets of half-open ranges (adjacent ranges are joined)."""
    merged: list[list[int]] = []
    for lo, hi in sorted([*a, *b]):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def covered(intervals: list[list[int]]) -> int:
    """Total length of non-overlapping ranges (milliseconds for stored intervals)."""
    return sum(hi - lo for lo, hi in intervals)


# --- services ---------------------------------------------------------------------------


def _on_progress_change(*, member: Member, lesson: Lesson, st: ProgressState) -> None:
    if st.just_completed:
        course_progress_refresh(member=member, course_id=lesson.course_id)
        lesson_completed.send(Lesson, member=member, lesson=lesson)
    if lesson.is_timed_media and st.unique_seconds > st.unique_seconds_before:
        lesson_watched.send(
            Lesson,
            member=member,
            lesson=lesson,
            seconds_before=st.unique_seconds_before,
            seconds_after=st.unique_seconds,
        )


def progress_get(*, member: Member, lesson: Lesson) -> ProgressState:
    row = LessonProgress.objects.filter(member=member, lesson=lesson).first()
    return _state(lesson, row)


def allowance_ensure(*, member: Member) -> None:
    """The member's watch-time allowance exists (created once, with the slack)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO elearning_watchallowance (member_id, budget, refilled_at)"
                " VALUES (%s, %s, clock_timestamp()) ON CONFLICT (member_id) DO NOTHING",
                [member.pk, float(settings.EHOME_PROGRESS_SLACK_SECONDS)],
            )
    else:
        WatchAllowance.objects.get_or_create(
            member=member,
            defaults={
                "budget": float(settings.EHOME_PROGRESS_SLACK_SECONDS),
                "refilled_at": timezone.now(),
            },
        )


def progress_open(*, member: Member, lesson: Lesson) -> ProgressState:
    """The member opened the lesson: start the server's clock (creates the row once)."""
    created = False
    with transaction.atomic():
        if lesson.is_timed_media:
            allowance_ensure(member=member)  # before the progress row: the lock order
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    """
                    INSERT INTO elearning_lessonprogress
                        (member_id, lesson_id, course_id, intervals, unique_seconds,
                         unique_seconds_before, seconds_spent, opened_at, last_report_at,
                         reports)
                    VALUES (%s, %s, %s, '{}', 0, 0, 0, clock_timestamp(), %s, 0)
                    ON CONFLICT (member_id, lesson_id) DO UPDATE SET
                        opened_at = COALESCE(elearning_lessonprogress.opened_at,
                                             EXCLUDED.opened_at),
                        last_report_at = CASE WHEN %s THEN clock_timestamp()
                                         ELSE elearning_lessonprogress.last_report_at END
                    RETURNING (xmax = 0)
                    """,
                    [
                        member.pk,
                        lesson.pk,
                        lesson.course_id,
                        None if lesson.is_timed_media else timezone.now(),
                        not lesson.is_timed_media,
                    ],
                )
                created = bool(cur.fetchone()[0])
        else:
            now = timezone.now()
            row, created = LessonProgress.objects.get_or_create(
                member=member,
                lesson=lesson,
                defaults={
                    "course_id": lesson.course_id,
                    "opened_at": now,
                    "last_report_at": None if lesson.is_timed_media else now,
                },
            )
            if not created and not lesson.is_timed_media:
                row.last_report_at = now  # a new reading session starts the clock afresh
                row.save(update_fields=["last_report_at"])
        if created:
            course_progress_start(member=member, course_id=lesson.course_id)
    return progress_get(member=member, lesson=lesson)


_PG_REPORT_SQL = """
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


def progress_report(
    *,
    member: Member,
    lesson: Lesson,
    intervals: list[dict],
    idempotency_key: str,
    sent_at: dt.datetime | None = None,
) -> ProgressState:
    """Accept a batch of watched intervals (see the module docstring)."""
    ranges = normalise_intervals(lesson=lesson, intervals=intervals, sent_at=sent_at)
    if connection.vendor == "postgresql":
        st = _report_pg(member=member, lesson=lesson, ranges=ranges, key=idempotency_key)
    else:
        st = _report_locked(member=member, lesson=lesson, ranges=ranges, key=idempotency_key)
    if not st.duplicate:
        _on_progress_change(member=member, lesson=lesson, st=st)
    return st


def _too_fast(secs: float) -> ProgressRejected:
    return ProgressRejected(
        "progress_too_fast",
        f"上报的 {secs:g} 秒超过了自上次上报以来按最高 {settings.EHOME_PROGRESS_MAX_RATE} "
        "倍速可能播放的时长，已拒绝（未记录任何进度）",
        422,
    )


def _report_pg(*, member, lesson, ranges, key) -> ProgressState:
    """ONE prepared statement, its own transaction (autocommit): no BEGIN/COMMIT round
    trips. Inside a caller's transaction it runs in a savepoint, so a unique violation
    (a racing retry) leaves the caller's transaction usable."""
    params = {
        "m": member.pk,
        "l": lesson.pk,
        "k": key,
        "new": "{" + ",".join(f"[{lo},{hi})" for lo, hi in ranges) + "}",
        "need": required_seconds(lesson) * 1000,
        "secs": covered(ranges) / 1000,
        "rate": settings.EHOME_PROGRESS_MAX_RATE,
        "cap": float(settings.EHOME_PROGRESS_BUDGET_CAP_SECONDS),
        "sync": "off" if settings.EHOME_PROGRESS_ASYNC_COMMIT else "on",
    }
    for _ in range(2):
        try:
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                row = fetchone_prepared(_PG_REPORT_SQL, params)
        except IntegrityError:  # the same key committed by a concurrent request
            return _state(lesson, _row(member, lesson), duplicate=True)
        if row is not None:
            uniq, before, completed_at, just, text = row
            st = _state(lesson, None)
            st.unique_seconds, st.unique_seconds_before = uniq, before
            st.completed_at, st.completed = completed_at, completed_at is not None
            st.just_completed = bool(just)
            st.intervals = as_seconds(LessonProgress._meta.get_field("intervals").to_python(text))
            return st
        # Nothing updated: a retried key, a first report (no progress row or, for data
        # older than the per-member allowance, no allowance yet), or too many seconds.
        if ProgressReceipt.objects.filter(member=member, key=key).exists():
            return _state(lesson, _row(member, lesson), duplicate=True)
        if not LessonProgress.objects.filter(member=member, lesson=lesson).exists():
            progress_open(member=member, lesson=lesson)
            continue
        if not WatchAllowance.objects.filter(member=member).exists():
            allowance_ensure(member=member)
            continue
        raise _too_fast(params["secs"])
    raise _too_fast(params["secs"])


def _row(member, lesson) -> LessonProgress | None:
    return LessonProgress.objects.filter(member=member, lesson=lesson).first()


def _report_locked(*, member, lesson, ranges, key) -> ProgressState:
    """Portable path: read and write the rows inside one write-locked transaction (SQLite
    takes the database write lock at BEGIN IMMEDIATE; elsewhere SELECT … FOR UPDATE, the
    allowance before the progress row)."""
    with transaction.atomic():
        if ProgressReceipt.objects.filter(member=member, key=key).exists():
            return _state(lesson, _row(member, lesson), duplicate=True)
        now = timezone.now()
        allowance_ensure(member=member)
        allowance = WatchAllowance.objects.select_for_update().get(member=member)
        row = LessonProgress.objects.select_for_update().filter(member=member, lesson=lesson)
        row = row.first()
        if row is None:
            row = LessonProgress.objects.create(
                member=member, lesson=lesson, course_id=lesson.course_id, opened_at=now
            )
            course_progress_start(member=member, course_id=lesson.course_id)
        since = allowance.refilled_at
        refill = max(0.0, (now - since).total_seconds()) * settings.EHOME_PROGRESS_MAX_RATE
        budget = min(settings.EHOME_PROGRESS_BUDGET_CAP_SECONDS, allowance.budget + refill)
        secs = covered(ranges) / 1000
        if secs > budget:
            raise _too_fast(secs)
        allowance.budget = budget - secs
        allowance.refilled_at = max(now, since)
        allowance.save(update_fields=["budget", "refilled_at"])
        merged = merge_intervals(row.intervals, ranges)
        row.intervals = merged
        row.unique_seconds_before = row.unique_seconds
        row.unique_seconds = covered(merged) // 1000
        row.last_report_at = max(now, row.last_report_at or now)
        row.reports += 1
        just = False
        if row.completed_at is None and covered(merged) >= required_seconds(lesson) * 1000:
            row.completed_at = now
            just = True
        row.save()
        try:
            with transaction.atomic():
                ProgressReceipt.objects.create(
                    member=member, lesson=lesson, key=key, created_at=now
                )
        except IntegrityError:  # pragma: no cover - the lock makes this unreachable
            raise ProgressRejected("duplicate", "重复上报", 409) from None
        return _state(lesson, row, just_completed=just)


def progress_heartbeat(*, member: Member, lesson: Lesson) -> ProgressState:
    """Article/reading: add the server-measured time since the previous event (capped)."""
    if lesson.is_timed_media:
        raise ProgressRejected("wrong_kind", "视频/音频课时请上报播放区间")
    cap = settings.EHOME_READING_HEARTBEAT_MAX_SECONDS
    need = required_seconds(lesson)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    """
                    WITH clk AS (SELECT clock_timestamp() AS t)
                    UPDATE elearning_lessonprogress p SET
                        seconds_spent = p.seconds_spent + LEAST(%(cap)s, GREATEST(0,
                            FLOOR(EXTRACT(EPOCH FROM clk.t - p.last_report_at))))::int,
                        last_report_at = clk.t,
                        reports = p.reports + 1,
                        completed_at = COALESCE(p.completed_at, CASE WHEN
                            p.seconds_spent + LEAST(%(cap)s, GREATEST(0,
                            FLOOR(EXTRACT(EPOCH FROM clk.t - p.last_report_at))))::int
                            >= %(need)s THEN clk.t END)
                    FROM clk
                    WHERE p.member_id = %(m)s AND p.lesson_id = %(l)s
                      AND p.last_report_at IS NOT NULL
                    RETURNING (p.completed_at = p.last_report_at)
                    """,
                    {"cap": cap, "need": need, "m": member.pk, "l": lesson.pk},
                )
                got = cur.fetchone()
            if got is None:
                raise ProgressRejected("not_opened", "请先打开课时（open）再发送心跳", 409)
            just = bool(got[0])
            row = _row(member, lesson)
        else:
            row = LessonProgress.objects.select_for_update().filter(member=member, lesson=lesson)
            row = row.first()
            if row is None or row.last_report_at is None:
                raise ProgressRejected("not_opened", "请先打开课时（open）再发送心跳", 409)
            now = timezone.now()
            gained = int(min(cap, max(0.0, (now - row.last_report_at).total_seconds())))
            row.seconds_spent += gained
            row.last_report_at = now
            row.reports += 1
            just = row.completed_at is None and row.seconds_spent >= need
            if just:
                row.completed_at = now
            row.save()
    st = _state(lesson, row, just_completed=just)
    if just:
        _on_progress_change(member=member, lesson=lesson, st=st)
    return st
