"""Reads of meetings: the managers' list, a member's invitations, one meeting by id, and
the compliance report (one SQL query per report, grouped by the child-unit path prefix)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from organizations.models import OrgUnit
from organizations.selectors import member_for_user, object_or_not_found, scope_for
from supervision.common import MANAGE_ROLES, Period, report_rows
from supervision.meetings.models import (
    Attendance,
    ComplianceRule,
    Meeting,
    MeetingFile,
)
from supervision.meetings.tally import KIND_COLUMNS, MeetingTally

#: minutes filed later than this after the meeting ended count as late
MINUTES_GRACE = dt.timedelta(days=7)
#: members may check in from this long before the start until the end
CHECKIN_EARLY = dt.timedelta(minutes=30)
#: a check-in later than this after the start is late
LATE_AFTER = dt.timedelta(minutes=10)


def meetings_managed(user) -> QuerySet[Meeting]:
    """Meetings of units in the subtrees where the user manages organisation life."""
    return Meeting.objects.select_related("unit").filter(
        scope_for(user, roles=MANAGE_ROLES).units_q("unit__path")
    )


def meetings_for_member(user) -> QuerySet[Meeting]:
    """Meetings the user is invited to (as a member)."""
    member = member_for_user(user)
    if member is None:
        return Meeting.objects.none()
    invited = Attendance.objects.filter(meeting=OuterRef("pk"), member=member)
    return Meeting.objects.select_related("unit").filter(Exists(invited))


def meetings_visible(user) -> QuerySet[Meeting]:
    """Managed meetings and the user's own invitations."""
    scope = scope_for(user, roles=MANAGE_ROLES)
    q = scope.units_q("unit__path")
    member = member_for_user(user)
    if member is not None and not scope.is_global:
        q |= Q(Exists(Attendance.objects.filter(meeting=OuterRef("pk"), member=member)))
    return Meeting.objects.select_related("unit").filter(q)


def access_meeting_by_id(user, meeting_id, *, action: str = "view") -> Meeting:
    """The meeting (a manager of its unit's subtree may change it; an invitee may view
    it and check in), or ObjectNotFound — the same for missing and out of scope."""
    qs = meetings_managed(user) if action == "change" else meetings_visible(user)
    return object_or_not_found(qs, meeting_id)


def access_meeting_file_by_id(user, file_id, *, action: str = "view") -> MeetingFile:
    """Minutes and photos: for the meeting's managers and its invitees."""
    visible = meetings_visible(user) if action == "view" else meetings_managed(user)
    qs = MeetingFile.objects.select_related("meeting").filter(meeting__in=visible.values("pk"))
    return object_or_not_found(qs, file_id)


def attendance_of(meeting: Meeting) -> QuerySet[Attendance]:
    return meeting.attendances.select_related("member").order_by("member__name", "member_id")


def my_attendance(user, meeting: Meeting) -> Attendance | None:
    member = member_for_user(user)
    if member is None:
        return None
    return Attendance.objects.filter(meeting=meeting, member=member).first()


def can_manage(user, meeting: Meeting) -> bool:
    return scope_for(user, roles=MANAGE_ROLES).covers(meeting.unit.path)


# --- compliance ----------------------------------------------------------------------
def active_rules() -> list[ComplianceRule]:
    return list(ComplianceRule.objects.filter(is_active=True).order_by("unit_kind", "kind"))


def _rule_checks(rules: list[ComplianceRule], period: Period, params: dict) -> tuple[str, str]:
    """The rules whose period fits at least once in `period`, as SQL over the monthly
    roll-up: (the `kinds` VALUES rows: unit kind, meetings required, rule periods to meet;
    the `scores` SELECTs: per unit and rule period, the held meetings counted — each
    rule's capped at its minimum — and the rule periods met)."""
    by_months: dict[tuple[int, str], list[ComplianceRule]] = {}
    kinds: dict[str, list[int]] = {}
    for r in rules:
        periods = period.months // r.period_months
        if periods < 1 or r.kind not in KIND_COLUMNS:
            continue
        by_months.setdefault((int(r.period_months), r.unit_kind), []).append(r)
        k = kinds.setdefault(r.unit_kind, [0, 0])
        k[0] += r.min_count * periods
        k[1] += periods
    kind_rows = []
    for i, (unit_kind, (required, periods)) in enumerate(sorted(kinds.items())):
        params[f"uk{i}"] = unit_kind
        kind_rows.append(f"(%(uk{i})s, {int(required)}, {int(periods)})")
    scores = []
    for (months, unit_kind), group in sorted(by_months.items()):
        i = len(params)
        params[f"sk{i}"] = unit_kind
        held, met = [], []
        for r in group:
            col, need = r.kind, int(r.min_count)  # a column named after the kind
            held.append(f"(CASE WHEN {col} < {need} THEN {col} ELSE {need} END)")
            met.append(f"(CASE WHEN {col} > 0 AND {col} >= {need} THEN 1 ELSE 0 END)")
        if months == 1:
            rows = f"monthly WHERE ukind = %(sk{i})s"
        else:
            cols = sorted({r.kind for r in group})
            sums = ", ".join(f"SUM({c}) AS {c}" for c in cols)
            rows = (
                f"(SELECT unit_id, {sums} FROM monthly WHERE ukind = %(sk{i})s "
                f"AND mo / {months} < {period.months // months} "
                f"GROUP BY unit_id, mo / {months}) p{i}"
            )
        scores.append(
            f"SELECT unit_id, {' + '.join(held)} AS held, {' + '.join(met)} AS met FROM {rows}"
        )
    if not scores:
        scores = ["SELECT CAST(NULL AS bigint) AS unit_id, 0 AS held, 0 AS met WHERE 1 = 0"]
    return ", ".join(kind_rows) or "(NULL, 0, 0)", " UNION ALL ".join(scores)


def compliance_report(*, unit: OrgUnit, period: Period, now: dt.datetime | None = None) -> dict:
    """Meeting compliance of `unit`'s subtree in `period`, per child unit (and the unit's
    own bucket) and in total — one SQL query, over the monthly roll-up
    (`supervision.tallies`, one row per unit and month with held meetings).

    required   Σ over units and active rules (whose period fits in `period`) of
               min_count × rule periods in `period`
    held       the same, counting held meetings per unit, kind and rule period, each
               capped at min_count (a fourth lesson in a quarter does not make up for a
               missing committee meeting)
    compliant_units / units   units that met every rule that applies to them
    attendance  Σ present / Σ invited over held meetings
    late_minutes  held meetings whose minutes came in later than MINUTES_GRACE after the
               end, or are still missing past it (the latter read from the meetings:
               they depend on the clock)
    Rule periods are counted on each unit's own clock (the meeting's `local_month`)."""
    now = now or timezone.now()
    params: dict = {
        "prefix": unit.path + "%",
        "L": (unit.depth + 1) * OrgUnit.steplen,
        "m0": period.first_month,
        "m1": period.last_month,
        "held": Meeting.Status.HELD,
        "late_before": now - MINUTES_GRACE,
    }
    kinds, scores = _rule_checks(active_rules(), period, params)
    kind_cols = ", ".join(f"t.{c}" for c in KIND_COLUMNS)
    sql = f"""
        WITH kinds(unit_kind, required, periods) AS (VALUES {kinds}),
        units AS (
            SELECT id, kind, substr(path, 1, %(L)s) AS bucket FROM organizations_orgunit
            WHERE path LIKE %(prefix)s AND is_active
        ),
        monthly AS (
            SELECT t.unit_id, t.held, t.invited, t.present, t.minutes_late, {kind_cols},
                   u.kind AS ukind, u.bucket, t.month - %(m0)s AS mo
            FROM {MeetingTally._meta.db_table} t JOIN units u ON u.id = t.unit_id
            WHERE t.month BETWEEN %(m0)s AND %(m1)s
        ),
        scores AS ({scores}),
        per_unit AS (
            SELECT unit_id, SUM(held) AS held, SUM(met) AS met FROM scores GROUP BY unit_id
        ),
        buckets AS (
            SELECT u.bucket, COUNT(*) AS units, SUM(k.required) AS required,
                   SUM(COALESCE(p.held, 0)) AS held,
                   SUM(CASE WHEN COALESCE(p.met, 0) >= k.periods THEN 1 ELSE 0 END) AS compliant
            FROM units u JOIN kinds k ON k.unit_kind = u.kind
            LEFT JOIN per_unit p ON p.unit_id = u.id
            GROUP BY u.bucket
        ),
        meetings AS (
            SELECT bucket, SUM(held) AS meetings, SUM(invited) AS invited,
                   SUM(present) AS present, SUM(minutes_late) AS late_minutes
            FROM monthly GROUP BY bucket
        ),
        unfiled AS (
            SELECT u.bucket, COUNT(*) AS n
            FROM supervision_meeting m JOIN units u ON u.id = m.unit_id
            WHERE m.status = %(held)s AND m.minutes_filed_at IS NULL
              AND m.local_month BETWEEN %(m0)s AND %(m1)s
              AND NOT m.minutes_late AND m.ends_at < %(late_before)s
            GROUP BY u.bucket
        ),
        keys AS (SELECT bucket FROM buckets UNION SELECT bucket FROM meetings)
        SELECT g.id, g.code, g.name, g.path,
               COALESCE(b.units, 0), COALESCE(b.required, 0), COALESCE(b.held, 0),
               COALESCE(b.compliant, 0), COALESCE(mm.meetings, 0), COALESCE(mm.invited, 0),
               COALESCE(mm.present, 0), COALESCE(mm.late_minutes, 0) + COALESCE(uf.n, 0)
        FROM keys k
        JOIN organizations_orgunit g ON g.path = k.bucket
        LEFT JOIN buckets b ON b.bucket = k.bucket
        LEFT JOIN meetings mm ON mm.bucket = k.bucket
        LEFT JOIN unfiled uf ON uf.bucket = k.bucket
        ORDER BY g.path
    """
    raw = report_rows(sql, params)
    cols = (
        "units",
        "required",
        "held",
        "compliant_units",
        "meetings_held",
        "invited",
        "present",
        "late_minutes",
    )
    rows = []
    total = dict.fromkeys(cols, 0)
    for uid, code, name, path, *nums in raw:
        vals = dict(zip(cols, (int(n or 0) for n in nums), strict=True))
        for k in cols:
            total[k] += vals[k]
        rows.append(
            _compliance_row(uid, code, name, path == unit.path, vals),
        )
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "period": {"key": period.key, "label": period.label()},
        "rows": rows,
        "total": _compliance_row(unit.pk, unit.code, unit.name, True, total),
    }


def _compliance_row(uid, code, name, itself, vals) -> dict:
    return {
        "unit_id": uid,
        "code": code,
        "name": name,
        "is_unit_itself": itself,
        **vals,
        "held_rate": round(vals["held"] / vals["required"], 4) if vals["required"] else None,
        "attendance_rate": round(vals["present"] / vals["invited"], 4) if vals["invited"] else None,
    }


def compliance_naive(*, unit: OrgUnit, period: Period) -> dict[int, int]:
    """The baseline the benchmark measures against: held meetings counted unit by unit
    (one query per unit). Not used by the application."""
    out = {}
    for u in OrgUnit.objects.filter(path__startswith=unit.path).only("id"):
        out[u.pk] = Meeting.objects.filter(
            unit_id=u.pk,
            local_month__gte=period.first_month,
            local_month__lte=period.last_month,
            status=Meeting.Status.HELD,
        ).count()
    return out
