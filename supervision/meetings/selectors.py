"""Reads of meetings: the managers' list, a member's invitations, one meeting by id, and
the compliance report (one SQL query per report, grouped by the child-unit path prefix)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from organizations.models import OrgUnit
from organizations.selectors import member_for_user, object_or_not_found, scope_for
from supervision.common import MANAGE_ROLES, Period, report_rows
from supervision.meetings.models import Attendance, ComplianceRule, Meeting, MeetingFile

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


def _rule_values(rules: list[ComplianceRule], period: Period, params: dict) -> str:
    """A VALUES list (kind, unit_kind, months, need, periods) of the rules that have at
    least one whole rule period inside `period`."""
    rows = []
    for i, r in enumerate(rules):
        periods = period.months // r.period_months
        if periods < 1:
            continue
        params.update({f"rk{i}": r.kind, f"ru{i}": r.unit_kind})
        rows.append(
            f"(%(rk{i})s, %(ru{i})s, {int(r.period_months)}, {int(r.min_count)}, {periods})"
        )
    return ", ".join(rows)


def compliance_report(*, unit: OrgUnit, period: Period, now: dt.datetime | None = None) -> dict:
    """Meeting compliance of `unit`'s subtree in `period`, per child unit (and the unit's
    own bucket) and in total — one SQL query.

    required   Σ over units and active rules (whose period fits in `period`) of
               min_count × rule periods in `period`
    held       the same, counting held meetings per unit, kind and rule period, each
               capped at min_count (a fourth lesson in a quarter does not make up for a
               missing committee meeting)
    compliant_units / units   units that met every rule that applies to them
    attendance  Σ present / Σ invited over held meetings
    late_minutes  held meetings whose minutes came in later than MINUTES_GRACE after the
               end, or are still missing past it
    Rule periods are counted on each unit's own clock (the meeting's `local_month`)."""
    now = now or timezone.now()
    rules = active_rules()
    params: dict = {
        "prefix": unit.path + "%",
        "L": (unit.depth + 1) * OrgUnit.steplen,
        "m0": period.first_month,
        "m1": period.last_month,
        "held": Meeting.Status.HELD,
        "late_before": now - MINUTES_GRACE,
    }
    values = _rule_values(rules, period, params)
    if not values:
        values = "(NULL, NULL, 1, 0, 0)"
    sql = f"""
        WITH rules(kind, unit_kind, months, need, periods) AS (VALUES {values}),
        units AS (
            SELECT id, path, kind FROM organizations_orgunit
            WHERE path LIKE %(prefix)s AND is_active
        ),
        slots AS (
            SELECT u.id AS unit_id, substr(u.path, 1, %(L)s) AS bucket,
                   r.kind, r.months, r.need, r.periods
            FROM units u JOIN rules r ON r.unit_kind = u.kind
        ),
        held AS (
            SELECT m.unit_id, m.kind, (m.local_month - %(m0)s) AS mo, COUNT(*) AS n
            FROM supervision_meeting m
            WHERE m.unit_id IN (SELECT id FROM units)
              AND m.local_month BETWEEN %(m0)s AND %(m1)s AND m.status = %(held)s
            GROUP BY m.unit_id, m.kind, m.local_month
        ),
        per_rule_period AS (
            SELECT s.unit_id, s.kind, h.mo / s.months AS rp, SUM(h.n) AS n, s.need
            FROM slots s JOIN held h ON h.unit_id = s.unit_id AND h.kind = s.kind
            WHERE h.mo / s.months < s.periods
            GROUP BY s.unit_id, s.kind, h.mo / s.months, s.need
        ),
        met AS (
            SELECT unit_id, kind,
                   SUM(CASE WHEN n < need THEN n ELSE need END) AS held,
                   COUNT(CASE WHEN n >= need THEN 1 END) AS periods_met
            FROM per_rule_period GROUP BY unit_id, kind
        ),
        per_unit AS (
            SELECT ps.unit_id, ps.bucket,
                   SUM(ps.need * ps.periods) AS required,
                   SUM(COALESCE(mt.held, 0)) AS held,
                   CASE WHEN SUM(CASE WHEN COALESCE(mt.periods_met, 0) < ps.periods
                                      THEN 1 ELSE 0 END) = 0 THEN 1 ELSE 0 END AS compliant
            FROM slots ps LEFT JOIN met mt ON mt.unit_id = ps.unit_id AND mt.kind = ps.kind
            GROUP BY ps.unit_id, ps.bucket
        ),
        meetings_u AS (
            SELECT m.unit_id, COUNT(*) AS meetings,
                   SUM(m.invited_count) AS invited, SUM(m.present_count) AS present,
                   SUM(CASE WHEN m.minutes_late
                              OR (m.minutes_filed_at IS NULL AND m.ends_at < %(late_before)s)
                            THEN 1 ELSE 0 END) AS late_minutes
            FROM supervision_meeting m
            WHERE m.unit_id IN (SELECT id FROM units)
              AND m.local_month BETWEEN %(m0)s AND %(m1)s AND m.status = %(held)s
            GROUP BY m.unit_id
        ),
        meetings AS (
            SELECT substr(u.path, 1, %(L)s) AS bucket, SUM(p.meetings) AS meetings,
                   SUM(p.invited) AS invited, SUM(p.present) AS present,
                   SUM(p.late_minutes) AS late_minutes
            FROM meetings_u p JOIN units u ON u.id = p.unit_id
            GROUP BY substr(u.path, 1, %(L)s)
        ),
        buckets AS (
            SELECT bucket, COUNT(*) AS units, SUM(required) AS required, SUM(held) AS held,
                   SUM(compliant) AS compliant
            FROM per_unit GROUP BY bucket
        ),
        keys AS (SELECT bucket FROM buckets UNION SELECT bucket FROM meetings)
        SELECT g.id, g.code, g.name, g.path,
               COALESCE(b.units, 0), COALESCE(b.required, 0), COALESCE(b.held, 0),
               COALESCE(b.compliant, 0), COALESCE(mm.meetings, 0), COALESCE(mm.invited, 0),
               COALESCE(mm.present, 0), COALESCE(mm.late_minutes, 0)
        FROM keys k
        JOIN organizations_orgunit g ON g.path = k.bucket
        LEFT JOIN buckets b ON b.bucket = k.bucket
        LEFT JOIN meetings mm ON mm.bucket = k.bucket
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
