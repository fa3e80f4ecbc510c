"""Dues fixtures: members with a base and this month's (and earlier) obligations."""

from __future__ import annotations

import datetime as dt

import pytest

from dues.rules import DuesBase
from dues.services import obligations_generate
from tests.factories import member_in, user_with_role


def give_base(member, *, year: int, category="employed", base_fen=650000):
    return DuesBase.objects.create(
        member=member, unit=member.unit, year=year, category=category, base_fen=base_fen
    )


@pytest.fixture(autouse=True)
def _rates(db):
    from dues.services import setup_ensure

    setup_ensure()


MONTHS = [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]


@pytest.fixture
def payer(org):
    """A member of A1 with a 6,500-yuan employed base: 97.50 yuan a month, owing Oct–Dec."""
    member = member_in(org.a1, username="payer")
    give_base(member, year=2026)
    for m in MONTHS:
        obligations_generate(month=m)
    return member


@pytest.fixture
def treasurer(org):
    return user_with_role(org.a, "treasurer", username="treasurer_a")


@pytest.fixture(scope="session")
def fake_providers():
    from tests.servers.fake_payments import FakeProviders

    fake = FakeProviders().start()
    yield fake
    fake.stop()


@pytest.fixture
def providers(fake_providers, settings):
    """WeChat Pay and Alipay configured against the local fake provider (+ the sandbox)."""
    for key, value in fake_providers.settings().items():
        setattr(settings, key, value)
    return fake_providers


@pytest.fixture(params=["sandbox", "wechat", "alipay"])
def side(request, providers):
    from tests.dues.providers import SIDES

    return SIDES[request.param](providers)
