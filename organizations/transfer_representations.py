"""The one JSON shape of a transfer (API and portal)."""

from __future__ import annotations

from typing import TypedDict


class TransferSideJSON(TypedDict):
    unit_id: int | None
    name: str


class TransferJSON(TypedDict):
    id: int
    member: dict
    direction: str
    direction_label: str
    status: str
    status_label: str
    from_side: TransferSideJSON
    to_side: TransferSideJSON
    external_name: str
    reason: str
    decision_note: str
    letter_no: str
    started_at: str | None
    expires_at: str | None
    decided_at: str | None
    transferred_at: str | None


def _iso(value):
    return value.isoformat() if value is not None else None


def transfer_as_dict(t) -> TransferJSON:
    """`t`: a Transfer loaded with member, from_unit and to_unit."""
    return {
        "id": t.pk,
        "member": {"id": t.member_id, "name": t.member.name, "member_no": t.member.member_no},
        "direction": t.direction,
        "direction_label": t.get_direction_display(),
        "status": t.status,
        "status_label": t.get_status_display(),
        "from_side": {"unit_id": t.from_unit_id, "name": t.from_side},
        "to_side": {"unit_id": t.to_unit_id, "name": t.to_side},
        "external_name": t.external_name,
        "reason": t.reason,
        "decision_note": t.decision_note,
        "letter_no": t.letter_no,
        "started_at": _iso(t.started_at),
        "expires_at": _iso(t.expires_at),
        "decided_at": _iso(t.decided_at),
        "transferred_at": _iso(t.transferred_at),
    }
