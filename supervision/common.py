"""What the three parts share: the roles that manage them, periods, and the unit's local
clock.

Periods are named by keys: ``2026`` (a year), ``2026-Q2`` (a quarter), ``2026-05`` (a
month). Months are counted as integers ``year * 12 + month - 1`` (``month_index``) so the
reports group and compare them with portable integer arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from core.errors import DomainError

#: roles that schedule meetings, report the ledger, hand down and answer problems
MANAGE_ROLES = ("secretary", "organizer", "unit_admin")
#: roles that read the supervision dashboard and its reports
DASHBOARD_ROLES = ("secretary",)


class SupervisionError(DomainError):
    """A refusal with its Chinese message; `field` names the input it is about (the
    admin and portal forms show the message on that field; None: the form as a whole)."""

    code = "invalid"
    status = 400

    def __init__(self, message: str = "", *, code=None, status=None, field: str | None = None):
        super().__init__(message, code=code, status=status)
        self.field = field


@dataclass(frozen=True)
class Period:
    """A year, quarter or month: ``first_month`` .. ``last_month`` as month indexes."""

    key: str
    kind: str  # "year" | "quarter" | "month"
    year: int
    first_month: int  # month index of the first month
    months: int

    @property
    def last_month(self) -> int:
        return self.first_month + self.months - 1

    @property
    def start(self) -> dt.date:
        return month_start(self.first_month)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        return month_start(self.last_month + 1) - dt.timedelta(days=1)

    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}年"
        if self.kind == "quarter":
            return f"{self.year}年第{(self.first_month % 12) // 3 + 1}季度"
        return f"{self.year}年{self.first_month % 12 + 1}月"

    def overlapping_keys(self) -> list[str]:
        """Keys of every year, quarter and month that overlaps this period."""
        keys = {str(self.year)}
        for m in range(self.first_month, self.last_month + 1):
            keys.add(period_of_month(m, "quarter").key)
            keys.add(period_of_month(m, "month").key)
        return sorted(keys)


_KEY = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2}))?$")


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def period_parse(key: str) -> Period:
    """`Period` for a key, or SupervisionError naming the expected forms."""
    m = _KEY.match((key or "").strip())
    if not m or not (2000 <= int(m.group(1)) <= 2100):
        raise SupervisionError(
            f"周期“{key}”无效：应为 2026（年）、2026-Q2（季度）或 2026-05（月）",
            code="invalid_period",
            field="period",
        )
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return Period(str(year), "year", year, year * 12, 12)
    if part.startswith("Q"):
        q = int(part[1])
        return Period(f"{year}-Q{q}", "quarter", year, year * 12 + (q - 1) * 3, 3)
    month = int(part)
    if not 1 <= month <= 12:
        raise SupervisionError(
            f"周期“{key}”无效：月份应为 01–12", code="invalid_period", field="period"
        )
    return Period(f"{year}-{month:02d}", "month", year, year * 12 + month - 1, 1)


def period_of_month(index: int, kind: str) -> Period:
    year = index // 12
    if kind == "year":
        return period_parse(str(year))
    if kind == "quarter":
        return period_parse(f"{year}-Q{(index % 12) // 3 + 1}")
    return period_parse(f"{year}-{index % 12 + 1:02d}")


def period_containing(day: dt.date, kind: str) -> Period:
    return period_of_month(month_index(day), kind)


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def unit_today(unit, now: dt.datetime | None = None) -> dt.date:
    """Today's date on the unit's clock (OrgUnit.timezone)."""
    return (now or timezone.now()).astimezone(zone(unit.timezone)).date()


def default_period(unit=None, now: dt.datetime | None = None) -> Period:
    """The current quarter on the unit's clock (the dashboard's default)."""
    today = unit_today(unit, now) if unit is not None else timezone.localdate()
    return period_containing(today, "quarter")


def report_rows(sql: str, params: dict) -> list[tuple]:
    """Run one roll-up query. On PostgreSQL, for this transaction only: no JIT (its
    compile time exceeds these queries' run time) and enough work memory that the
    grouping of a whole year's rows stays in memory instead of spilling to disk."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(sql, params)
        return cur.fetchall()


#: advisory-lock namespaces of the roll-ups' recounts (supervision.*.tally)
_LOCKS = {"meetings": 2101, "ledger": 2102}


def unit_lock(name: str, unit_id: int) -> None:
    """On PostgreSQL, a transaction-scoped advisory lock on (`name`, unit): two
    transactions recounting the same unit's roll-up go one after the other, the second
    seeing the first's rows. SQLite runs one writer at a time anyway."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCKS[name], int(unit_id) % 2**31]
            )
