"""Pairing assistance (结对帮扶): reads, writes and the unit report.

Who manages cases: secretaries, organizers and unit admins over the case's unit.
Reads: `cases_in_scope`, `access_assistance_case_by_id` (not found outside scope).
Writes: `case_open`, `helper_pair`, `visit_record`, `case_close` — keyword-only, atomic,
refusing bad input (a date in the future, a visit before the case opened, a helper who is
the member themselves, a write to a closed case) with `AssistanceError`.
Report: `assistance_report(unit, since=, until=)` — cases, open cases, visits and money per
child unit in ONE SQL query (grouped by the child-unit path prefix); `report_xlsx`.
"""

from __future__ import annotations

import datetime as dt
import io

from django.db import connection, transaction
from django.db.models import Count, QuerySet

from care.assistance.models import AssistanceCase, AssistanceHelper, AssistanceVisit
from core.errors import DomainError
from core.spreadsheet import export_stamp, safe_row
from organizations.models import Member, OrgUnit
from organizations.scope import scope_for
from organizations.selectors import object_or_not_found

CASE_ROLES = ("secretary", "organizer", "unit_admin")


class AssistanceError(DomainError):
    """A pairing-assistance write the rules refuse."""


# --- reads ------------------------------------------------------------------------------
def cases_in_scope(user) -> QuerySet[AssistanceCase]:
    return (
        AssistanceCase.objects.filter(scope_for(user, roles=CASE_ROLES).units_q("unit__path"))
        .select_related("unit", "member")
        .annotate(helper_count=Count("helpers", distinct=True))
    )


def access_assistance_case_by_id(user, case_id, *, action: str = "view") -> AssistanceCase:
    return object_or_not_found(cases_in_scope(user), case_id)


def case_detail(case: AssistanceCase) -> dict:
    """The case's helpers and visits (two queries)."""
    helpers = list(case.helpers.select_related("helper").order_by("paired_on", "pk"))
    visits = list(case.visits.select_related("helper").order_by("-visited_on", "-pk"))
    return {"helpers": helpers, "visits": visits}


# --- writes -----------------------------------------------------------------------------
def _today(unit: OrgUnit) -> dt.date:
    from organizations.localtime import local_date

    return local_date(unit.timezone)


def _not_future(day: dt.date | None, label: str, unit: OrgUnit) -> None:
    if day is not None and day > _today(unit):
        raise AssistanceError(f"{label}不能晚于今天（{_today(unit).isoformat()}）")


def _open_case(case: AssistanceCase) -> AssistanceCase:
    locked = AssistanceCase.objects.select_for_update().select_related("unit").get(pk=case.pk)
    if locked.status == AssistanceCase.Status.CLOSED:
        raise AssistanceError("该帮扶已结案，不能再修改", code="conflict", status=409)
    return locked


@transaction.atomic
def case_open(
    *,
    member: Member,
    category: str,
    situation: str,
    opened_on: dt.date,
    plan: str = "",
    created_by=None,
) -> AssistanceCase:
    """Open a case for `member` (loaded in the caller's scope); owned by their unit."""
    if category not in AssistanceCase.Category.values:
        raise AssistanceError(f"未知的困难类别：{category}")
    situation = (situation or "").strip()
    if not situation:
        raise AssistanceError("请填写困难情况")
    _not_future(opened_on, "立项日期", member.unit)
    if AssistanceCase.objects.filter(
        member=member, category=category, status=AssistanceCase.Status.OPEN
    ).exists():
        raise AssistanceError(f"{member.name}已有同类别的帮扶在进行中", code="conflict", status=409)
    return AssistanceCase.objects.create(
        unit=member.unit,
        member=member,
        category=category,
        situation=situation,
        plan=(plan or "").strip(),
        opened_on=opened_on,
        created_by=created_by,
    )


@transaction.atomic
def case_update_plan(*, case: AssistanceCase, plan: str) -> AssistanceCase:
    locked = _open_case(case)
    locked.plan = (plan or "").strip()
    locked.save(update_fields=["plan"])
    return locked


@transaction.atomic
def helper_pair(
    *, case: AssistanceCase, helper: Member, paired_on: dt.date, note: str = ""
) -> AssistanceHelper:
    """Pair `helper` (a member the caller may manage) with the case."""
    locked = _open_case(case)
    if helper.pk == locked.member_id:
        raise AssistanceError("帮扶人不能是帮扶对象本人")
    if helper.status != Member.Status.ACTIVE:
        raise AssistanceError(f"{helper.name}不是状态正常的党员，不能作为帮扶人")
    _not_future(paired_on, "结对日期", locked.unit)
    if paired_on < locked.opened_on:
        raise AssistanceError("结对日期不能早于立项日期")
    if AssistanceHelper.objects.filter(case=locked, helper=helper).exists():
        raise AssistanceError(f"{helper.name}已是该帮扶的帮扶人", code="conflict", status=409)
    return AssistanceHelper.objects.create(
        case=locked, helper=helper, paired_on=paired_on, note=(note or "").strip()[:200]
    )


@transaction.atomic
def visit_record(
    *,
    case: AssistanceCase,
    kind: str,
    visited_on: dt.date,
    amount_fen: int = 0,
    notes: str = "",
    helper: Member | None = None,
    recorded_by=None,
) -> AssistanceVisit:
    """Record a visit or support. Money (`kind` money) needs a positive amount in fen."""
    locked = _open_case(case)
    if kind not in AssistanceVisit.Kind.values:
        raise AssistanceError(f"未知的帮扶方式：{kind}")
    _not_future(visited_on, "帮扶日期", locked.unit)
    if visited_on < locked.opened_on:
        raise AssistanceError("帮扶日期不能早于立项日期")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen < 0:
        raise AssistanceError("金额须为不小于 0 的整数（单位：分）")
    if kind == AssistanceVisit.Kind.MONEY and amount_fen == 0:
        raise AssistanceError("资金帮扶须填写金额")
    if helper is not None and not locked.helpers.filter(helper=helper).exists():
        raise AssistanceError(f"{helper.name}不是该帮扶的帮扶人")
    return AssistanceVisit.objects.create(
        case=locked,
        kind=kind,
        visited_on=visited_on,
        amount_fen=amount_fen,
        notes=(notes or "").strip(),
        helper=helper,
        recorded_by=recorded_by,
    )


@transaction.atomic
def case_close(*, case: AssistanceCase, closed_on: dt.date, summary: str) -> AssistanceCase:
    locked = _open_case(case)
    summary = (summary or "").strip()
    if not summary:
        raise AssistanceError("结案须填写结案说明")
    _not_future(closed_on, "结案日期", locked.unit)
    if closed_on < locked.opened_on:
        raise AssistanceError("结案日期不能早于立项日期")
    locked.status = AssistanceCase.Status.CLOSED
    locked.closed_on = closed_on
    locked.closing_summary = summary
    locked.save(update_fields=["status", "closed_on", "closing_summary"])
    return locked


# --- the unit report ------------------------------------------------------------------------
def assistance_report(unit: OrgUnit, *, since: dt.date, until: dt.date) -> list[dict]:
    """Per child unit of `unit` (each with its subtree; the unit's own cases as a row for
    the unit itself): cases opened in the period, cases still open, cases closed in the
    period, visits and money given (fen) in the period — ONE SQL query."""
    if until < since:
        raise AssistanceError("结束日期不能早于开始日期")
    params = {
        "L": (unit.depth + 1) * OrgUnit.steplen,
        "prefix": unit.path + "%",
        "since": since,
        "until": until,
    }
    sql = """
        WITH rows AS (
            SELECT substr(u.path, 1, %(L)s) AS bucket,
                   CASE WHEN c.opened_on BETWEEN %(since)s AND %(until)s THEN 1 ELSE 0 END AS opened,
                   CASE WHEN c.status = 'open' THEN 1 ELSE 0 END AS still_open,
                   CASE WHEN c.closed_on BETWEEN %(since)s AND %(until)s THEN 1 ELSE 0 END AS closed,
                   0 AS visits, 0 AS fen
            FROM care_assistancecase c JOIN organizations_orgunit u ON u.id = c.unit_id
            WHERE u.path LIKE %(prefix)s
            UNION ALL
            SELECT substr(u.path, 1, %(L)s), 0, 0, 0, 1, v.amount_fen
            FROM care_assistancevisit v
            JOIN care_assistancecase c ON c.id = v.case_id
            JOIN organizations_orgunit u ON u.id = c.unit_id
            WHERE u.path LIKE %(prefix)s AND v.visited_on BETWEEN %(since)s AND %(until)s
        )
        SELECT g.id, g.code, g.name, g.path, SUM(r.opened), SUM(r.still_open),
               SUM(r.closed), SUM(r.visits), SUM(r.fen)
        FROM rows r JOIN organizations_orgunit g ON g.path = r.bucket
        GROUP BY g.id, g.code, g.name, g.path
        ORDER BY g.path
    """
    with connection.cursor() as cur:
        cur.execute(sql, params)
        raw = cur.fetchall()
    return [
        {
            "unit_id": uid,
            "code": code,
            "name": name,
            "is_unit_itself": path == unit.path,
            "opened": int(opened),
            "open": int(still_open),
            "closed": int(closed),
            "visits": int(visits),
            "amount_fen": int(fen or 0),
        }
        for uid, code, name, path, opened, still_open, closed, visits, fen in raw
    ]


REPORT_COLUMNS = [
    ("name", "党组织"),
    ("code", "组织代码"),
    ("opened", "期间新立项"),
    ("open", "帮扶中"),
    ("closed", "期间结案"),
    ("visits", "期间帮扶次数"),
    ("amount_yuan", "期间帮扶金额（元）"),
]


def report_xlsx(unit: OrgUnit, rows: list[dict], *, since: dt.date, until: dt.date) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "结对帮扶"
    ws.append(safe_row([f"{unit.name} 结对帮扶情况（{since.isoformat()} 至 {until.isoformat()}）"]))
    ws.append([label for _k, label in REPORT_COLUMNS])
    for r in rows:
        r = {**r, "amount_yuan": r["amount_fen"] / 100}
        if r["is_unit_itself"]:
            r["name"] = f"{r['name']}（本级）"
        ws.append(safe_row([r[k] for k, _l in REPORT_COLUMNS]))
    ws.append([export_stamp()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def today_for(unit: OrgUnit) -> dt.date:
    return _today(unit)
