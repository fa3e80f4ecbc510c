"""The JSON shapes of pairing assistance (API)."""

from __future__ import annotations

from typing import TypedDict


class AssistanceCaseJSON(TypedDict):
    id: int
    unit: dict
    member: dict
    category: str
    category_label: str
    situation: str
    plan: str
    status: str
    status_label: str
    opened_on: str
    closed_on: str | None
    closing_summary: str
    helper_count: int


class AssistanceHelperJSON(TypedDict):
    id: int
    helper: dict
    paired_on: str
    note: str


class AssistanceVisitJSON(TypedDict):
    id: int
    kind: str
    kind_label: str
    visited_on: str
    amount_fen: int
    notes: str
    helper: dict | None


class AssistanceCaseDetailJSON(AssistanceCaseJSON):
    helpers: list[AssistanceHelperJSON]
    visits: list[AssistanceVisitJSON]


def _member(m) -> dict:
    return {"id": m.pk, "name": m.name}


def case_as_dict(c) -> AssistanceCaseJSON:
    return {
        "id": c.pk,
        "unit": {"id": c.unit_id, "name": c.unit.name},
        "member": _member(c.member),
        "category": c.category,
        "category_label": c.get_category_display(),
        "situation": c.situation,
        "plan": c.plan,
        "status": c.status,
        "status_label": c.get_status_display(),
        "opened_on": c.opened_on.isoformat(),
        "closed_on": c.closed_on.isoformat() if c.closed_on else None,
        "closing_summary": c.closing_summary,
        "helper_count": getattr(c, "helper_count", 0),
    }


def helper_as_dict(h) -> AssistanceHelperJSON:
    return {
        "id": h.pk,
        "helper": _member(h.helper),
        "paired_on": h.paired_on.isoformat(),
        "note": h.note,
    }


def visit_as_dict(v) -> AssistanceVisitJSON:
    return {
        "id": v.pk,
        "kind": v.kind,
        "kind_label": v.get_kind_display(),
        "visited_on": v.visited_on.isoformat(),
        "amount_fen": v.amount_fen,
        "notes": v.notes,
        "helper": _member(v.helper) if v.helper_id else None,
    }
