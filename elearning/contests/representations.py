"""What a member sees of contests, entries, leaderboards and study points, declared once
(the TypedDicts, which the API documents through api.schema.shape_serializer) and built
once, for the API and the portal."""

from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict

from elearning.contests.models import Contest, ContestEntry
from elearning.exams.models import Question
from elearning.exams.text import question_text_html


class ContestJSON(TypedDict):
    id: int
    title: str
    description: str
    mode: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    seconds_per_question: int
    question_count: int
    is_open: bool


class ContestLastAnswerJSON(TypedDict):
    """The outcome of the answer just given."""

    correct: bool
    timed_out: bool
    # that question with its right answer and explanation (question_revealed)
    question: dict


class ContestStateJSON(TypedDict):
    entry: int
    finished: bool
    correct: int
    elapsed_ms: int
    answered: int
    total: int
    seconds_per_question: int
    question: dict | None
    # only in the reply to an answer
    last: NotRequired[ContestLastAnswerJSON]


class LeaderboardJSON(TypedDict):
    members: list[dict]
    units: list[dict]
    me: dict | None
    my_unit: dict | None


class PointsSummaryJSON(TypedDict):
    total: int
    today: dict[str, int]


class PointsJSON(PointsSummaryJSON):
    leaderboard: dict


def contest_is_open(contest: Contest, now: dt.datetime) -> bool:
    return contest.starts_at <= now < contest.ends_at


def contest_json(contest: Contest, *, now: dt.datetime) -> ContestJSON:
    """A contest of `contests_visible` (annotated with its question count)."""
    return {
        "id": contest.pk,
        "title": contest.title,
        "description": contest.description,
        "mode": contest.mode,
        "starts_at": contest.starts_at,
        "ends_at": contest.ends_at,
        "seconds_per_question": contest.seconds_per_question,
        "question_count": contest.question_count,
        "is_open": contest_is_open(contest, now),
    }


def question_public(q: Question) -> dict:
    """The question without its answer; ``*_html`` texts are safe to show unescaped."""
    return {
        "id": q.pk,
        "type": q.type,
        "text_format": q.text_format,
        "stem": q.stem,
        "stem_html": question_text_html(q.stem, q.text_format),
        "options": [
            {
                "key": o["key"],
                "text": o["text"],
                "html": question_text_html(o["text"], q.text_format),
            }
            for o in q.options
        ],
    }


def question_revealed(q: Question) -> dict:
    """The question just answered, with its right answer and explanation: sent only in
    the reply to that question's answer (never with the question itself), so a member
    who missed it learns the answer without anyone learning it in advance."""
    return {
        **question_public(q),
        "answer": q.answer,
        "explanation": q.explanation,
        "explanation_html": question_text_html(q.explanation, q.text_format),
    }


def entry_state(entry: ContestEntry, contest: Contest) -> ContestStateJSON:
    data: ContestStateJSON = {
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
