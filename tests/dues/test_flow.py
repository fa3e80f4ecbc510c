"""The member's whole flow through the API with the embedded sandbox provider: see what
is owed, pay, the sandbox's signed asynchronous notification credits it, history and a
PDF receipt."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile

import pytest

from dues.ledger import LedgerEntry
from dues.orders import CallbackLog, PaymentOrder

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_pays_all_arrears_with_the_sandbox(payer, client_for):
    client = client_for(payer.user)
    me = client.get("/api/v1/dues/me/").json()
    assert me["arrears_fen"] == 3 * 9750
    assert [a["month"] for a in me["arrears"]] == ["2026-10", "2026-11", "2026-12"]
    assert "sandbox" in me["providers"]

    r = client.post("/api/v1/dues/orders/", {"provider": "sandbox"}, format="json")
    assert r.status_code == 201, r.content
    order = r.json()["order"]
    assert order["amount_fen"] == 29250 and order["status"] == "open"
    pay_path = r.json()["payload"]["sandbox_pay_path"]

    r = client.post(pay_path)
    assert r.status_code == 202, r.content
    assert r.json()["status"] == "paid"  # the notification task ran (immediate backend)

    me = client.get("/api/v1/dues/me/").json()
    assert me["balance_fen"] == 0 and me["arrears"] == []
    history = client.get("/api/v1/dues/history/").json()
    assert sorted(e["kind"] for e in history) == ["obligation"] * 3 + ["payment"] * 3
    receipts = client.get("/api/v1/dues/receipts/").json()
    assert [r["id"] for r in receipts] == [order["id"]]
    assert CallbackLog.objects.filter(outcome="credited").count() == 1

    pdf = client.get(f"/api/v1/dues/receipts/{order['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf.content)
        f.flush()
        text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True).stdout
    assert "党费收据" in text and "292.50" in text and "2026-10" in text and payer.name in text


def test_paying_months_already_paid_is_refused_before_the_provider(payer, client_for):
    client = client_for(payer.user)
    LedgerEntry.objects.create(
        member=payer, unit=payer.unit, month=dt.date(2026, 10, 1), kind="payment", amount_fen=-9750
    )
    r = client.post(
        "/api/v1/dues/orders/", {"provider": "sandbox", "months": ["2026-10"]}, format="json"
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_paid"
    assert "2026-10" in r.json()["error"]["message"]
    assert not PaymentOrder.objects.exists()


def test_no_two_open_orders_for_the_same_months(payer, client_for):
    client = client_for(payer.user)
    first = client.post("/api/v1/dues/orders/", {"provider": "sandbox"}, format="json")
    again = client.post("/api/v1/dues/orders/", {"provider": "sandbox"}, format="json")
    assert again.status_code == 200 and again.json()["reused"] is True
    assert again.json()["order"]["id"] == first.json()["order"]["id"]
    other = client.post(
        "/api/v1/dues/orders/", {"provider": "sandbox", "months": ["2026-10"]}, format="json"
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "order_open"
    assert PaymentOrder.objects.count() == 1


def test_nothing_due_and_bad_input_are_clear_4xx(org, client_for, payer):
    from tests.factories import member_in

    idle = member_in(org.a1)
    r = client_for(idle.user).post("/api/v1/dues/orders/", {"provider": "sandbox"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "nothing_due"
    client = client_for(payer.user)
    for body in (
        {"provider": "paypal"},
        {"provider": "sandbox", "months": ["2026/10"]},
        {"provider": "sandbox", "extra_yuan": "1.234"},
        {"provider": "sandbox", "extra_yuan": "abc"},
        {"provider": "wechat"},  # not configured here
    ):
        r = client.post("/api/v1/dues/orders/", body, format="json")
        assert r.status_code == 400, (body, r.content)
    r = client.post(
        "/api/v1/dues/orders/", {"provider": "sandbox", "months": ["2026-11"]}, format="json"
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "oldest_first"
    assert not PaymentOrder.objects.exists()


def test_voluntary_extra_is_recorded_and_balance_stays_zero(payer, client_for):
    client = client_for(payer.user)
    r = client.post(
        "/api/v1/dues/orders/", {"provider": "sandbox", "extra_yuan": "50"}, format="json"
    )
    assert r.json()["order"]["amount_fen"] == 29250 + 5000
    client.post(r.json()["payload"]["sandbox_pay_path"])
    me = client.get("/api/v1/dues/me/").json()
    assert me["balance_fen"] == 0
    kinds = LedgerEntry.objects.filter(member=payer, kind="voluntary").values_list(
        "amount_fen", flat=True
    )
    assert list(kinds) == [5000]


def test_another_members_order_and_receipt_are_404(payer, org, client_for):
    from tests.factories import member_in

    client = client_for(payer.user)
    r = client.post("/api/v1/dues/orders/", {"provider": "sandbox"}, format="json")
    client.post(r.json()["payload"]["sandbox_pay_path"])
    oid = r.json()["order"]["id"]
    other = client_for(member_in(org.a1).user)
    assert other.get(f"/api/v1/dues/orders/{oid}/").status_code == 404
    assert other.get(f"/api/v1/dues/receipts/{oid}/pdf/").status_code == 404
    assert (
        other.post(f"/api/v1/dues/sandbox/pay/{r.json()['order']['out_trade_no']}/").status_code
        == 404
    )
