"""JSON shapes of questions and FAQ entries (API and portal)."""

from __future__ import annotations

from typing import TypedDict

from interaction.qa.models import FaqEntry, Question


class UnitRefJSON(TypedDict):
    id: int
    name: str


class QuestionJSON(TypedDict):
    id: int
    title: str
    body: str
    anonymous: bool
    asker: str
    asker_unit: str
    addressed_unit: UnitRefJSON
    unit: UnitRefJSON
    status: str
    due_at: str
    escalations: int
    answer: str
    answered_unit: str | None
    answered_at: str | None
    created_at: str
    updated_at: str
    faq_id: int | None


def _iso(v):
    return v.isoformat() if v else None


def question_json(q: Question, *, faq_id: int | None = None) -> QuestionJSON:
    """For the asker and the answering units: the asker's name is always shown to them
    (anonymity is towards other members only)."""
    return {
        "id": q.pk,
        "title": q.title,
        "body": q.body,
        "anonymous": q.anonymous,
        "asker": q.asker.name,
        "asker_unit": q.asker.unit.name,
        "addressed_unit": {"id": q.addressed_unit_id, "name": q.addressed_unit.name},
        "unit": {"id": q.unit_id, "name": q.unit.name},
        "status": q.status,
        "due_at": _iso(q.due_at),
        "escalations": q.escalations,
        "answer": q.answer,
        "answered_unit": q.answered_unit.name if q.answered_unit_id else None,
        "answered_at": _iso(q.answered_at),
        "created_at": _iso(q.created_at),
        "updated_at": _iso(q.updated_at),
        "faq_id": faq_id,
    }


class FaqJSON(TypedDict):
    id: int
    question: str
    answer: str
    asker: str
    unit: str
    created_at: str
    updated_at: str


def faq_json(f: FaqEntry) -> FaqJSON:
    return {
        "id": f.pk,
        "question": f.question_text,
        "answer": f.answer_text,
        "asker": f.asker_display,
        "unit": f.unit.name,
        "created_at": _iso(f.created_at),
        "updated_at": _iso(f.updated_at),
    }
