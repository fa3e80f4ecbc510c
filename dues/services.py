"""Dues writes: obligations, orders, provider notifications, refunds, adjustments and
reconciliation. Every write that touches a member's ledger locks the member row first,
so two confirmations (or a confirmation and a refund) of one member never interleave.

Length: ~630 lines across obligations, orders/callbacks, refunds/adjustments and
reconciliation; they share the member-row lock and the ledger-entry writers, which is why
they are one module today. The split along those four lines is the next step."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from dues.errors import AmountMismatch, DuesError
from dues.gateways.base import (
    CallbackRejected,
    GatewayError,
    Notification,
    OrderRequest,
    RefundRequest,
)
from dues.gateways.registry import gateway
from dues.ledger import LedgerEntry
from dues.orders import CallbackLog, OrderMonth, PaymentOrder, Reconciliation, Refund
from dues.selectors import (
    access_member_for_dues,
    access_order_by_id,
    member_statement,
)
from organizations.models import Member

log = logging.getLogger("dues")
Kind = LedgerEntry.Kind


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def current_month() -> dt.date:
    return month_start(timezone.localdate())


def parse_month(text: str) -> dt.date:
    """'2026-11' → date(2026, 11, 1); DuesError naming the value otherwise."""
    try:
        year, month = str(text).split("-")
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise DuesError(f"月份格式应为 YYYY-MM：{text!r}", code="bad_month") from None


def setup_ensure(stdout=None) -> dict:
    """The regulation's default rates when the table is empty (ehome_setup step; the
    migration seeds them too, a test database flush does not keep them)."""
    from dues.rules import DEFAULT_RATES, DuesRate

    created = 0
    if not DuesRate.objects.exists():
        created = len(
            DuesRate.objects.bulk_create(
                DuesRate(category=c, lower_fen=lo, upper_fen=up, rate_bp=bp, fixed_fen=fx)
                for c, lo, up, bp, fx in DEFAULT_RATES
            )
        )
    return {"dues_rates_created": created}


# --- obligations -------------------------------------------------------------------------
OBLIGATIONS_SQL = """
    INSERT INTO dues_ledgerentry
        (member_id, unit_id, month, kind, amount_fen, reason, created_at, order_id, approved_by_id)
    SELECT m.id,
           COALESCE((SELECT t.from_unit_id FROM organizations_transfer t
                     WHERE t.member_id = m.id AND t.transferred_at >= %(start)s
                     ORDER BY t.transferred_at LIMIT 1), m.unit_id),
           %(month)s, 'obligation',
           r.fixed_fen + (b.base_fen * r.rate_bp + 5000) / 10000,
           '', %(now)s, NULL, NULL
    FROM organizations_member m
    JOIN dues_duesbase b ON b.member_id = m.id AND b.year = (
        SELECT MAX(b2.year) FROM dues_duesbase b2
        WHERE b2.member_id = m.id AND b2.year <= %(year)s)
    JOIN dues_duesrate r ON r.category = b.category AND b.base_fen > r.lower_fen
         AND (r.upper_fen IS NULL OR b.base_fen <= r.upper_fen)
    WHERE m.status = 'active'
      AND (m.join_date IS NULL OR m.join_date <= %(end)s)
      AND r.fixed_fen + (b.base_fen * r.rate_bp + 5000) / 10000 > 0
      AND NOT EXISTS (SELECT 1 FROM dues_ledgerentry e
                      WHERE e.member_id = m.id AND e.month = %(month)s AND e.kind = 'obligation')
"""


def obligations_generate(*, month: dt.date) -> int:
    """Every active member's obligation for `month` (one INSERT … SELECT; idempotent: a
    member who already has the month's obligation is skipped, and a unique index backs
    it). Probationary members owe from the month of their admission (join_date); the
    month is owed to the unit the member belonged to on its first day (a member
    transferred mid-month owes that month to the old unit, the next to the new one).
    Members without any base (or in the 经批准免交 category) owe nothing. Returns the
    number of obligations created."""
    month = month_start(month)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    start = dt.datetime.combine(month, dt.time(), tzinfo=timezone.get_default_timezone())
    params = {
        "start": start,
        "month": month,
        "year": month.year,
        "end": last,
        "now": timezone.now(),
    }
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(OBLIGATIONS_SQL, params)
        return max(cur.rowcount, 0)


# --- orders ------------------------------------------------------------------------------
def _new_trade_no(prefix: str = "D") -> str:
    return f"{prefix}{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def _notify_url(provider: str) -> str:
    return f"{settings.DUES_CALLBACK_BASE_URL.rstrip('/')}/api/v1/dues/callbacks/{provider}/"


def _lock_member(member_id: int) -> Member:
    return Member.objects.select_for_update().select_related("unit").get(pk=member_id)


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
        member = _lock_member(member.pk)
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
            out_trade_no=_new_trade_no(),
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
        member = _lock_member(order.member_id)
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


# --- treasurer actions ---------------------------------------------------------------------
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
            out_refund_no=_new_trade_no("R"),
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
        member = _lock_member(order.member_id)
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
        member = _lock_member(member.pk)
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


# --- reconciliation ------------------------------------------------------------------------
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
