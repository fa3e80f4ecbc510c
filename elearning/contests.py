"""Quiz contests (党纪党规知识竞答).

The server hands out one question at a time and times each answer itself (from the moment
it sent the question); a late answer counts as wrong. Modes: *fixed paper* (everyone gets
the same questions in the same order; all are asked) and *challenge* (shuffled; the entry
ends at the first mistake).

Leaderboards never aggregate the results table per request: a finished entry updates the
member's best row (`ContestBest`, indexed by score/time) and its unit's running total
(`ContestUnitScore`); "top N" is an index scan and "my rank" is a Redis `ZCOUNT` of
better entries (elearning.leaderboards), or one COUNT of better rows without Redis.
"""

from __future__ import annotations

import random

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from elearning import leaderboards
from elearning.exams import _validate_value, grade_question
from elearning.models import Contest, ContestBest, ContestEntry, ContestUnitScore, Question
from elearning.services import AcademyError
from organizations.models import Member
from organizations.selectors import is_visible_to_member


def contest_is_visible(*, contest: Contest, member: Member) -> bool:
    return contest.is_published and is_visible_to_member(
        audience_path=contest.audience_unit.path, member=member
    )


def question_public(q: Question) -> dict:
    return {
        "id": q.pk,
        "type": q.type,
        "stem": q.stem,
        "options": [{"key": o["key"], "text": o["text"]} for o in q.options],
    }


def _entry_state(entry: ContestEntry, contest: Contest) -> dict:
    data = {
        "entry": entry.pk,
        "finished": entry.finished_at is not None,
        "correct": entry.correct,
        "elapsed_ms": entry.elapsed_ms,
        "answered": entry.current,
        "total": len(entry.question_ids),
        "seconds_per_question": contest.seconds_per_question,
        "question": None,
    }
    if entry.finished_at is None and entry.current < len(entry.question_ids):
        q = Question.objects.get(pk=entry.question_ids[entry.current])
        data["question"] = question_public(q)
    return data


def contest_enter(*, contest: Contest, member: Member) -> dict:
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
            return _entry_state(current, contest)
        used = ContestEntry.objects.filter(contest=contest, member=member).count()
        if contest.entries_allowed and used >= contest.entries_allowed:
            raise AcademyError(
                "entries_exhausted", f"每人最多参赛 {contest.entries_allowed} 次，已用完", 409
            )
        ids = sorted(contest.questions.values_list("pk", flat=True))
        if not ids:
            raise AcademyError("contest_empty", "竞答尚未设置题目", 409)
        if contest.mode == Contest.Mode.CHALLENGE:
            random.SystemRandom().shuffle(ids)
        entry = ContestEntry.objects.create(
            contest=contest, member=member, question_ids=ids, started_at=now, asked_at=now
        )
    return _entry_state(entry, contest)


def contest_answer(*, contest: Contest, member: Member, question_id: int, answer) -> dict:
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
        _validate_value(q, answer)
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
    state = _entry_state(entry, contest)
    state["last"] = {"correct": right, "timed_out": not in_time}
    if done:
        from elearning import points

        points.points_award(
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


def contest_leaderboard(*, contest: Contest, member: Member | None, top: int = 20) -> dict:
    rows = list(
        ContestBest.objects.filter(contest=contest)
        .order_by("-score", "elapsed_ms", "member_id")
        .values("member_id", "member__name", "unit__name", "score", "elapsed_ms")[:top]
    )
    members = [
        {
            "rank": i,
            "member_id": r["member_id"],
            "name": r["member__name"],
            "unit": r["unit__name"],
            "score": r["score"],
            "elapsed_ms": r["elapsed_ms"],
        }
        for i, r in enumerate(rows, 1)
    ]
    units = [
        {
            "rank": i,
            "unit_id": r["unit_id"],
            "name": r["unit__name"],
            "participants": r["participants"],
            "total_score": r["total_score"],
        }
        for i, r in enumerate(
            ContestUnitScore.objects.filter(contest=contest)
            .order_by("-total_score", "unit_id")
            .values("unit_id", "unit__name", "participants", "total_score")[:top],
            1,
        )
    ]
    me = my_unit = None
    if member is not None:
        best = ContestBest.objects.filter(contest=contest, member=member).first()
        if best is not None:
            better = leaderboards.contest_member_better_count(
                contest_id=contest.pk, score=best.score, elapsed_ms=best.elapsed_ms
            )
            if better is None:  # no Redis: count the better rows in the database
                better = (
                    ContestBest.objects.filter(contest=contest)
                    .filter(
                        Q(score__gt=best.score)
                        | Q(score=best.score, elapsed_ms__lt=best.elapsed_ms)
                    )
                    .count()
                )
            me = {"rank": better + 1, "score": best.score, "elapsed_ms": best.elapsed_ms}
        mine = ContestUnitScore.objects.filter(contest=contest, unit_id=member.unit_id).first()
        if mine is not None:
            better = leaderboards.contest_unit_better_count(
                contest_id=contest.pk, total_score=mine.total_score
            )
            if better is None:
                better = ContestUnitScore.objects.filter(
                    contest=contest, total_score__gt=mine.total_score
                ).count()
            my_unit = {"rank": better + 1, "total_score": mine.total_score}
    return {"members": members, "units": units, "me": me, "my_unit": my_unit}
