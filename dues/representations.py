"""The JSON shapes the API and the portal share."""

from __future__ import annotations

from typing import TypedDict

from dues.amounts import fen_to_yuan
from dues.ledger import LedgerEntry
from dues.orders import PaymentOrder
from dues.selectors import Statement


class ArrearsJSON(TypedDict):
    month: str
    amount_fen: int
    amount: str


class EntryJSON(TypedDict):
    id: int
    month: str
    kind: str
    kind_label: str
    amount_fen: int
    amount: str
    reason: str
    order_id: int | None
    created_at: str


class OrderJSON(TypedDict):
    id: int
    out_trade_no: str
    provider: str
    status: str
    amount_fen: int
    amount: str
    extra_fen: int
    months: list[str]
    expires_at: str
    paid_at: str | None
    refunded_fen: int


def entry_as_dict(e: LedgerEntry) -> EntryJSON:
    return {
        "id": e.pk,
        "month": f"{e.month:%Y-%m}",
        "kind": e.kind,
        "kind_label": str(e.get_kind_display()),
        "amount_fen": e.amount_fen,
        "amount": fen_to_yuan(e.amount_fen),
        "reason": e.reason,
        "order_id": e.order_id,
        "created_at": e.created_at.isoformat(),
    }


def order_as_dict(o: PaymentOrder) -> OrderJSON:
    return {
        "id": o.pk,
        "out_trade_no": o.out_trade_no,
        "provider": o.provider,
        "status": o.status,
        "amount_fen": o.amount_fen,
        "amount": fen_to_yuan(o.amount_fen),
        "extra_fen": o.extra_fen,
        "months": list(o.months),
        "expires_at": o.expires_at.isoformat(),
        "paid_at": o.paid_at.isoformat() if o.paid_at else None,
        "refunded_fen": o.refunded_fen,
    }


def statement_as_dict(st: Statement) -> dict:
    return {
        "balance_fen": st.balance_fen,
        "balance": fen_to_yuan(st.balance_fen),
        "arrears_fen": st.arrears_fen,
        "arrears": [
            {"month": f"{m:%Y-%m}", "amount_fen": owed, "amount": fen_to_yuan(owed)}
            for m, owed, _ in st.arrears
        ],
    }
