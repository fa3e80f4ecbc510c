"""What the dues services share: months, trade numbers, the member-row lock (every
write that touches a member's ledger takes it first), the default rates."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.utils import timezone

from dues.errors import DuesError
from dues.ledger import LedgerEntry
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


def new_trade_no(prefix: str = "D") -> str:
    return f"{prefix}{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def lock_member(member_id: int) -> Member:
    return Member.objects.select_for_update().select_related("unit").get(pk=member_id)
