"""What each member owes: the regulation's tiers as data, integer fen with half-up
rounding, probationary members from the month admitted, transfers mid-month, and a job
that may run twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from dues.amounts import percent_of, yuan_to_fen
from dues.ledger import LedgerEntry
from dues.rules import DuesRate
from dues.services import obligations_generate, setup_ensure
from organizations.models import Member, Transfer
from tests.dues.conftest import give_base
from tests.factories import make_org_tree, member_in

DEC = dt.date(2026, 12, 1)


def owed(member, month=DEC):
    return LedgerEntry.objects.get(member=member, month=month, kind="obligation")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("category", "base_yuan", "expected_fen"),
    [
        ("employed", "3000.00", 1500),  # ≤ 3,000: 0.5 %
        ("employed", "3000.01", 3000),  # the whole base at 1 %: 30.0001 → 30.00
        ("employed", "5000.00", 5000),
        ("employed", "5000.01", 7500),  # 1.5 %: 75.00015 → 75.00
        ("employed", "10000.00", 15000),
        ("employed", "10000.01", 20000),  # 2 %
        ("employed", "1234.50", 617),  # 6.1725 → 6.17
        ("employed", "1235.00", 618),  # 6.175 → 6.18 (half up)
        ("retired", "5000.00", 2500),
        ("retired", "5000.01", 5000),
        ("student", "0", 20),
        ("unemployed", "2000", 20),
        ("subsistence", "800", 20),
    ],
)
def test_the_regulations_tiers(org, category, base_yuan, expected_fen):
    member = member_in(org.a1)
    give_base(member, year=2026, category=category, base_fen=yuan_to_fen(base_yuan))
    assert obligations_generate(month=DEC) == 1
    entry = owed(member)
    assert entry.amount_fen == expected_fen and isinstance(entry.amount_fen, int)
    assert entry.unit_id == org.a1.pk


@pytest.mark.django_db
def test_exempt_and_members_without_a_base_owe_nothing_and_the_job_is_idempotent(org):
    paying, exempt, unset = member_in(org.a1), member_in(org.a1), member_in(org.a1)
    give_base(paying, year=2025, base_fen=200000)  # last year's base carries over
    give_base(exempt, year=2026, category="exempt")
    gone = member_in(org.a1, status=Member.Status.DECEASED)
    give_base(gone, year=2026)
    assert obligations_generate(month=DEC) == 1
    assert obligations_generate(month=DEC) == 0  # a second run does nothing
    assert LedgerEntry.objects.get().member_id == paying.pk
    assert owed(paying).amount_fen == 1000
    assert not LedgerEntry.objects.filter(member__in=[exempt, unset]).exists()


@pytest.mark.django_db
def test_probationary_members_owe_from_the_month_they_were_admitted(org):
    member = member_in(org.a1, category="probationary", join_date=dt.date(2026, 12, 20))
    give_base(member, year=2026, base_fen=400000)
    assert obligations_generate(month=dt.date(2026, 11, 1)) == 0
    assert obligations_generate(month=DEC) == 1
    assert owed(member).amount_fen == 4000


@pytest.mark.django_db
def test_a_member_transferred_mid_month_owes_that_month_to_the_old_unit(org):
    member = member_in(org.a1)
    give_base(member, year=2026)
    # transferred on 15 December (after the job ran, or before a late run: same answer)
    Transfer.objects.create(
        member=member,
        from_unit=org.a1,
        to_unit=org.b1,
        transferred_at=dt.datetime(2026, 12, 15, 10, tzinfo=timezone.get_default_timezone()),
    )
    Member.objects.filter(pk=member.pk).update(unit=org.b1)
    obligations_generate(month=DEC)
    obligations_generate(month=dt.date(2027, 1, 1))
    assert owed(member).unit_id == org.a1.pk
    assert owed(member, dt.date(2027, 1, 1)).unit_id == org.b1.pk


class SqlMatchesThePythonRule(TestCase):
    """The job's SQL (integer half-up) equals Decimal ROUND_HALF_UP of the rate rows, for
    any base."""

    @settings(max_examples=15, deadline=None)
    @given(
        base_fen=st.integers(min_value=0, max_value=10**8),
        category=st.sampled_from(["employed", "retired", "student"]),
    )
    def test_amount(self, base_fen, category):
        setup_ensure()
        org = make_org_tree()
        member = member_in(org.a1)
        give_base(member, year=2026, category=category, base_fen=base_fen)
        obligations_generate(month=DEC)
        rate = next(r for r in DuesRate.objects.filter(category=category) if r.applies_to(base_fen))
        expected = rate.fixed_fen + percent_of(base_fen, rate.rate_bp)
        got = LedgerEntry.objects.filter(member=member).values_list("amount_fen", flat=True).first()
        assert (got or 0) == expected


@pytest.mark.django_db
def test_the_monthly_job_is_on_the_schedule_and_idempotent(org):
    from django.utils.module_loading import import_string

    from core.schedule import get

    job = get("dues.obligations")
    member = member_in(org.a1)
    give_base(member, year=timezone.localdate().year)
    task = import_string(job.task)
    assert task.call() == 1
    assert task.call() == 0  # the same slot run twice does nothing more
    assert {j.name for j in [get("dues.orders_expire"), get("dues.reconcile")]}
