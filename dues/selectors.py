"""Dues reads: a member's statement (balance, arrears, history — one query), orders and
receipts, the records treasurers manage (scoped), and the collection report (one SQL
query over a subtree, grouped by child unit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Sum, Window
from django.db.models.query import QuerySet

from dues.ledger import LedgerEntry
from dues.orders import PaymentOrder, Refund
from dues.rules import DuesBase
from organizations.models import Member, OrgUnit, UnitRole
from organizations.selectors import member_for_user, object_or_not_found, scope_for

TREASURER = (UnitRole.Role.TREASURER,)


def treasurer_scope(user):
    return scope_for(user, roles=TREASURER)


@dataclass
class Statement:
    balance_fen: int = 0
    #: (month, owed fen, unit id of the month's obligation) — oldest first
    arrears: list[tuple[dt.date, int, int]] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def arrears_fen(self) -> int:
        return sum(owed for _, owed, _ in self.arrears)


def member_statement(member: Member) -> Statement:
    """Balance, arrears by month and the whole history of `member`, in ONE query (window
    sums over the member's entries)."""
    rows = list(
        LedgerEntry.objects.filter(member_id=member.pk)
        .annotate(
            balance=Window(Sum("amount_fen")),
            month_balance=Window(Sum("amount_fen"), partition_by=[F("month")]),
        )
        .order_by("month", "id")
    )
    st = Statement(entries=rows)
    if rows:
        st.balance_fen = int(rows[0].balance)
    seen: dict[dt.date, int] = {}
    units: dict[dt.date, int] = {}
    for e in rows:
        seen[e.month] = int(e.month_balance)
        if e.kind == LedgerEntry.Kind.OBLIGATION or e.month not in units:
            units[e.month] = e.unit_id
    st.arrears = [(m, owed, units[m]) for m, owed in sorted(seen.items()) if owed > 0]
    return st


def my_orders(user) -> QuerySet[PaymentOrder]:
    member = member_for_user(user)
    if member is None:
        return PaymentOrder.objects.none()
    return PaymentOrder.objects.filter(member_id=member.pk).select_related("unit")


def my_receipts(user) -> QuerySet[PaymentOrder]:
    return my_orders(user).filter(status=PaymentOrder.Status.PAID).order_by("-paid_at", "-id")


def access_order_by_id(user, id: int, *, action: str = "view") -> PaymentOrder:
    """A member's own order (view), or, for a treasurer, any order in their subtree."""
    qs = PaymentOrder.objects.select_related("unit", "member", "member__unit")
    member = member_for_user(user)
    if action == "view" and member is not None:
        own = qs.filter(pk=id, member_id=member.pk).first()
        if own is not None:
            return own
    return object_or_not_found(qs.filter(treasurer_scope(user).units_q("unit__path")), id)


def access_dues_receipt_by_id(user, id: int) -> PaymentOrder:
    """A paid order of the user's own (their receipt) — a treasurer's too, in scope."""
    order = access_order_by_id(user, id, action="view")
    if order.status != PaymentOrder.Status.PAID:
        from core.errors import ObjectNotFound

        raise ObjectNotFound("没有这张收据")
    return order


def access_entry_by_id(user, id: int, *, action: str = "view") -> LedgerEntry:
    qs = LedgerEntry.objects.select_related("unit", "member")
    return object_or_not_found(qs.filter(treasurer_scope(user).units_q("unit__path")), id)


def access_base_by_id(user, id: int, *, action: str = "view") -> DuesBase:
    qs = DuesBase.objects.select_related("unit", "member")
    return object_or_not_found(qs.filter(treasurer_scope(user).units_q("unit__path")), id)


def access_refund_by_id(user, id: int, *, action: str = "view") -> Refund:
    qs = Refund.objects.select_related("order", "order__unit")
    return object_or_not_found(qs.filter(treasurer_scope(user).units_q("order__unit__path")), id)


def access_member_for_dues(user, id: int) -> Member:
    qs = Member.objects.select_related("unit")
    return object_or_not_found(qs.filter(treasurer_scope(user).units_q("unit__path")), id)


def access_report_unit_by_id(user, id: int) -> OrgUnit:
    return object_or_not_found(OrgUnit.objects.filter(treasurer_scope(user).units_q("path")), id)


# --- the collection report -------------------------------------------------------------
def period_bounds(year: int, month: int | None) -> tuple[dt.date, dt.date]:
    if month:
        return dt.date(year, month, 1), dt.date(year, month, 1)
    return dt.date(year, 1, 1), dt.date(year, 12, 1)


def collection_report(
    *,
    unit: OrgUnit,
    year: int,
    month: int | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> dict:
    """Expected, collected, arrears and members in arrears for the months of the period,
    per child unit of `unit` (+ `unit` itself) — ONE SQL query grouping by the child
    path prefix. The caller has checked the scope (access_report_unit_by_id).

    expected  = obligations + adjustments; collected = payments − refunds (voluntary
    extras included); arrears = what is still owed for the period's months, per member
    (a member's credit in one month does not hide another member's debt)."""
    if first is None or last is None:  # else: the months first..last (a quarter)
        first, last = period_bounds(year, month)
    steplen = OrgUnit.steplen
    params = {
        "prefix": unit.path + "%",
        "L": (unit.depth + 1) * steplen,
        "first": first,
        "last": last,
    }
    sql = """
        WITH per_member AS (
            SELECT e.member_id, e.unit_id,
                   SUM(CASE WHEN e.kind IN ('obligation', 'adjustment') THEN e.amount_fen ELSE 0 END) AS expected,
                   SUM(CASE WHEN e.kind IN ('payment', 'refund') THEN -e.amount_fen ELSE 0 END) AS collected,
                   SUM(e.amount_fen) AS balance
            FROM dues_ledgerentry e
            JOIN organizations_orgunit u ON u.id = e.unit_id
            WHERE u.path LIKE %(prefix)s AND e.month >= %(first)s AND e.month <= %(last)s
            GROUP BY e.member_id, e.unit_id
        ), agg AS (
            SELECT substr(u.path, 1, %(L)s) AS bucket,
                   SUM(p.expected) AS expected,
                   SUM(p.collected) AS collected,
                   SUM(CASE WHEN p.balance > 0 THEN p.balance ELSE 0 END) AS arrears,
                   COUNT(DISTINCT CASE WHEN p.balance > 0 THEN p.member_id END) AS in_arrears,
                   COUNT(DISTINCT p.member_id) AS members
            FROM per_member p JOIN organizations_orgunit u ON u.id = p.unit_id
            GROUP BY substr(u.path, 1, %(L)s)
        )
        SELECT g.id, g.code, g.name, g.path, a.expected, a.collected, a.arrears,
               a.in_arrears, a.members
        FROM agg a JOIN organizations_orgunit g ON g.path = a.bucket
        ORDER BY g.path
    """
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
        raw = cur.fetchall()
    rows = []
    total = {"expected": 0, "collected": 0, "arrears": 0, "in_arrears": 0, "members": 0}
    for uid, code, name, path, expected, collected, arrears, in_arrears, members in raw:
        row = {
            "unit_id": uid,
            "code": code,
            "name": name,
            "is_unit_itself": path == unit.path,
            "expected_fen": int(expected or 0),
            "collected_fen": int(collected or 0),
            "arrears_fen": int(arrears or 0),
            "members_in_arrears": int(in_arrears or 0),
            "members": int(members or 0),
        }
        rows.append(row)
        for k, src in (
            ("expected", "expected_fen"),
            ("collected", "collected_fen"),
            ("arrears", "arrears_fen"),
            ("in_arrears", "members_in_arrears"),
            ("members", "members"),
        ):
            total[k] += row[src]
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "year": year,
        "month": month,
        "rows": rows,
        "total": {
            "expected_fen": total["expected"],
            "collected_fen": total["collected"],
            "arrears_fen": total["arrears"],
            "members_in_arrears": total["in_arrears"],
            "members": total["members"],
        },
    }


#: the supervision dashboard's dues panel: (label, row key, kind)
DASHBOARD_COLUMNS = (
    ("党员数", "members", "int"),
    ("应收（元）", "expected", "money"),
    ("实收（元）", "collected", "money"),
    ("收缴率", "collection_rate", "rate"),
    ("欠缴（元）", "arrears", "money"),
    ("欠缴人数", "members_in_arrears", "int"),
)
DASHBOARD_ROLES = ("secretary", "unit_admin", "treasurer")


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def dashboard_report(*, user, unit: OrgUnit, period) -> dict:
    """Dues collection for the supervision dashboard (period: anything with `start`,
    `end`, `key`, `label()`): the collection report over the period's months, one row per
    child unit, amounts in yuan. 404 outside the caller's subtree."""
    from core.errors import ObjectNotFound
    from organizations.scope import scope_for

    if not scope_for(user, roles=DASHBOARD_ROLES).covers(unit.path):
        raise ObjectNotFound
    first = period.start.replace(day=1)
    last = period.end.replace(day=1)
    report = collection_report(unit=unit, year=first.year, first=first, last=last)

    def shape(r: dict, **extra) -> dict:
        expected, collected = r["expected_fen"], r["collected_fen"]
        return {
            **extra,
            "members": r["members"],
            "expected": _yuan(expected),
            "collected": _yuan(collected),
            "collection_rate": round(collected / expected, 4) if expected > 0 else None,
            "arrears": _yuan(r["arrears_fen"]),
            "members_in_arrears": r["members_in_arrears"],
        }

    rows = [
        shape(
            r,
            unit_id=r["unit_id"],
            code=r["code"],
            name=r["name"],
            is_unit_itself=r["is_unit_itself"],
        )
        for r in report["rows"]
    ]
    total = shape(
        report["total"],
        unit_id=unit.pk,
        code=unit.code,
        name=unit.name,
        is_unit_itself=True,
    )
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "period": {"key": period.key, "label": period.label()},
        "rows": rows,
        "total": total,
    }
