"""Grading, the same for every exam and contest question.

True/false scores all or nothing. Single choice scores in full for a correct option and
``points × weight / 100`` for an option with a partial weight (GIFT ``~%50%``).
Fill-in-the-blank scores the best weight (100 % unless GIFT says ``=%50%``) among the
accepted answers that match after Unicode NFKC normalisation, case folding and whitespace
collapsing. Numerical questions score the best weight among the answers whose tolerance
(or range) holds the number given. **Multiple choice gives partial credit**: each correct
option carries a weight (GIFT ``~%50%``; by default the correct options share 100 %
equally); a wrong option with a negative weight (``~%-50%``) subtracts it; choosing a
wrong option *without* a negative weight scores 0 for the question (so "tick everything"
never pays); the question scores ``points × Σ weights of the chosen options / 100``,
never below 0 (documented in docs/api.md). Matching, essay and description questions are
never drawn into an exam or contest (`AUTO_GRADED_TYPES`), so they are not graded here.
"""

from __future__ import annotations

import math
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


def penalty_weights(q: Question) -> dict[str, float]:
    """Negative weights (percent) of wrong options (GIFT ``~%-50%``)."""
    correct = {str(k) for k in (q.answer or [])}
    return {
        str(o["key"]): float(o["weight"])
        for o in q.options
        if isinstance(o.get("weight"), (int, float))
        and o["weight"] < 0
        and str(o["key"]) not in correct
    }


def fill_answers(q: Question) -> list[tuple[str, float]]:
    """(accepted text, weight) of a fill-in question: plain strings score 100 %."""
    out = []
    for a in q.answer or []:
        if isinstance(a, dict):
            out.append((str(a.get("text", "")), float(a.get("weight", 100))))
        else:
            out.append((str(a), 100.0))
    return out


def parse_number(value) -> float | None:
    """A member's numerical answer: digits in any width (NFKC), a decimal point or a
    decimal comma, optional exponent; None when it is not a finite number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
        text = text.replace("−", "-").replace("。", ".")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def _share(points: float, percent: float) -> float:
    return round(points * max(0.0, min(100.0, percent)) / 100.0, 2)


def grade_question(q: Question, value, points: float) -> float:
    if value is None or value == "" or value == []:
        return 0.0
    if q.type == Question.Type.SINGLE:
        if str(value) in [str(a) for a in q.answer]:
            return float(points)
        weight = next((o.get("weight") for o in q.options if str(o["key"]) == str(value)), None)
        return _share(points, float(weight)) if isinstance(weight, (int, float)) else 0.0
    if q.type == Question.Type.TRUE_FALSE:
        expected = q.answer[0] if isinstance(q.answer, list) else q.answer
        return float(points) if bool(value) is bool(expected) else 0.0
    if q.type == Question.Type.FILL:
        given = _norm_text(value)
        best = max((w for text, w in fill_answers(q) if _norm_text(text) == given), default=0.0)
        return float(points) if best >= 100 else _share(points, best)
    if q.type == Question.Type.NUMERICAL:
        number = parse_number(value)
        if number is None:
            return 0.0
        best = max(
            (
                float(a.get("weight", 100))
                for a in q.answer or []
                if abs(number - float(a["value"]))
                <= float(a.get("tolerance", 0)) + 1e-9 * max(1.0, abs(float(a["value"])))
            ),
            default=0.0,
        )
        return float(points) if best >= 100 else _share(points, best)
    if q.type != Question.Type.MULTIPLE:
        return 0.0  # not auto-graded (see AUTO_GRADED_TYPES)
    # multiple choice: partial credit; penalties subtract; any other wrong option → 0
    chosen = {str(v) for v in value}
    weights = {**penalty_weights(q), **option_weights(q)}
    if not chosen or chosen - set(weights):
        return 0.0
    return _share(points, sum(weights[k] for k in chosen))


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
    elif q.type == Question.Type.NUMERICAL:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise AcademyError("answer_invalid", f"第 {q.pk} 题（数值题）的答案须为数字")
        if isinstance(value, str) and len(value) > 500:
            raise AcademyError("answer_invalid", f"第 {q.pk} 题（数值题）的答案不能超过 500 字")
    elif q.type != Question.Type.FILL:
        raise AcademyError("answer_invalid", f"第 {q.pk} 题不能在线作答")
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
