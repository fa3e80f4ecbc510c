"""Exam attempts with integrity.

- ``attempt_start`` draws the questions by the exam's rules and stores them *with their
  option order* on the attempt; the client only ever gets stems and options.
- ``attempt_autosave`` merges answers (only to questions of this attempt) under a row lock.
- ``attempt_submit`` grades and closes the attempt with ONE conditional ``UPDATE … WHERE
  status = 'in_progress'``: concurrent duplicate submits grade once; a repeat with the
  same ``Idempotency-Key`` returns the first result.
- The deadline is server time: ``started_at + time limit`` (capped by the exam's close);
  submits are accepted for ``EHOME_EXAM_GRACE_SECONDS`` more; ``attempts_close_overdue``
  (a periodic task) grades what was autosaved in attempts nobody submitted.

Scoring: `elearning.exams.grading`; what the member may see afterwards:
`elearning.exams.selectors.review_level`.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from elearning.courses.services import course_progress_exam_result
from elearning.errors import AcademyError
from elearning.exams.grading import attempt_grade, validate_answer
from elearning.exams.models import AUTO_GRADED_TYPES, Attempt, Exam, Question, category_q
from elearning.exams.signals import exam_passed
from organizations.models import Member


def _clean_answers(attempt: Attempt, answers: dict) -> dict[str, object]:
    if not isinstance(answers, dict):
        raise AcademyError("answer_invalid", "answers 须为 {题目ID: 答案} 对象")
    allowed = {str(item["id"]) for item in attempt.questions}
    foreign = [k for k in answers if str(k) not in allowed]
    if foreign:
        raise AcademyError(
            "question_not_in_attempt",
            f"题目 {', '.join(map(str, foreign[:5]))} 不在本次答卷中",
        )
    qs = {str(q.pk): q for q in Question.objects.filter(pk__in=[int(k) for k in answers])}
    clean = {}
    for k, v in answers.items():
        validate_answer(qs[str(k)], v)
        clean[str(k)] = v
    return clean


# --- start / autosave / submit ----------------------------------------------------------


def _draw(exam: Exam, member: Member, rng: random.Random) -> list[dict]:
    """Questions for a new attempt by the exam's rules: a rule's category includes its
    sub-categories, and only auto-graded types are drawn (see AUTO_GRADED_TYPES). Questions of the member's earlier
    attempts are drawn only when a rule's pool has too few others: where the bank allows,
    each attempt gets questions the member has not seen."""
    seen: set[int] = set()
    for items in Attempt.objects.filter(exam=exam, member=member).values_list(
        "questions", flat=True
    ):
        seen.update(item["id"] for item in items)
    drawn: list[dict] = []
    taken: set[int] = set()
    for rule in exam.rules.all():
        qs = Question.objects.filter(category_q(rule.category), type__in=AUTO_GRADED_TYPES)
        if rule.difficulty:
            qs = qs.filter(difficulty=rule.difficulty)
        if rule.question_type:
            qs = qs.filter(type=rule.question_type)
        pool = [
            (pk, qtype, opts)
            for pk, qtype, opts in qs.values_list("pk", "type", "options")
            if pk not in taken
        ]
        if len(pool) < rule.count:
            raise AcademyError(
                "bank_too_small",
                f"题库分类“{rule.category}”可用题目只有 {len(pool)} 道，不足 {rule.count} 道",
                409,
            )
        fresh = [q for q in pool if q[0] not in seen]
        if len(fresh) >= rule.count:
            chosen = rng.sample(fresh, rule.count)
        else:
            repeats = [q for q in pool if q[0] in seen]
            chosen = fresh + rng.sample(repeats, rule.count - len(fresh))
        for pk, _qtype, opts in chosen:
            keys = [str(o["key"]) for o in opts or []]
            rng.shuffle(keys)
            drawn.append({"id": pk, "options": keys, "points": rule.points})
            taken.add(pk)
    rng.shuffle(drawn)
    return drawn


def attempt_start(*, exam: Exam, member: Member) -> Attempt:
    """Start (or resume) the member's attempt; see the module docstring.

    One attempt per member and exam may be open: the partial unique constraint
    ``uniq_open_attempt`` refuses a second insert, whatever the timing, and a start that
    loses that race (or the race for the attempt number) resumes the winner's attempt."""
    now = timezone.now()
    if exam.opens_at and now < exam.opens_at:
        raise AcademyError("exam_not_open", "考试尚未开始", 409)
    if exam.closes_at and now >= exam.closes_at:
        raise AcademyError("exam_closed", "考试已结束", 409)
    deadline = now + dt.timedelta(minutes=exam.time_limit_minutes)
    if exam.closes_at:
        deadline = min(deadline, exam.closes_at)
    questions = None
    for _ in range(3):
        current = Attempt.objects.filter(
            exam=exam, member=member, status=Attempt.Status.IN_PROGRESS
        ).first()
        if current is not None:
            grace = dt.timedelta(seconds=settings.EHOME_EXAM_GRACE_SECONDS)
            if current.deadline + grace > now:
                return current
            attempt_close(attempt=current)
        used = Attempt.objects.filter(exam=exam, member=member).count()
        if exam.attempts_allowed and used >= exam.attempts_allowed:
            raise AcademyError(
                "attempts_exhausted", f"本考试最多可作答 {exam.attempts_allowed} 次，已用完", 409
            )
        if questions is None:
            questions = _draw(exam, member, random.SystemRandom())
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives
                return Attempt.objects.create(
                    exam=exam,
                    member=member,
                    number=used + 1,
                    started_at=now,
                    deadline=deadline,
                    questions=questions,
                    max_score=sum(q["points"] for q in questions),
                )
        except IntegrityError:
            continue  # a concurrent start committed first: resume its attempt
    raise AcademyError("attempt_conflict", "同时开始了多次作答，请稍后重试", 409)


def _check_open(attempt: Attempt, now: dt.datetime) -> None:
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AcademyError("attempt_closed", "本次答卷已交卷", 409)
    if now > attempt.deadline + dt.timedelta(seconds=settings.EHOME_EXAM_GRACE_SECONDS):
        raise AcademyError("deadline_passed", "已超过交卷截止时间，答案未被记录", 409)


def attempt_autosave(*, attempt: Attempt, answers: dict) -> Attempt:
    clean = _clean_answers(attempt, answers)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
        _check_open(locked, timezone.now())
        locked.answers = {**locked.answers, **clean}
        locked.save(update_fields=["answers"])
    return locked


def _finish(attempt: Attempt, *, answers: dict, status: str, key: str) -> bool:
    """Grade and close with one conditional UPDATE; True when this call closed it."""
    result = attempt_grade(attempt, answers)
    now = timezone.now()
    with transaction.atomic():
        won = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(
            status=status,
            submitted_at=now,
            answers=answers,
            idempotency_key=key,
            grade_count=F("grade_count") + 1,
            **result,
        )
        if won:
            _after_graded(attempt, result)
    return bool(won)


def _after_graded(attempt: Attempt, result: dict) -> None:
    exam = attempt.exam
    if exam.course_id:
        course_progress_exam_result(
            member=attempt.member,
            course_id=exam.course_id,
            percent=result["percent"],
            passed=result["passed"],
        )
    if result["passed"]:
        exam_passed.send(Exam, member=attempt.member, exam=exam, attempt=attempt)


def attempt_submit(*, attempt: Attempt, answers: dict | None, idempotency_key: str) -> Attempt:
    """Submit once. A repeat with the same key returns the first result; a different key
    after the attempt closed is a 409."""
    if attempt.status != Attempt.Status.IN_PROGRESS:
        if attempt.idempotency_key == idempotency_key:
            return attempt
        raise AcademyError("already_submitted", "本次答卷已交卷，不能重复提交", 409)
    clean = _clean_answers(attempt, answers or {})
    _check_open(attempt, timezone.now())
    merged = {**attempt.answers, **clean}
    if not _finish(attempt, answers=merged, status=Attempt.Status.SUBMITTED, key=idempotency_key):
        attempt.refresh_from_db()
        if attempt.idempotency_key != idempotency_key:
            raise AcademyError("already_submitted", "本次答卷已交卷，不能重复提交", 409)
    attempt.refresh_from_db()
    return attempt


def attempt_close(*, attempt: Attempt) -> bool:
    """Grade an overdue attempt with its autosaved answers."""
    return _finish(attempt, answers=attempt.answers, status=Attempt.Status.EXPIRED, key="")


def attempts_close_overdue(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.EHOME_EXAM_GRACE_SECONDS)
    closed = 0
    overdue = Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lt=cutoff)
    for attempt in overdue.select_related("exam", "member").iterator(chunk_size=200):
        closed += attempt_close(attempt=attempt)
    return closed
