"""Reads of problem transfer lists: the list in scope, one by id (with its evidence), the
overdue decision on each unit's clock, and the report over a subtree — one SQL query."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from organizations.models import OrgUnit
from organizations.selectors import object_or_not_found, scope_for
from supervision.common import MANAGE_ROLES, Period, report_rows, zone
from supervision.rectification.models import Rectification, RectificationEvidence

OPEN_STATUSES = (
    Rectification.Status.OPEN,
    Rectification.Status.REPLIED,
    Rectification.Status.RETURNED,
)


def rectifications_in_scope(user) -> QuerySet[Rectification]:
    """Problems handed to units in the user's subtrees (their issuers, above, are
    covered by the same subtree rule)."""
    return Rectification.objects.select_related("unit", "issued_by_unit").filter(
        scope_for(user, roles=MANAGE_ROLES).units_q("unit__path")
    )


def access_rectification_by_id(user, rect_id, *, action: str = "view") -> Rectification:
    return object_or_not_found(rectifications_in_scope(user), rect_id)


def access_rectification_evidence_by_id(
    user, evidence_id, *, action: str = "view"
) -> RectificationEvidence:
    qs = RectificationEvidence.objects.select_related("rectification__unit").filter(
        scope_for(user, roles=MANAGE_ROLES).units_q("rectification__unit__path")
    )
    return object_or_not_found(qs, evidence_id)


def local_todays(zones, now: dt.datetime | None = None) -> dict[str, dt.date]:
    now = now or timezone.now()
    return {z: now.astimezone(zone(z)).date() for z in sorted(set(zones))}


def _zones_in(path_prefix: str) -> list[str]:
    return list(
        OrgUnit.objects.filter(path__startswith=path_prefix)
        .values_list("timezone", flat=True)
        .distinct()
    )


def overdue_q(now: dt.datetime | None = None, *, zones=None, field: str = "unit__timezone") -> Q:
    """Q of open rectifications whose deadline has passed on their unit's clock."""
    todays = local_todays(zones if zones is not None else _zones_in(""), now)
    q = Q(pk__in=[])
    for name, today in todays.items():
        q |= Q(**{field: name}, deadline__lt=today)
    return q & Q(status__in=OPEN_STATUSES)


def is_overdue(rect: Rectification, now: dt.datetime | None = None) -> bool:
    if rect.status not in OPEN_STATUSES:
        return False
    return (now or timezone.now()).astimezone(zone(rect.unit.timezone)).date() > rect.deadline


def with_overdue(qs: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """Annotate `overdue` (shown in red) — one CASE over the few unit zones."""
    return qs.annotate(overdue=Case(When(overdue_q(now), then=Value(True)), default=Value(False)))


def _today_case(params: dict, todays: dict[str, dt.date]) -> str:
    whens = []
    for i, (name, today) in enumerate(todays.items()):
        params[f"tz{i}"] = name
        params[f"td{i}"] = today
        whens.append(f"WHEN %(tz{i})s THEN %(td{i})s")
    if not whens:
        return "NULL"
    return f"(CASE u.timezone {' '.join(whens)} END)"


def rectification_report(
    *, unit: OrgUnit, period: Period | None = None, now: dt.datetime | None = None
) -> dict:
    """Per child unit (and the unit's own bucket) and in total: open, overdue (open past
    the deadline on the unit's clock), closed, closed on time and the average days to
    close — one SQL query. `period` limits the closed figures to items closed in it
    (local date of the closing unit); open and overdue are as of now."""
    params: dict = {"prefix": unit.path + "%", "L": (unit.depth + 1) * OrgUnit.steplen}
    today = _today_case(params, local_todays(_zones_in(unit.path), now))
    params["closed"] = Rectification.Status.CLOSED
    closed_in = "r.status = %(closed)s"
    if period is not None:
        params["p0"], params["p1"] = period.start, period.end
        closed_in += " AND r.closed_on BETWEEN %(p0)s AND %(p1)s"
    sql = f"""
        WITH agg AS (
            SELECT substr(u.path, 1, %(L)s) AS bucket,
                   SUM(CASE WHEN r.status <> %(closed)s THEN 1 ELSE 0 END) AS open,
                   SUM(CASE WHEN r.status <> %(closed)s AND r.deadline < {today}
                            THEN 1 ELSE 0 END) AS overdue,
                   SUM(CASE WHEN {closed_in} THEN 1 ELSE 0 END) AS closed,
                   SUM(CASE WHEN {closed_in} AND r.closed_on_time THEN 1 ELSE 0 END) AS on_time,
                   SUM(CASE WHEN {closed_in} THEN r.close_seconds ELSE 0 END) AS secs
            FROM supervision_rectification r
            JOIN organizations_orgunit u ON u.id = r.unit_id
            WHERE u.path LIKE %(prefix)s
            GROUP BY substr(u.path, 1, %(L)s)
        )
        SELECT g.id, g.code, g.name, g.path, a.open, a.overdue, a.closed, a.on_time, a.secs
        FROM agg a JOIN organizations_orgunit g ON g.path = a.bucket
        ORDER BY g.path
    """
    raw = report_rows(sql, params)
    rows = []
    total = {"open": 0, "overdue": 0, "closed": 0, "closed_on_time": 0, "secs": 0}
    for uid, code, name, path, n_open, overdue, closed, on_time, secs in raw:
        vals = {
            "open": int(n_open or 0),
            "overdue": int(overdue or 0),
            "closed": int(closed or 0),
            "closed_on_time": int(on_time or 0),
            "secs": int(secs or 0),
        }
        for k in total:
            total[k] += vals[k]
        rows.append(_row(uid, code, name, path == unit.path, vals))
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "period": {"key": period.key, "label": period.label()} if period else None,
        "rows": rows,
        "total": _row(unit.pk, unit.code, unit.name, True, total),
    }


def _row(uid, code, name, itself, vals) -> dict:
    secs = vals.pop("secs")
    closed = vals["closed"]
    return {
        "unit_id": uid,
        "code": code,
        "name": name,
        "is_unit_itself": itself,
        **vals,
        "on_time_rate": round(vals["closed_on_time"] / closed, 4) if closed else None,
        "average_days_to_close": round(secs / closed / 86400, 1) if closed else None,
    }


def rectification_naive(*, unit: OrgUnit) -> dict[int, int]:
    """Baseline for the benchmark: open items counted unit by unit."""
    return {
        u.pk: Rectification.objects.filter(unit_id=u.pk).exclude(status="closed").count()
        for u in OrgUnit.objects.filter(path__startswith=unit.path).only("id")
    }
