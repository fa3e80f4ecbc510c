"""Grading, the same for every exam and contest question.

Single choice and true/false score all or nothing; fill-in-the-blank scores when the
answer matches one accepted answer after Unicode NFKC normalisation, case folding and
whitespace collapsing; **multiple choice gives partial credit**: each correct option
carries a weight (GIFT ``~%50%``; by default the correct options share 100 % equally);
choosing any wrong option scores 0 for the question (so "tick everything" never pays),
otherwise the question scores ``points × Σ weights of the chosen options / 100``
(documented in docs/api.md).
"""

from __future__ import annotations

import re
import unicodedata

from elearning.errors import AcademyError
from elearning.exams.models import Attempt, Question


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


def validate_answer(q: Question, value) -> None:
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


def attempt_grade(attempt: Attempt, answers: dict) -> dict:
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
