"""Orders, provider notifications and expiry: a payment is credited exactly once, in the
same transaction that marks its order paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from dues.errors import AmountMismatch, DuesError
from dues.gateways.base import (
    CallbackRejected,
    GatewayError,
    Notification,
    OrderRequest,
)
from dues.gateways.registry import gateway
from dues.ledger import LedgerEntry
from dues.orders import CallbackLog, OrderMonth, PaymentOrder
from dues.selectors import (
    member_statement,
)
from dues.services.common import (
    Kind,
    lock_member,
    log,
    month_start,
    new_trade_no,
)
from organizations.models import Member


def _notify_url(provider: str) -> str:
    return f"{settings.DUES_CALLBACK_BASE_URL.rstrip('/')}/api/v1/dues/callbacks/{provider}/"


def _release_months(order_ids) -> None:
    OrderMonth.objects.filter(order_id__in=order_ids, open=True).update(open=False)


@dataclass
class OrderResult:
    order: PaymentOrder
    payload: dict
    reused: bool = False


def order_create(
    *,
    member: Member,
    provider: str,
    months: list[dt.date] | None = None,
    extra_fen: int = 0,
    now: dt.datetime | None = None,
) -> OrderResult:
    """Open an order for the member's oldest open months (all of them, or the `months`
    asked for, which must be the oldest ones) plus a voluntary `extra_fen`. Refused —
    before the provider is called — when a month is already paid, nothing is due, or
    another open order covers a month (the same tap again returns that order)."""
    gw = gateway(provider)
    now = now or timezone.now()
    if extra_fen < 0:
        raise DuesError("自愿多交金额不能为负数", code="bad_extra")
    with transaction.atomic():
        member = lock_member(member.pk)
        stale = list(
            PaymentOrder.objects.filter(
                member_id=member.pk, status=PaymentOrder.Status.OPEN, expires_at__lte=now
            ).values_list("pk", flat=True)
        )
        if stale:
            PaymentOrder.objects.filter(pk__in=stale).update(status=PaymentOrder.Status.EXPIRED)
            _release_months(stale)
        st = member_statement(member)
        owed = {m: amount for m, amount, _ in st.arrears}
        oldest = sorted(owed)
        if months:
            wanted = sorted(set(months))
            for m in wanted:
                if m not in owed:
                    raise DuesError(
                        f"{m:%Y-%m} 的党费已缴清或无应缴记录，不能重复缴纳",
                        code="already_paid",
                        status=409,
                    )
            if wanted != oldest[: len(wanted)]:
                raise DuesError("请先缴纳较早月份的党费", code="oldest_first", status=409)
        else:
            wanted = oldest
        if not wanted and extra_fen <= 0:
            raise DuesError("目前没有需要缴纳的党费", code="nothing_due", status=409)
        busy = list(
            OrderMonth.objects.filter(member_id=member.pk, open=True, month__in=wanted)
            .select_related("order")
            .order_by("order_id")
        )
        if busy:
            existing = busy[0].order
            same = sorted(existing.months) == [f"{m:%Y-%m}" for m in wanted]
            if same and existing.provider == provider and existing.extra_fen == extra_fen:
                return OrderResult(existing, existing.payload, reused=True)
            raise DuesError(
                f"{busy[0].month:%Y-%m} 已有待支付的订单，请完成支付或等待其过期",
                code="order_open",
                status=409,
            )
        amount = sum(owed[m] for m in wanted) + extra_fen
        order = PaymentOrder.objects.create(
            member=member,
            unit=member.unit,
            provider=provider,
            out_trade_no=new_trade_no(),
            amount_fen=amount,
            extra_fen=extra_fen,
            months=[f"{m:%Y-%m}" for m in wanted],
            expires_at=now + dt.timedelta(minutes=settings.DUES_ORDER_TTL_MINUTES),
        )
        OrderMonth.objects.bulk_create(
            [OrderMonth(order=order, member=member, month=m) for m in wanted]
        )
    months_text = "、".join(order.months) or "自愿多交"
    try:
        payload = gw.create(
            OrderRequest(
                out_trade_no=order.out_trade_no,
                amount_fen=order.amount_fen,
                description=f"党费 {months_text}"[:120],
                expires_at=order.expires_at,
                notify_url=_notify_url(provider),
            )
        )
    except GatewayError:
        with transaction.atomic():
            PaymentOrder.objects.filter(pk=order.pk).update(status=PaymentOrder.Status.CLOSED)
            _release_months([order.pk])
        raise
    PaymentOrder.objects.filter(pk=order.pk).update(payload=payload)
    order.payload = payload
    return OrderResult(order, payload)


def _credit(order: PaymentOrder, member: Member, now: dt.datetime) -> list[LedgerEntry]:
    """Ledger entries for a confirmed payment: the oldest open months first, then the
    voluntary extra, then any rest as a credit (months paid meanwhile by another order)."""
    st = member_statement(member)
    remaining = order.amount_fen - order.extra_fen
    this_month = month_start(timezone.localdate(now))
    entries = []
    for month, owed, unit_id in st.arrears:
        if remaining <= 0:
            break
        take = min(owed, remaining)
        entries.append(
            LedgerEntry(
                member=member,
                unit_id=unit_id,
                month=month,
                kind=Kind.PAYMENT,
                amount_fen=-take,
                order=order,
            )
        )
        remaining -= take
    if order.extra_fen:
        for kind, amount in ((Kind.VOLUNTARY, order.extra_fen), (Kind.PAYMENT, -order.extra_fen)):
            entries.append(
                LedgerEntry(
                    member=member,
                    unit_id=member.unit_id,
                    month=this_month,
                    kind=kind,
                    amount_fen=amount,
                    order=order,
                    reason="自愿多交",
                )
            )
    if remaining > 0:
        entries.append(
            LedgerEntry(
                member=member,
                unit_id=member.unit_id,
                month=this_month,
                kind=Kind.PAYMENT,
                amount_fen=-remaining,
                order=order,
                reason="多缴金额，可抵扣或退款",
            )
        )
    return LedgerEntry.objects.bulk_create(entries)


def payment_confirm(*, provider: str, note: Notification, now: dt.datetime | None = None) -> str:
    """Credit a verified notification exactly once: "credited", "repeated" or "unpaid".
    The order row is locked and moved to paid with a conditional UPDATE in the same
    transaction as the ledger entries: if that transaction fails nothing is written, the
    order stays unpaid, and the provider's next notification (or the reconciliation)
    credits it."""
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            PaymentOrder.objects.select_for_update()
            .filter(out_trade_no=note.out_trade_no, provider=provider)
            .first()
        )
        if order is None:
            raise CallbackRejected(f"没有这笔订单：{note.out_trade_no}")
        if not note.paid:
            return "unpaid"
        if note.amount_fen != order.amount_fen:
            raise AmountMismatch(f"金额不符：订单 {order.amount_fen} 分，通知 {note.amount_fen} 分")
        if order.status == PaymentOrder.Status.PAID:
            return "repeated"
        updated = (
            PaymentOrder.objects.filter(pk=order.pk)
            .exclude(status=PaymentOrder.Status.PAID)
            .update(status=PaymentOrder.Status.PAID, paid_at=now, provider_txn_id=note.txn_id)
        )
        if not updated:
            return "repeated"
        member = lock_member(order.member_id)
        _credit(order, member, now)
        _release_months([order.pk])
    return "credited"


def _log_callback(provider: str, out_trade_no: str, outcome: str, detail: str, remote: str) -> None:
    try:
        CallbackLog.objects.create(
            provider=provider,
            out_trade_no=out_trade_no[:64],
            outcome=outcome,
            detail=detail[:300],
            remote_addr=remote[:64],
        )
    except DatabaseError:  # the database is what failed: the log line still says it
        log.exception("dues callback log not written")


def payment_callback(
    *, provider: str, headers: Mapping[str, str], body: bytes, remote_addr: str = ""
) -> tuple[int, str, bytes]:
    """A provider's notification, verified and credited: (status, content type, body) to
    answer. A forged or mismatching one is rejected and logged; a database failure
    answers 500 so the provider repeats it."""
    gw = gateway(provider, require_enabled=False)
    try:
        note = gw.parse_callback(headers=headers, body=body)
    except CallbackRejected as exc:
        log.warning("dues %s callback rejected from %s: %s", provider, remote_addr, exc.message)
        _log_callback(provider, "", CallbackLog.Outcome.REJECTED, exc.message, remote_addr)
        return gw.ack(False)
    try:
        outcome = payment_confirm(provider=provider, note=note)
    except (CallbackRejected, AmountMismatch) as exc:
        log.warning("dues %s callback %s rejected: %s", provider, note.out_trade_no, exc.message)
        _log_callback(
            provider, note.out_trade_no, CallbackLog.Outcome.REJECTED, exc.message, remote_addr
        )
        return gw.ack(False)
    except DatabaseError as exc:
        log.exception("dues %s callback %s: ledger write failed", provider, note.out_trade_no)
        _log_callback(
            provider, note.out_trade_no, CallbackLog.Outcome.FAILED, str(exc), remote_addr
        )
        return 500, "application/json", b'{"code":"FAIL","message":"retry"}'
    result = {
        "credited": CallbackLog.Outcome.CREDITED,
        "repeated": CallbackLog.Outcome.REPEATED,
    }.get(outcome, CallbackLog.Outcome.REPEATED)
    _log_callback(provider, note.out_trade_no, result, outcome, remote_addr)
    return gw.ack(True)


def orders_expire(*, now: dt.datetime | None = None) -> dict:
    """Open orders past their deadline: asked of the provider first (a payment whose
    notification never arrived is credited, never lost), then closed there and expired
    here, their months free for a new order."""
    now = now or timezone.now()
    done = {"expired": 0, "credited": 0}
    for order in PaymentOrder.objects.filter(status=PaymentOrder.Status.OPEN, expires_at__lte=now):
        gw = gateway(order.provider, require_enabled=False)
        try:
            state = gw.query(order.out_trade_no)
        except GatewayError:
            log.warning("dues: query of %s failed; retried next run", order.out_trade_no)
            continue
        if state is not None and state.paid:
            if (
                payment_confirm(
                    provider=order.provider,
                    note=Notification(state.out_trade_no, state.txn_id, state.amount_fen, True),
                )
                == "credited"
            ):
                done["credited"] += 1
            continue
        try:
            gw.close(order.out_trade_no)
        except GatewayError:
            log.warning("dues: close of %s failed", order.out_trade_no)
        with transaction.atomic():
            n = PaymentOrder.objects.filter(pk=order.pk, status=PaymentOrder.Status.OPEN).update(
                status=PaymentOrder.Status.EXPIRED
            )
            _release_months([order.pk])
        done["expired"] += n
    return done
