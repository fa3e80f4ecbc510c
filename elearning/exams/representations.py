"""What a member gets to see of an exam attempt, declared once (`AttemptJSON`, which the
API documents through api.schema.shape_serializer) and built once, for the API and the
portal. Question texts come as stored (``stem``, ``text``, in ``text_format``) and as
HTML that is safe to show unescaped (``stem_html``, ``html``: see elearning.exams.text)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from elearning.exams.models import Attempt, Exam, Question
from elearning.exams.selectors import review_level
from elearning.exams.text import question_text_html


class AttemptJSON(TypedDict):
    id: int
    exam: int
    exam_title: str
    number: int
    status: str
    started_at: dt.datetime
    deadline: dt.datetime
    submitted_at: dt.datetime | None
    review: str
    review_later: bool
    questions: list[dict]
    score: float | None
    max_score: float
    percent: float | None
    passed: bool | None


def attempt_as_dict(attempt: Attempt) -> AttemptJSON:
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
            "text_format": q.text_format,
            "stem": q.stem,
            "stem_html": question_text_html(q.stem, q.text_format),
            "points": item["points"],
            "options": [
                {
                    "key": k,
                    "text": text.get(k, ""),
                    "html": question_text_html(text.get(k, ""), q.text_format),
                }
                for k in item["options"]
            ],
            "my_answer": attempt.answers.get(str(q.pk)),
        }
        if level in ("correctness", "answers"):
            earned = attempt.per_question.get(str(q.pk), 0)
            entry["earned"] = earned
            entry["correct"] = earned >= item["points"]
        if level == "answers":
            entry["answer"] = q.answer
            entry["explanation"] = q.explanation
            entry["explanation_html"] = question_text_html(q.explanation, q.text_format)
        questions.append(entry)
    data: AttemptJSON = {
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
