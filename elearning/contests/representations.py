"""What a member sees of a contest, for the API and the portal."""

from __future__ import annotations

from elearning.contests.models import Contest, ContestEntry
from elearning.exams.models import Question


def question_public(q: Question) -> dict:
    return {
        "id": q.pk,
        "type": q.type,
        "stem": q.stem,
        "options": [{"key": o["key"], "text": o["text"]} for o in q.options],
    }


def entry_state(entry: ContestEntry, contest: Contest) -> dict:
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
