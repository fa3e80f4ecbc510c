"""Dues writes: obligations, orders, provider notifications, refunds, adjustments and
reconciliation. Every write that touches a member's ledger locks the member row first
(`common.lock_member`), so two confirmations (or a confirmation and a refund) of one member
never interleave.

One module per line of work — `obligations`, `payments` (orders, notifications, expiry),
`treasurer` (refunds, adjustments), `reconciliation` — over `common`; callers import the
functions from here."""

from dues.services.common import current_month, month_start, parse_month, setup_ensure
from dues.services.obligations import obligations_generate
from dues.services.payments import (
    OrderResult,
    order_create,
    orders_expire,
    payment_callback,
    payment_confirm,
)
from dues.services.reconciliation import ReconcileResult, reconcile
from dues.services.treasurer import adjustment_create, refund_create

__all__ = [
    "OrderResult",
    "ReconcileResult",
    "adjustment_create",
    "current_month",
    "month_start",
    "obligations_generate",
    "order_create",
    "orders_expire",
    "parse_month",
    "payment_callback",
    "payment_confirm",
    "reconcile",
    "refund_create",
    "setup_ensure",
]
