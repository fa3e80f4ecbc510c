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

Steps 2–3 and the idempotency receipt are one write of `elearning.courses.progress_store`
(one statement on PostgreSQL). The API's two paths (the DRF view and its fast path) send
every event as one `ProgressCommand` through `progress_submit`; the portal's lesson page
opens the lesson (`progress_open`) and its player reports through the API.

Article/reading lessons: the client sends ``open`` then ``heartbeat`` events; the server
adds the time between consecutive events it received (each capped, fractions carried to
the next event), never a duration the client states. The portal sends a heartbeat when
the requirement falls due, not only every 20 s; ``seconds_spent`` is shown capped at the
requirement.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from elearning.courses import progress_store as store
from elearning.courses.models import Lesson, LessonProgress
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


def _state(
    lesson: Lesson, row: LessonProgress | store.ReportedRow | None, **extra
) -> ProgressState:
    st = ProgressState(
        lesson_id=lesson.pk,
        kind=lesson.kind,
        duration=lesson.duration_seconds,
        required_seconds=required_seconds(lesson),
    )
    if row is not None:
        st.unique_seconds = row.unique_seconds
        st.unique_seconds_before = row.unique_seconds_before
        # reading time counts towards the requirement and is shown against it: never
        # "79 / 60" (time read after completion changes nothing)
        st.seconds_spent = (
            row.seconds_spent
            if lesson.is_timed_media
            else min(row.seconds_spent, st.required_seconds)
        )
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
    return _state(lesson, store.row_get(member=member, lesson=lesson))


def _open(member: Member, lesson: Lesson) -> None:
    with transaction.atomic():
        if lesson.is_timed_media:
            store.allowance_ensure(member=member)  # before the progress row: the lock order
        if store.row_open(member=member, lesson=lesson):
            course_progress_start(member=member, course_id=lesson.course_id)


def progress_open(*, member: Member, lesson: Lesson) -> ProgressState:
    """The member opened the lesson: start the server's clock (creates the row once)."""
    _open(member, lesson)
    return progress_get(member=member, lesson=lesson)


def _too_fast(secs: float) -> ProgressRejected:
    return ProgressRejected(
        "progress_too_fast",
        f"上报的 {secs:g} 秒超过了自上次上报以来按最高 {settings.EHOME_PROGRESS_MAX_RATE} "
        "倍速可能播放的时长，已拒绝（未记录任何进度）",
        422,
    )


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
    need_ms = required_seconds(lesson) * 1000
    for _ in range(2):
        done = store.report_record(
            member=member, lesson=lesson, ranges=ranges, key=idempotency_key, need_ms=need_ms
        )
        if done.outcome != store.MISSING:
            break
        _open(member, lesson)  # a first report without "open": the allowance is the slack
    if done.outcome in (store.MISSING, store.TOO_FAST):
        raise _too_fast(store.covered(ranges) / 1000)
    duplicate = done.outcome == store.DUPLICATE
    st = _state(lesson, done.row, duplicate=duplicate, just_completed=done.just_completed)
    if not duplicate:
        _on_progress_change(member=member, lesson=lesson, st=st)
    return st


def progress_report_authorized(
    *,
    user_id: int,
    token_version: int,
    lesson: Lesson,
    intervals: list[dict],
    idempotency_key: str,
    sent_at: dt.datetime | None = None,
) -> tuple[Member, ProgressState] | None:
    """The everyday interval report of an API token's user: `progress_report` with the
    member found, authorized and written to in ONE statement
    (`store.report_record_authorized`). (member, state) when accepted; None when nothing
    was written — the caller then authenticates the usual way and sends the report
    through `progress_submit`, which answers every other case. A batch that fails
    validation raises ProgressRejected before anything is read or written."""
    ranges = normalise_intervals(lesson=lesson, intervals=intervals, sent_at=sent_at)
    done = store.report_record_authorized(
        user_id=user_id,
        token_version=token_version,
        audience_path=lesson.course.audience_unit.path,
        lesson=lesson,
        ranges=ranges,
        key=idempotency_key,
        need_ms=required_seconds(lesson) * 1000,
    )
    if done is None:
        return None
    st = _state(lesson, done.row, just_completed=done.just_completed)
    _on_progress_change(member=done.member, lesson=lesson, st=st)
    return done.member, st


def progress_heartbeat(*, member: Member, lesson: Lesson) -> ProgressState:
    """Article/reading: add the server-measured time since the previous event (capped)."""
    if lesson.is_timed_media:
        raise ProgressRejected("wrong_kind", "视频/音频课时请上报播放区间")
    got = store.heartbeat_record(
        member=member,
        lesson=lesson,
        cap=settings.EHOME_READING_HEARTBEAT_MAX_SECONDS,
        need=required_seconds(lesson),
    )
    if got is None:
        raise ProgressRejected("not_opened", "请先打开课时（open）再发送心跳", 409)
    row, just = got
    st = _state(lesson, row, just_completed=just)
    if just:
        _on_progress_change(member=member, lesson=lesson, st=st)
    return st


# --- the one command both API paths and the portal send ---------------------------------


@dataclass(frozen=True)
class ProgressCommand:
    """One event of a member on a lesson, its shape already checked by the caller:
    ``open`` (start the server's clock), ``intervals`` (watched media ranges with an
    idempotency key) or ``heartbeat`` (reading time)."""

    event: str
    intervals: list[dict] | None = None
    idempotency_key: str = ""
    sent_at: dt.datetime | None = None


def progress_submit(*, member: Member, lesson: Lesson, command: ProgressCommand) -> ProgressState:
    if command.event == "open":
        return progress_open(member=member, lesson=lesson)
    if command.event == "heartbeat":
        return progress_heartbeat(member=member, lesson=lesson)
    return progress_report(
        member=member,
        lesson=lesson,
        intervals=command.intervals or [],
        idempotency_key=command.idempotency_key,
        sent_at=command.sent_at,
    )
