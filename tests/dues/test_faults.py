"""Faults: ten identical notifications at once (real threads, each with its own
database connection) credit once; a database failure between the provider's
confirmation and our ledger write loses nothing — the next notification or the
reconciliation completes it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from dues import services
from dues.ledger import LedgerEntry
from dues.orders import CallbackLog, PaymentOrder
from dues.selectors import member_statement
from tests.dues.test_gateway_contract import notify, open_order, paid_fen

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.pg_only
def test_ten_concurrent_identical_notifications_credit_once(side, payer, client_for):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    headers, body = side.notification(order.out_trade_no)
    barrier = threading.Barrier(10)
    answers: list = []

    def deliver():
        try:
            barrier.wait()
            answers.append(notify(Client(), side, headers, body))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 10 and all(side.ack_ok(r) for r in answers)
    assert paid_fen(payer) == 29250
    assert LedgerEntry.objects.filter(order=order, kind="payment").count() == 3
    outcomes = list(CallbackLog.objects.values_list("outcome", flat=True))
    assert outcomes.count("credited") == 1 and outcomes.count("repeated") == 9


FAIL_INSERTS = {
    "postgresql": (
        """CREATE OR REPLACE FUNCTION dues_test_fail() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'disk full (test)'; END; $$ LANGUAGE plpgsql;
           CREATE TRIGGER dues_test_fail BEFORE INSERT ON dues_ledgerentry
           FOR EACH ROW EXECUTE FUNCTION dues_test_fail();""",
        "DROP TRIGGER dues_test_fail ON dues_ledgerentry; DROP FUNCTION dues_test_fail();",
    ),
    "sqlite": (
        """CREATE TRIGGER dues_test_fail BEFORE INSERT ON dues_ledgerentry
           BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;""",
        "DROP TRIGGER dues_test_fail;",
    ),
}


def _sql(statements: str) -> None:
    with connection.cursor() as cur:
        cur.execute(statements)


class LedgerWritesFail:
    """The database refuses every ledger insert (a real failure inside the transaction
    that credits the payment) until the block ends."""

    def __enter__(self):
        _sql(FAIL_INSERTS[connection.vendor][0])

    def __exit__(self, *exc):
        _sql(FAIL_INSERTS[connection.vendor][1])


def test_db_failure_after_confirmation_is_completed_by_the_next_notification(
    side, payer, client_for, client
):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    with LedgerWritesFail():
        r = notify(client, side, *side.notification(order.out_trade_no))
        assert r.status_code == 500  # the provider will repeat it
    order.refresh_from_db()
    assert order.status == "open" and paid_fen(payer) == 0  # nothing half-written
    assert CallbackLog.objects.filter(outcome="failed").count() == 1
    r = notify(client, side, *side.notification(order.out_trade_no))
    assert side.ack_ok(r)
    assert PaymentOrder.objects.get(pk=order.pk).status == "paid"
    assert paid_fen(payer) == 29250 and member_statement(payer).balance_fen == 0


def test_db_failure_after_confirmation_is_completed_by_reconciliation(
    side, payer, client_for, client
):
    order = open_order(client_for(payer.user), side)
    side.pay_silently(order.out_trade_no)
    with LedgerWritesFail():
        assert notify(client, side, *side.notification(order.out_trade_no)).status_code == 500
    run = services.reconcile(provider=side.name, day=timezone.localdate())
    assert order.out_trade_no in [
        m["out_trade_no"] for m in run.mismatches if m["problem"] == "completed"
    ]
    assert paid_fen(payer) == 29250
