"""Reads of the work ledger: the items, reports in scope, one report by id, and the
completion grid over a subtree (units × items) — one SQL query per report, grouped by
the child-unit path prefix."""

from __future__ import annotations

from django.db.models import QuerySet

from organizations.models import OrgUnit
from organizations.selectors import object_or_not_found, scope_for
from supervision.common import MANAGE_ROLES, Period, month_index, period_of_month, report_rows
from supervision.ledger.models import LedgerEvidence, LedgerItem, LedgerReport

UNIT_KINDS = ("committee", "general_branch", "branch")


def items_active() -> QuerySet[LedgerItem]:
    return LedgerItem.objects.filter(is_active=True).order_by("order", "code")


def reports_in_scope(user) -> QuerySet[LedgerReport]:
    return LedgerReport.objects.select_related("unit", "item").filter(
        scope_for(user, roles=MANAGE_ROLES).units_q("unit__path")
    )


def access_ledger_report_by_id(user, report_id, *, action: str = "view") -> LedgerReport:
    return object_or_not_found(reports_in_scope(user), report_id)


def access_ledger_evidence_by_id(user, evidence_id, *, action: str = "view") -> LedgerEvidence:
    qs = LedgerEvidence.objects.select_related("report__unit").filter(
        scope_for(user, roles=MANAGE_ROLES).units_q("report__unit__path")
    )
    return object_or_not_found(qs, evidence_id)


def item_periods_in(item_period: str, period: Period) -> list[str]:
    """Keys of the item's own periods (month/quarter/year) that overlap `period`."""
    keys = []
    for m in range(period.first_month, period.last_month + 1):
        key = period_of_month(m, item_period).key
        if key not in keys:
            keys.append(key)
    return keys


def _spec(items: list[LedgerItem], period: Period, params: dict) -> str:
    rows = []
    for item in items:
        n = len(item_periods_in(item.period, period))
        for kind in item.unit_kinds:
            rows.append(f"({int(item.pk)}, '{kind}', {n})")
    return ", ".join(rows)


STATES = ("accepted", "submitted", "returned", "missing")


def ledger_grid(*, unit: OrgUnit, period: Period, by_item: bool = True) -> dict:
    """Completion of the ledger in `unit`'s subtree for `period`: per child unit (and the
    unit's own bucket) × item, the expected reports (applicable units × the item's periods
    overlapping `period`) and how many were accepted, await review or were returned — one
    SQL query. `by_item=False` groups by child unit only (the dashboard panel)."""
    items = list(items_active())
    params: dict = {
        "prefix": unit.path + "%",
        "L": (unit.depth + 1) * OrgUnit.steplen,
    }
    spec = _spec(items, period, params) or "(0, '-', 0)"
    keys = period.overlapping_keys()
    key_params = []
    for i, key in enumerate(keys):
        params[f"k{i}"] = key
        key_params.append(f"%(k{i})s")
    keys_in = ", ".join(key_params)
    if by_item:
        # reports joined straight to their bucket (no per-unit step: a unit has at most
        # a few reports per item and period) and counted per bucket × item
        reported = f"""
            SELECT u.bucket, r.item_id,
                   SUM(CASE WHEN r.status = 'accepted' THEN 1 ELSE 0 END) AS accepted,
                   SUM(CASE WHEN r.status = 'submitted' THEN 1 ELSE 0 END) AS submitted,
                   SUM(CASE WHEN r.status = 'returned' THEN 1 ELSE 0 END) AS returned
            FROM supervision_ledgerreport r JOIN units u ON u.id = r.unit_id
            WHERE r.period IN ({keys_in})
            GROUP BY u.bucket, r.item_id
        """
    else:
        reported = f"""
            SELECT u.bucket, 0 AS item_id, SUM(t.accepted) AS accepted,
                   SUM(t.submitted) AS submitted, SUM(t.returned) AS returned
            FROM supervision_ledgertally t JOIN units u ON u.id = t.unit_id
            WHERE t.period IN ({keys_in})
            GROUP BY u.bucket
        """
    item_col = "s.item_id" if by_item else "0"
    group_s = ", s.item_id" if by_item else ""
    sql = f"""
        WITH spec(item_id, unit_kind, nper) AS (VALUES {spec}),
        units AS (
            SELECT id, kind, substr(path, 1, %(L)s) AS bucket FROM organizations_orgunit
            WHERE path LIKE %(prefix)s AND is_active
        ),
        kinds AS (
            SELECT bucket, kind, COUNT(*) AS n FROM units GROUP BY bucket, kind
        ),
        expected AS (
            SELECT k.bucket, {item_col} AS item_id, SUM(k.n) AS units,
                   SUM(k.n * s.nper) AS expected
            FROM kinds k JOIN spec s ON s.unit_kind = k.kind
            GROUP BY k.bucket{group_s}
        ),
        reported AS ({reported})
        SELECT g.id, g.code, g.name, g.path, g.kind, e.item_id, e.units, e.expected,
               COALESCE(r.accepted, 0), COALESCE(r.submitted, 0), COALESCE(r.returned, 0)
        FROM expected e
        JOIN organizations_orgunit g ON g.path = e.bucket
        LEFT JOIN reported r ON r.bucket = e.bucket AND r.item_id = e.item_id
        ORDER BY g.path, e.item_id
    """
    raw = report_rows(sql, params)
    units: dict[int, dict] = {}
    per_item: dict[int, dict] = {}
    total = _counts()
    for uid, code, name, path, _kind, item_id, n_units, expected, acc, sub, ret in raw:
        row = units.setdefault(
            uid,
            {
                "unit_id": uid,
                "code": code,
                "name": name,
                "is_unit_itself": path == unit.path,
                "is_leaf_unit": path == unit.path or n_units == 1,
                "cells": {},
                **_counts(),
            },
        )
        cell = _counts(expected, acc, sub, ret)
        _add(row, cell)
        _add(total, cell)
        if by_item:
            row["cells"][int(item_id)] = {**cell, "state": _state(cell)}
            _add(per_item.setdefault(int(item_id), _counts()), cell)
    rows = []
    for row in units.values():
        _rate(row)
        rows.append(row)
    _rate(total)
    total.update(unit_id=unit.pk, code=unit.code, name=unit.name, is_unit_itself=True)
    out = {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "period": {"key": period.key, "label": period.label()},
        "rows": rows,
        "total": total,
    }
    if by_item:
        names = {i.pk: i for i in items}
        out["items"] = [
            {
                "item_id": i.pk,
                "code": i.code,
                "title": i.title,
                "period": i.period,
                **_rate(per_item.get(i.pk, _counts())),
            }
            for i in items
            if i.pk in per_item
        ]
        out["item_names"] = {pk: str(it) for pk, it in names.items()}
    return out


def _counts(expected=0, accepted=0, submitted=0, returned=0) -> dict:
    return {
        "expected": int(expected or 0),
        "accepted": int(accepted or 0),
        "submitted": int(submitted or 0),
        "returned": int(returned or 0),
    }


def _add(into: dict, cell: dict) -> None:
    for k in ("expected", "accepted", "submitted", "returned"):
        into[k] += cell[k]


def _rate(d: dict) -> dict:
    d["missing"] = max(0, d["expected"] - d["accepted"] - d["submitted"] - d["returned"])
    d["completion_rate"] = round(d["accepted"] / d["expected"], 4) if d["expected"] else None
    return d


def _state(cell: dict) -> str:
    """The colour of a grid cell: all accepted (done), some returned (returned), some
    awaiting review (submitted), none reported (missing), otherwise partly done."""
    if cell["expected"] and cell["accepted"] >= cell["expected"]:
        return "accepted"
    if cell["returned"]:
        return "returned"
    if cell["accepted"] + cell["submitted"] >= cell["expected"]:
        return "submitted"
    if cell["accepted"] + cell["submitted"] == 0:
        return "missing"
    return "partial"


def ledger_naive(*, unit: OrgUnit, period: Period) -> dict[int, int]:
    """Baseline for the benchmark: accepted reports counted unit by unit."""
    keys = period.overlapping_keys()
    return {
        u.pk: LedgerReport.objects.filter(unit_id=u.pk, period__in=keys, status="accepted").count()
        for u in OrgUnit.objects.filter(path__startswith=unit.path).only("id")
    }


def units_missing_report(*, item: LedgerItem, period_key: str, zones: list[str]) -> QuerySet:
    """Active units of the item's kinds in `zones` with no report (or a returned one) for
    `period_key` — whom the reminder goes to."""
    kinds = item.unit_kinds
    done = LedgerReport.objects.filter(item=item, period=period_key).exclude(status="returned")
    return OrgUnit.objects.filter(is_active=True, kind__in=kinds, timezone__in=zones).exclude(
        pk__in=done.values("unit_id")
    )


__all__ = ["month_index"]
