"""Ledger invariants, property-based: whatever sequence of obligations, payments
(with voluntary extras), adjustments and refunds happens, the balance is the sum of the
entries, a paid order's entries sum to its amount, arrears are never negative — and no
entry is ever edited or deleted (the model refuses, and so does the database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from dues import services
from dues.errors import DuesError
from dues.gateways.base import Notification
from dues.ledger import LedgerEntry, LedgerImmutable
from dues.orders import PaymentOrder
from dues.selectors import member_statement
from tests.dues.conftest import give_base
from tests.factories import make_org_tree, member_in, user_with_role

op = st.one_of(
    st.tuples(st.just("month"), st.integers(min_value=0, max_value=2_000_000)),
    st.tuples(st.just("pay"), st.integers(min_value=0, max_value=5_000)),
    st.tuples(st.just("adjust"), st.integers(min_value=-5_000, max_value=5_000)),
    st.tuples(st.just("refund"), st.integers(min_value=1, max_value=100)),
)


class LedgerInvariants(TestCase):
    @settings(max_examples=12, deadline=None)
    @given(ops=st.lists(op, min_size=1, max_size=12))
    def test_balance_is_the_sum_of_entries(self, ops):
        services.setup_ensure()
        org = make_org_tree()
        member = member_in(org.a1)
        treasurer = user_with_role(org.a, "treasurer")
        month = dt.date(2026, 1, 1)
        base = give_base(member, year=2026, base_fen=0)
        paid_orders = []
        for kind, value in ops:
            if kind == "month" and month.year == 2026:
                base.base_fen = value
                base.save()
                services.obligations_generate(month=month)
                month = (month + dt.timedelta(days=32)).replace(day=1)
            elif kind == "pay":
                try:
                    result = services.order_create(
                        member=member, provider="sandbox", extra_fen=value
                    )
                except DuesError:
                    continue
                order = result.order
                note = Notification(
                    order.out_trade_no, "T" + order.out_trade_no, order.amount_fen, True
                )
                assert services.payment_confirm(provider="sandbox", note=note) == "credited"
                assert services.payment_confirm(provider="sandbox", note=note) == "repeated"
                from dues.gateways.sandbox_models import SandboxTrade

                SandboxTrade.objects.filter(out_trade_no=order.out_trade_no).update(state="SUCCESS")
                paid_orders.append(order.pk)
            elif kind == "adjust" and value:
                services.adjustment_create(
                    user=treasurer,
                    member_id=member.pk,
                    month=dt.date(2026, 1, 1),
                    amount_fen=value,
                    reason="核对更正",
                )
            elif kind == "refund" and paid_orders:
                order = PaymentOrder.objects.get(pk=paid_orders[-1])
                left = order.amount_fen - order.refunded_fen
                amount = left * value // 100
                if amount > 0:
                    services.refund_create(
                        user=treasurer, order_id=order.pk, amount_fen=amount, reason="退还"
                    )

            st_ = member_statement(member)
            total = (
                LedgerEntry.objects.filter(member=member).aggregate(s=Sum("amount_fen"))["s"] or 0
            )
            assert st_.balance_fen == total
            by_kind = dict(
                LedgerEntry.objects.filter(member=member)
                .values_list("kind")
                .annotate(s=Sum("amount_fen"))
            )
            assert total == sum(by_kind.values())
            assert all(owed > 0 for _, owed, _ in st_.arrears)
            for pk in paid_orders:
                order = PaymentOrder.objects.get(pk=pk)
                net = LedgerEntry.objects.filter(
                    order=order, kind__in=["payment", "refund"]
                ).aggregate(s=Sum("amount_fen"))["s"]
                assert -net == order.amount_fen - order.refunded_fen


@pytest.mark.django_db
def test_entries_are_never_edited_or_deleted(org):
    member = member_in(org.a1)
    entry = LedgerEntry.objects.create(
        member=member, unit=org.a1, month=dt.date(2026, 12, 1), kind="obligation", amount_fen=100
    )
    entry.amount_fen = 1
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=1)
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    # below the ORM, the database itself refuses
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE dues_ledgerentry SET amount_fen = 1 WHERE id = %s", [entry.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM dues_ledgerentry WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount_fen == 100


@pytest.mark.django_db
def test_an_adjustment_needs_a_reason_and_records_its_approver(org):
    member = member_in(org.a1)
    treasurer = user_with_role(org.a, "treasurer")
    with pytest.raises(DuesError):
        services.adjustment_create(
            user=treasurer,
            member_id=member.pk,
            month=dt.date(2026, 12, 1),
            amount_fen=-50,
            reason="",
        )
    entry = services.adjustment_create(
        user=treasurer,
        member_id=member.pk,
        month=dt.date(2026, 12, 1),
        amount_fen=-50,
        reason="困难减免",
    )
    assert (
        entry.kind == "adjustment" and entry.approved_by == treasurer and entry.reason == "困难减免"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.create(
            member=member, unit=org.a1, month=dt.date(2026, 12, 1), kind="adjustment", amount_fen=5
        )
