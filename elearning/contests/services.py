"""Contest and study-point writes.

Contests (党纪党规知识竞答): the server hands out one question at a time and times each
answer itself (from the moment it sent the question); a late answer counts as wrong.
Modes: *fixed paper* (everyone gets the same questions in the same order; all are asked)
and *challenge* (shuffled; the entry ends at the first mistake). A finished entry updates
the member's best row (`ContestBest`) and its unit's running total (`ContestUnitScore`),
so leaderboards never aggregate the results table per request (elearning.contests.selectors).

Study points (学习积分) are awarded only by the server, from events it verified itself: a
lesson completed or minutes watched (`elearning.courses.signals`), a passed exam
(`elearning.exams.signals`), a finished contest entry. The ledger is append-only; every
award carries a unique event key (a retried event inserts nothing). Per-rule daily caps
use the member's local day (unit time zone); the day's sum is read under a lock on the
member's balance row, so concurrent awards cannot overshoot a cap. `PointBalance` keeps
each member's total for leaderboards.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from elearning.contests import leaderboards
from elearning.contests.models import (
    Contest,
    ContestBest,
    ContestEntry,
    ContestUnitScore,
    PointBalance,
    PointLedger,
    PointRule,
)
from elearning.contests.representations import (
    ContestStateJSON,
    entry_state,
    question_revealed,
)
from elearning.contests.selectors import member_local_day
from elearning.courses.models import Lesson
from elearning.errors import AcademyError
from elearning.exams.grading import grade_question, validate_answer
from elearning.exams.models import AUTO_GRADED_TYPES, Question
from organizations.models import Member

# --- contests ---------------------------------------------------------------------------


def contest_enter(*, contest: Contest, member: Member) -> ContestStateJSON:
    now = timezone.now()
    if not (contest.starts_at <= now < contest.ends_at):
        raise AcademyError("contest_not_open", "不在竞答开放时间内", 409)
    with transaction.atomic():
        current = (
            ContestEntry.objects.select_for_update()
            .filter(contest=contest, member=member, finished_at__isnull=True)
            .first()
        )
        if current is not None:
            return entry_state(current, contest)
        used = ContestEntry.objects.filter(contest=contest, member=member).count()
        if contest.entries_allowed and used >= contest.entries_allowed:
            raise AcademyError(
                "entries_exhausted", f"每人最多参赛 {contest.entries_allowed} 次，已用完", 409
            )
        ids = sorted(
            contest.questions.filter(type__in=AUTO_GRADED_TYPES).values_list("pk", flat=True)
        )
        if not ids:
            raise AcademyError("contest_empty", "竞答尚未设置题目", 409)
        if contest.mode == Contest.Mode.CHALLENGE:
            random.SystemRandom().shuffle(ids)
        entry = ContestEntry.objects.create(
            contest=contest, member=member, question_ids=ids, started_at=now, asked_at=now
        )
    return entry_state(entry, contest)


def contest_answer(
    *, contest: Contest, member: Member, question_id: int, answer
) -> ContestStateJSON:
    with transaction.atomic():
        entry = (
            ContestEntry.objects.select_for_update()
            .filter(contest=contest, member=member, finished_at__isnull=True)
            .first()
        )
        if entry is None:
            raise AcademyError("no_entry", "没有进行中的竞答，请先开始答题", 409)
        expected = entry.question_ids[entry.current]
        if int(question_id) != expected:
            raise AcademyError("question_not_current", "该题不是当前题目", 400)
        q = Question.objects.get(pk=expected)
        validate_answer(q, answer)
        now = timezone.now()
        limit_ms = contest.seconds_per_question * 1000
        took = int((now - entry.asked_at).total_seconds() * 1000)
        in_time = took <= limit_ms + settings.EHOME_CONTEST_GRACE_MS
        right = in_time and grade_question(q, answer, 1) >= 1
        entry.elapsed_ms += min(took, limit_ms)
        entry.current += 1
        if right:
            entry.correct += 1
        done = entry.current >= len(entry.question_ids) or (
            contest.mode == Contest.Mode.CHALLENGE and not right
        )
        entry.asked_at = now
        if done:
            entry.finished_at = now
        entry.save()
        if done:
            _record_best(contest, member, entry)
    state = entry_state(entry, contest)
    state["last"] = {"correct": right, "timed_out": not in_time, "question": question_revealed(q)}
    if done:
        points_award(
            member=member, rule="contest", event_key=f"contest:{entry.pk}", units=entry.correct
        )
    return state


def _record_best(contest: Contest, member: Member, entry: ContestEntry) -> None:
    unit_id = member.unit_id
    best = ContestBest.objects.select_for_update().filter(contest=contest, member=member).first()
    if best is None:
        try:
            with transaction.atomic():
                ContestBest.objects.create(
                    contest=contest,
                    member=member,
                    unit_id=unit_id,
                    score=entry.correct,
                    elapsed_ms=entry.elapsed_ms,
                )
        except IntegrityError:
            return _record_best(contest, member, entry)
        delta, new = entry.correct, 1
    else:
        better = entry.correct > best.score or (
            entry.correct == best.score and entry.elapsed_ms < best.elapsed_ms
        )
        if not better:
            return None
        delta, new = entry.correct - best.score, 0
        best.score, best.elapsed_ms = entry.correct, entry.elapsed_ms
        best.save(update_fields=["score", "elapsed_ms"])
        unit_id = best.unit_id
    updated = ContestUnitScore.objects.filter(contest=contest, unit_id=unit_id).update(
        participants=F("participants") + new, total_score=F("total_score") + delta
    )
    if not updated:
        try:
            with transaction.atomic():
                ContestUnitScore.objects.create(
                    contest=contest, unit_id=unit_id, participants=new, total_score=delta
                )
        except IntegrityError:
            ContestUnitScore.objects.filter(contest=contest, unit_id=unit_id).update(
                participants=F("participants") + new, total_score=F("total_score") + delta
            )
    leaderboards.contest_record_after_commit(
        contest_id=contest.pk, member_id=member.pk, unit_id=unit_id
    )
    return None


# --- study points -----------------------------------------------------------------------

DEFAULT_RULES = {
    # code: (points, per_minutes, daily_cap)
    "article_read": (1, 0, 6),
    "watch_minutes": (1, 5, 12),
    "lesson_complete": (2, 0, 10),
    "quiz_pass": (5, 0, 10),
    "contest": (1, 0, 10),
}


def rules_ensure() -> None:
    for code, (pts, per, cap) in DEFAULT_RULES.items():
        PointRule.objects.get_or_create(
            code=code, defaults={"points": pts, "per_minutes": per, "daily_cap": cap}
        )


_RULES_TTL = 30.0
_rules_cache: tuple[float, dict[str, PointRule | None]] = (0.0, {})


def _rule(code: str) -> PointRule | None:
    """The active rule for `code` (defaults when none is configured). Rules change rarely
    and progress reports are the hottest path, so each process keeps them for 30 s."""
    global _rules_cache
    loaded_at, rules = _rules_cache
    if time.monotonic() - loaded_at > _RULES_TTL:
        configured = {r.code: r for r in PointRule.objects.all()}
        rules = {}
        for c in set(DEFAULT_RULES) | set(configured):
            r = configured.get(c)
            if r is None and c in DEFAULT_RULES:
                pts, per, cap = DEFAULT_RULES[c]
                r = PointRule(code=c, points=pts, per_minutes=per, daily_cap=cap)
            rules[c] = r if r is not None and r.is_active else None
        _rules_cache = (time.monotonic(), rules)
    return rules.get(code)


def rules_cache_clear() -> None:
    global _rules_cache
    _rules_cache = (0.0, {})


def points_award(
    *, member: Member, rule: str, event_key: str, units: int = 1, now: dt.datetime | None = None
) -> int:
    """Award `units` × rule points for one verified event (capped per day). Returns the
    points actually credited (0 for a repeated event key or when the cap is reached)."""
    r = _rule(rule)
    if r is None or units <= 0:
        return 0
    if PointLedger.objects.filter(event_key=event_key).exists():
        return 0
    day = member_local_day(member, now)
    wanted = r.points * units
    try:
        with transaction.atomic():
            balance, _ = PointBalance.objects.get_or_create(
                member=member, defaults={"unit_path": member.unit.path}
            )
            balance = PointBalance.objects.select_for_update().get(pk=balance.pk)
            if r.daily_cap:
                today = (
                    PointLedger.objects.filter(member=member, rule=rule, day=day).aggregate(
                        s=Sum("points")
                    )["s"]
                    or 0
                )
                wanted = max(0, min(wanted, r.daily_cap - today))
            PointLedger.objects.create(
                member=member, rule=rule, points=wanted, event_key=event_key, day=day
            )
            if wanted:
                balance.total += wanted
                balance.unit_path = member.unit.path
                balance.save(update_fields=["total", "unit_path"])
                leaderboards.points_record_after_commit(member_id=member.pk)
    except IntegrityError:
        return 0  # the same event raced in from another request
    return wanted


def points_award_watch(
    *, member: Member, lesson_id: int, seconds_before: int, seconds_after: int
) -> int:
    """One award per full N minutes of *unique* watched seconds of a lesson."""
    r = _rule("watch_minutes")
    if r is None or not r.per_minutes:
        return 0
    step = r.per_minutes * 60
    total = 0
    for block in range(seconds_before // step + 1, seconds_after // step + 1):
        total += points_award(
            member=member, rule="watch_minutes", event_key=f"watch:{member.pk}:{lesson_id}:{block}"
        )
    return total


def points_unit_paths_sync(*, member_ids: list[int] | None = None) -> int:
    """Re-file the balances whose `unit_path` is no longer their member's unit path (the
    leaderboards of a subtree read it), and move their ranking entries after commit.
    `member_ids` limits it to those members; None checks every balance (one join).
    Returns how many balances moved."""
    qs = PointBalance.objects.exclude(unit_path=F("member__unit__path"))
    if member_ids is not None:
        qs = qs.filter(member_id__in=member_ids)
    moved = 0
    with transaction.atomic():
        rows = list(
            qs.select_for_update(of=("self",)).values_list(
                "member_id", "unit_path", "member__unit__path", "total"
            )
        )
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            PointBalance.objects.bulk_update(
                [PointBalance(member_id=m, unit_path=new) for m, _, new, _ in batch],
                ["unit_path"],
            )
            moved += len(batch)
        if rows:
            leaderboards.points_moved_after_commit(rows)
    return moved


# --- receivers of the verified events (connected in elearning.apps) ---------------------


def points_for_lesson_completed(sender, *, member: Member, lesson: Lesson, **kwargs) -> None:
    rule = "article_read" if lesson.kind == Lesson.Kind.ARTICLE else "lesson_complete"
    points_award(member=member, rule=rule, event_key=f"lesson:{member.pk}:{lesson.pk}")


def points_for_lesson_watched(
    sender, *, member: Member, lesson: Lesson, seconds_before: int, seconds_after: int, **kwargs
) -> None:
    points_award_watch(
        member=member,
        lesson_id=lesson.pk,
        seconds_before=seconds_before,
        seconds_after=seconds_after,
    )


def points_for_exam_passed(sender, *, member: Member, exam, **kwargs) -> None:
    points_award(member=member, rule="quiz_pass", event_key=f"exam:{exam.pk}:{member.pk}")
