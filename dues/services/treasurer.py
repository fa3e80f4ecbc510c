"""The treasurer's corrections: refunds of paid orders and adjustments, both as new
ledger entries (never edits), each with its reason and who approved it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dues.errors import DuesError
from dues.gateways.base import (
    GatewayError,
    RefundRequest,
)
from dues.gateways.registry import gateway
from dues.ledger import LedgerEntry
from dues.orders import PaymentOrder, Refund
from dues.selectors import (
    access_member_for_dues,
    access_order_by_id,
)
from dues.services.common import (
    Kind,
    lock_member,
    month_start,
    new_trade_no,
)


def refund_create(*, user, order_id: int, amount_fen: int, reason: str) -> Refund:
    """A treasurer refunds (part of) a paid order in their subtree, with a reason. The
    refund's ledger entries reopen the months it gives back (newest first; a voluntary
    extra is given back before any month)."""
    reason = (reason or "").strip()
    if not reason:
        raise DuesError("请填写退款原因", code="reason_required")
    if amount_fen <= 0:
        raise DuesError("退款金额必须大于 0", code="bad_amount")
    order = access_order_by_id(user, order_id, action="refund")
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if order.status != PaymentOrder.Status.PAID:
            raise DuesError("只能对已支付的订单退款", code="not_paid", status=409)
        if amount_fen > order.amount_fen - order.refunded_fen:
            left = order.amount_fen - order.refunded_fen
            raise DuesError(
                f"退款金额超过可退金额 {left / 100:.2f} 元", code="refund_too_much", status=409
            )
        order.refunded_fen += amount_fen
        order.save(update_fields=["refunded_fen"])
        refund = Refund.objects.create(
            order=order,
            out_refund_no=new_trade_no("R"),
            amount_fen=amount_fen,
            reason=reason,
            requested_by=user,
        )
    gw = gateway(order.provider, require_enabled=False)
    try:
        provider_id = gw.refund(
            RefundRequest(
                order.out_trade_no,
                order.provider_txn_id,
                refund.out_refund_no,
                amount_fen,
                order.amount_fen,
                reason,
            )
        )
    except GatewayError:
        with transaction.atomic():
            PaymentOrder.objects.filter(pk=order.pk).update(
                refunded_fen=order.refunded_fen - amount_fen
            )
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
        raise
    with transaction.atomic():
        member = lock_member(order.member_id)
        _refund_entries(order, member, refund, amount_fen)
        Refund.objects.filter(pk=refund.pk).update(
            status=Refund.Status.DONE, provider_refund_id=provider_id[:64]
        )
    refund.refresh_from_db()
    return refund


def _refund_entries(order, member, refund, amount_fen: int) -> None:
    entries = list(LedgerEntry.objects.filter(order=order).order_by("-month", "-id"))
    voluntary_left = sum(e.amount_fen for e in entries if e.kind == Kind.VOLUNTARY)
    paid_by_month: dict[tuple, int] = {}
    for e in entries:
        if e.kind in (Kind.PAYMENT, Kind.REFUND):
            paid_by_month[(e.month, e.unit_id)] = (
                paid_by_month.get((e.month, e.unit_id), 0) - e.amount_fen
            )
    new = []
    remaining = amount_fen
    reason = f"退款 {refund.out_refund_no}：{refund.reason}"[:300]
    if voluntary_left > 0:
        take = min(voluntary_left, remaining)
        month = next(e.month for e in entries if e.kind == Kind.VOLUNTARY)
        unit_id = next(e.unit_id for e in entries if e.kind == Kind.VOLUNTARY)
        new += [
            LedgerEntry(
                member=member,
                unit_id=unit_id,
                month=month,
                kind=Kind.VOLUNTARY,
                amount_fen=-take,
                order=order,
                reason=reason,
            ),
            LedgerEntry(
                member=member,
                unit_id=unit_id,
                month=month,
                kind=Kind.REFUND,
                amount_fen=take,
                order=order,
                reason=reason,
            ),
        ]
        remaining -= take
        paid_by_month[(month, unit_id)] = paid_by_month.get((month, unit_id), 0) - take
    for (month, unit_id), paid in sorted(paid_by_month.items(), reverse=True):
        if remaining <= 0:
            break
        take = min(paid, remaining)
        if take <= 0:
            continue
        new.append(
            LedgerEntry(
                member=member,
                unit_id=unit_id,
                month=month,
                kind=Kind.REFUND,
                amount_fen=take,
                order=order,
                reason=reason,
            )
        )
        remaining -= take
    LedgerEntry.objects.bulk_create(new)


def adjustment_create(
    *, user, member_id: int, month: dt.date, amount_fen: int, reason: str
) -> LedgerEntry:
    """A correction as a new entry (never an edit): + owes more, − owes less; the
    treasurer approving it is recorded with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DuesError("请填写调整原因", code="reason_required")
    if amount_fen == 0:
        raise DuesError("调整金额不能为 0", code="bad_amount")
    member = access_member_for_dues(user, member_id)
    month = month_start(month)
    with transaction.atomic():
        member = lock_member(member.pk)
        unit_id = (
            LedgerEntry.objects.filter(member=member, month=month, kind=Kind.OBLIGATION)
            .values_list("unit_id", flat=True)
            .first()
            or member.unit_id
        )
        return LedgerEntry.objects.create(
            member=member,
            unit_id=unit_id,
            month=month,
            kind=Kind.ADJUSTMENT,
            amount_fen=amount_fen,
            reason=reason[:300],
            approved_by=user,
        )
