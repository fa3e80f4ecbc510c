"""The contract every gateway passes — WeChat Pay (wechatpayv3 against a local fake of
the v3 API), Alipay (python-alipay-sdk against a local fake gateway) and the sandbox:
the same tests, parametrised. Notifications are signed on the provider's side with keys
generated in the test; our side verifies them with the provider's real algorithm."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import ObjectNotFound
from dues import services
from dues.errors import DuesError
from dues.ledger import LedgerEntry
from dues.orders import CallbackLog, PaymentOrder
from dues.selectors import member_statement
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def open_order(client, side, **body):
    r = client.post("/api/v1/dues/orders/", {"provider": side.name, **body}, format="json")
    assert r.status_code == 201, r.content
    payload = r.json()["payload"]
    assert side.payload_keys <= set(payload), payload
    side.accept(payload)
    return PaymentOrder.objects.get(pk=r.json()["order"]["id"])


def notify(client, side, headers, body):
    extra = {
        "HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k != "Content-Type"
    }
    ctype = headers.get("Content-Type", "application/json")
    return client.post(
        f"/api/v1/dues/callbacks/{side.name}/", data=body, content_type=ctype, **extra
    )


def paid_fen(member) -> int:
    return -sum(
        LedgerEntry.objects.filter(member=member, kind="payment").values_list(
            "amount_fen", flat=True
        )
    )


def test_order_registers_a_trade_the_provider_reports_unpaid(side, payer, client_for):
    order = open_order(client_for(payer.user), side)
    from dues.gateways.registry import gateway

    state = gateway(side.name).query(order.out_trade_no)
    assert state is not None and state.paid is False and state.amount_fen == 29250


def test_signed_notification_credits_once(side, payer, client_for, client):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    first = notify(client, side, *side.notification(order.out_trade_no))
    assert side.ack_ok(first), first.content
    again = notify(client, side, *side.notification(order.out_trade_no))  # the provider repeats
    assert side.ack_ok(again)
    order.refresh_from_db()
    assert order.status == "paid" and order.provider_txn_id
    assert paid_fen(payer) == 29250
    assert member_statement(payer).balance_fen == 0
    outcomes = sorted(CallbackLog.objects.values_list("outcome", flat=True))
    assert outcomes == ["credited", "repeated"]


def test_forged_notification_is_rejected_logged_and_credits_nothing(
    side, payer, client_for, client
):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    r = notify(client, side, *side.forged(order.out_trade_no))
    assert not side.ack_ok(r)
    assert paid_fen(payer) == 0
    assert PaymentOrder.objects.get(pk=order.pk).status == "open"
    log = CallbackLog.objects.get()
    assert log.outcome == "rejected" and "签名" in log.detail


def test_tampered_notification_is_rejected(side, payer, client_for, client):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    headers, body = side.notification(order.out_trade_no)
    r = notify(client, side, headers, side.tamper(body))
    assert not side.ack_ok(r)
    assert paid_fen(payer) == 0
    assert CallbackLog.objects.get().outcome == "rejected"


def test_amount_not_matching_the_order_is_rejected(side, payer, client_for, client):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    r = notify(client, side, *side.notification(order.out_trade_no, amount_fen=100))
    assert not side.ack_ok(r)
    assert paid_fen(payer) == 0
    log = CallbackLog.objects.get()
    assert log.outcome == "rejected" and "金额不符" in log.detail


def test_a_lost_notification_is_credited_when_the_order_expires(side, payer, client_for):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)  # paid, but the notification never arrives
    done = services.orders_expire(now=timezone.now() + dt.timedelta(hours=1))
    assert done == {"expired": 0, "credited": 1}
    assert PaymentOrder.objects.get(pk=order.pk).status == "paid"
    assert paid_fen(payer) == 29250


def test_unpaid_order_expires_closes_at_the_provider_and_frees_its_months(side, payer, client_for):
    client = client_for(payer.user)
    order = open_order(client, side)
    done = services.orders_expire(now=timezone.now() + dt.timedelta(hours=1))
    assert done == {"expired": 1, "credited": 0}
    assert PaymentOrder.objects.get(pk=order.pk).status == "expired"
    assert side.state(order.out_trade_no) == "CLOSED"
    open_order(client, side)  # the same months may be ordered again


def test_treasurer_refunds_with_a_reason_and_the_month_reopens(
    side, payer, client_for, client, org
):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    notify(client, side, *side.notification(order.out_trade_no))
    treasurer = user_with_role(org.a, "treasurer")
    with pytest.raises(DuesError, match="原因"):
        services.refund_create(user=treasurer, order_id=order.pk, amount_fen=9750, reason=" ")
    with pytest.raises(DuesError, match="超过"):
        services.refund_create(user=treasurer, order_id=order.pk, amount_fen=30000, reason="多缴")
    outsider = user_with_role(org.b, "treasurer")
    with pytest.raises(ObjectNotFound):
        services.refund_create(user=outsider, order_id=order.pk, amount_fen=9750, reason="多缴")
    refund = services.refund_create(
        user=treasurer, order_id=order.pk, amount_fen=9750, reason="重复缴纳"
    )
    assert refund.status == "done" and side.refunded(order.out_trade_no) == 9750
    st = member_statement(payer)
    assert [(m.isoformat(), owed) for m, owed, _ in st.arrears] == [("2026-12-01", 9750)]
    assert st.balance_fen == 9750


def test_reconciliation_completes_a_confirmed_payment_missing_from_the_ledger(
    side, payer, org, client_for, client
):
    from tests.dues.conftest import give_base
    from tests.factories import member_in

    other = member_in(org.a1)
    give_base(other, year=2026)
    services.obligations_generate(month=dt.date(2026, 12, 1))
    first = open_order(client_for(payer.user), side)
    side.pay_silently(first.out_trade_no)
    notify(client, side, *side.notification(first.out_trade_no))
    second = open_order(client_for(other.user), side)
    side.pay_silently(second.out_trade_no)  # confirmed by the provider, never credited here
    run = services.reconcile(provider=side.name, day=timezone.localdate())
    assert run.bill_rows >= 2
    assert run.completed == 1
    assert [m["out_trade_no"] for m in run.mismatches if m["problem"] == "completed"] == [
        second.out_trade_no
    ]
    assert PaymentOrder.objects.get(pk=second.pk).status == "paid"
    assert paid_fen(other) == 9750
    again = services.reconcile(provider=side.name, day=timezone.localdate())
    assert again.completed == 0  # idempotent
