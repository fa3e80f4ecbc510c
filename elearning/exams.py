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

Scoring (documented in docs/api.md): single choice and true/false score all or nothing;
fill-in-the-blank scores when the answer matches one accepted answer after Unicode NFKC
normalisation, case folding and whitespace collapsing; **multiple choice gives partial
credit**: each correct option carries a weight (GIFT ``~%50%``; by default the correct
options share 100 % equally); choosing any wrong option scores 0 for the question (so
"tick everything" never pays), otherwise the question scores ``points × Σ weights of the
chosen options / 100``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from elearning.models import Attempt, Exam, Question
from elearning.services import AcademyError
from organizations.models import Member
from organizations.selectors import is_visible_to_member

# --- grading ----------------------------------------------------------------------------


def _norm_text(value: str) -> str:
    value = unicodedata.normalize("NFKC", str(value)).casefold().strip()
    return re.sub(r"\s+", " ", value)


def option_weights(q: Question) -> dict[str, float]:
    """Weight (percent) of each correct option of a multiple-choice question."""
    correct = [str(k) for k in (q.answer or [])]
    explicit = {
        str(o["key"]): float(o["weight"])
        for o in q.options
        if o.get("weight") not in (None, "") and str(o["key"]) in correct
    }
    if explicit and all(w > 0 for w in explicit.values()) and len(explicit) == len(correct):
        return explicit
    return {k: 100.0 / len(correct) for k in correct} if correct else {}


def grade_question(q: Question, value, points: float) -> float:
    if value is None or value == "" or value == []:
        return 0.0
    if q.type == Question.Type.SINGLE:
        return float(points) if str(value) in [str(a) for a in q.answer] else 0.0
    if q.type == Question.Type.TRUE_FALSE:
        expected = q.answer[0] if isinstance(q.answer, list) else q.answer
        return float(points) if bool(value) is bool(expected) else 0.0
    if q.type == Question.Type.FILL:
        accepted = {_norm_text(a) for a in (q.answer or [])}
        return float(points) if _norm_text(value) in accepted else 0.0
    # multiple choice: partial credit, any wrong option → 0
    chosen = {str(v) for v in value}
    weights = option_weights(q)
    if not chosen or chosen - set(weights):
        return 0.0
    share = min(100.0, sum(weights[k] for k in chosen))
    return round(points * share / 100.0, 2)


def _validate_value(q: Question, value) -> None:
    keys = {str(o["key"]) for o in q.options}
    if value is None:
        return
    if q.type == Question.Type.SINGLE:
        if not isinstance(value, str) or value not in keys:
            raise AcademyError("answer_invalid", f"第 {q.pk} 题的答案须为一个选项字母")
    elif q.type == Question.Type.MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AcademyError("answer_invalid", f"第 {q.pk} 题的答案须为选项字母列表")
        if set(value) - keys or len(set(value)) != len(value):
            raise AcademyError("answer_invalid", f"第 {q.pk} 题的答案包含无效或重复的选项")
    elif q.type == Question.Type.TRUE_FALSE:
        if not isinstance(value, bool):
            raise AcademyError("answer_invalid", f"第 {q.pk} 题（判断题）的答案须为 true 或 false")
    elif not isinstance(value, str) or len(value) > 500:
        raise AcademyError("answer_invalid", f"第 {q.pk} 题（填空题）的答案须为不超过 500 字的文本")


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
        _validate_value(qs[str(k)], v)
        clean[str(k)] = v
    return clean


def _grade(attempt: Attempt, answers: dict) -> dict:
    ids = [item["id"] for item in attempt.questions]
    qs = {q.pk: q for q in Question.objects.filter(pk__in=ids)}
    per_q, score, max_score = {}, 0.0, 0.0
    for item in attempt.questions:
        q = qs.get(item["id"])
        pts = float(item["points"])
        max_score += pts
        earned = grade_question(q, answers.get(str(item["id"])), pts) if q else 0.0
        per_q[str(item["id"])] = earned
        score += earned
    percent = round(100.0 * score / max_score, 2) if max_score else 0.0
    return {
        "score": round(score, 2),
        "max_score": max_score,
        "percent": percent,
        "passed": percent >= attempt.exam.pass_mark,
        "per_question": per_q,
    }


# --- start / autosave / submit ----------------------------------------------------------


def _draw(exam: Exam, member: Member, rng: random.Random) -> list[dict]:
    """Questions for a new attempt by the exam's rules. Questions of the member's earlier
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
        qs = Question.objects.filter(category=rule.category)
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


def exam_is_visible(*, exam: Exam, member: Member) -> bool:
    return exam.is_published and is_visible_to_member(
        audience_path=exam.audience_unit.path, member=member
    )


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
    result = _grade(attempt, answers)
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
    from elearning import points, services

    exam = attempt.exam
    if exam.course_id:
        services.course_progress_exam_result(
            member=attempt.member,
            course_id=exam.course_id,
            percent=result["percent"],
            passed=result["passed"],
        )
    if result["passed"]:
        points.points_award(
            member=attempt.member,
            rule="quiz_pass",
            event_key=f"exam:{exam.pk}:{attempt.member_id}",
        )


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


# --- what the member may see ------------------------------------------------------------


def _attempts_used_up(attempt: Attempt) -> bool:
    """The member can start no further attempt and has none open (so nothing revealed
    now can be used in an attempt of this exam)."""
    exam = attempt.exam
    if not exam.attempts_allowed:
        return False
    counts = Attempt.objects.filter(exam=exam, member_id=attempt.member_id).aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(status=Attempt.Status.IN_PROGRESS))
    )
    return counts["total"] >= exam.attempts_allowed and counts["open"] == 0


def review_level(attempt: Attempt, *, now: dt.datetime | None = None) -> str:
    """ "nothing" | "score" | "correctness" | "answers" for this attempt right now.

    ``after_last``: the score at once; correctness and answers only once the exam closed
    or the member has used every attempt — never while they can still use them."""
    exam = attempt.exam
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return "nothing"
    if exam.review_when == Exam.ReviewWhen.NEVER:
        return "nothing"
    now = now or timezone.now()
    closed = exam.closes_at is not None and now >= exam.closes_at
    if exam.review_when == Exam.ReviewWhen.AFTER_CLOSE:
        return exam.review_show if closed else "nothing"
    if (
        exam.review_when == Exam.ReviewWhen.AFTER_LAST
        and exam.review_show in (Exam.ReviewShow.CORRECTNESS, Exam.ReviewShow.ANSWERS)
        and not closed
        and not _attempts_used_up(attempt)
    ):
        return "score"
    return exam.review_show


def attempt_as_dict(attempt: Attempt) -> dict:
    """The member's view of an attempt: questions without answers unless the review
    policy allows (one query for the questions)."""
    level = review_level(attempt)
    ids = [item["id"] for item in attempt.questions]
    qs = {q.pk: q for q in Question.objects.filter(pk__in=ids)}
    questions = []
    for i, item in enumerate(attempt.questions, 1):
        q = qs.get(item["id"])
        if q is None:
            continue
        text = {str(o["key"]): o["text"] for o in q.options}
        entry = {
            "id": q.pk,
            "number": i,
            "type": q.type,
            "stem": q.stem,
            "points": item["points"],
            "options": [{"key": k, "text": text.get(k, "")} for k in item["options"]],
            "my_answer": attempt.answers.get(str(q.pk)),
        }
        if level in ("correctness", "answers"):
            earned = attempt.per_question.get(str(q.pk), 0)
            entry["earned"] = earned
            entry["correct"] = earned >= item["points"]
        if level == "answers":
            entry["answer"] = q.answer
            entry["explanation"] = q.explanation
        questions.append(entry)
    data = {
        "id": attempt.pk,
        "exam": attempt.exam_id,
        "exam_title": attempt.exam.title,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "review": level,
        # more (correctness, answers) will be shown once the exam closes / attempts run out
        "review_later": attempt.status != Attempt.Status.IN_PROGRESS
        and level != attempt.exam.review_show
        and attempt.exam.review_when in (Exam.ReviewWhen.AFTER_LAST, Exam.ReviewWhen.AFTER_CLOSE),
        "questions": questions,
        "score": None,
        "max_score": attempt.max_score,
        "percent": None,
        "passed": None,
    }
    if level != "nothing":
        data.update(score=attempt.score, percent=attempt.percent, passed=attempt.passed)
    return data
