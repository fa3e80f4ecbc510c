"""The daily reconciliation against the provider's statement (bill)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from dues.gateways.base import (
    Notification,
)
from dues.gateways.registry import gateway
from dues.orders import PaymentOrder, Reconciliation
from dues.services.payments import payment_confirm


@dataclass
class ReconcileResult:
    provider: str
    day: dt.date
    bill_rows: int = 0
    completed: list[str] = field(default_factory=list)
    mismatches: list[dict] = field(default_factory=list)


def reconcile(*, provider: str, day: dt.date) -> Reconciliation:
    """Compare the provider's statement for `day` with our orders: a payment on the bill
    whose order is not paid here is credited (its ledger write had failed); anything else
    that differs is listed (unknown order, amount, paid here but not on the bill)."""
    gw = gateway(provider, require_enabled=False)
    rows = gw.bill(day)
    result = ReconcileResult(provider, day, bill_rows=len(rows))
    payments = {r.out_trade_no: r for r in rows if r.kind == "payment"}
    orders = {
        o.out_trade_no: o
        for o in PaymentOrder.objects.filter(provider=provider, out_trade_no__in=list(payments))
    }
    for no, row in sorted(payments.items()):
        order = orders.get(no)
        if order is None:
            result.mismatches.append(
                {
                    "out_trade_no": no,
                    "problem": "unknown_order",
                    "detail": "账单有此交易，本系统无此订单",
                }
            )
            continue
        if row.amount_fen != order.amount_fen:
            result.mismatches.append(
                {
                    "out_trade_no": no,
                    "problem": "amount_mismatch",
                    "detail": f"账单 {row.amount_fen} 分，订单 {order.amount_fen} 分",
                }
            )
            continue
        if order.status != PaymentOrder.Status.PAID:
            outcome = payment_confirm(
                provider=provider, note=Notification(no, row.txn_id, row.amount_fen, True)
            )
            if outcome == "credited":
                result.completed.append(no)
                result.mismatches.append(
                    {"out_trade_no": no, "problem": "completed", "detail": "已支付未入账，已补记"}
                )
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    ours = PaymentOrder.objects.filter(
        provider=provider,
        status=PaymentOrder.Status.PAID,
        paid_at__gte=start,
        paid_at__lt=start + dt.timedelta(days=1),
    ).exclude(out_trade_no__in=list(payments))
    for order in ours:
        result.mismatches.append(
            {
                "out_trade_no": order.out_trade_no,
                "problem": "missing_in_bill",
                "detail": "本系统已入账，账单无此交易",
            }
        )
    return Reconciliation.objects.create(
        provider=provider,
        day=day,
        bill_rows=result.bill_rows,
        completed=len(result.completed),
        mismatches=result.mismatches,
    )
