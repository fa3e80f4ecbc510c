"""The supervision dashboard's panels, each a roll-up of one subtree and period by child
unit (one SQL query per panel; the learning panel one per assignment due in the period,
from the academy's reports). The dashboard itself is assembled in `api` and `portal`
(layer 8), which add the panels of apps this one may not import (dues)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from elearning.courses.models import Assignment
from elearning.reports.selectors import completion_report
from organizations.models import OrgUnit
from organizations.selectors import ObjectNotFound, access_unit_by_id, scope_for
from supervision.common import DASHBOARD_ROLES, Period
from supervision.ledger.selectors import ledger_grid
from supervision.meetings.selectors import compliance_report
from supervision.rectification.selectors import rectification_report


def access_dashboard_unit_by_id(user, unit_id, *, action: str = "view") -> OrgUnit:
    """A unit inside the subtrees where the user is secretary, or ObjectNotFound."""
    return access_unit_by_id(user, unit_id, action=action, roles=DASHBOARD_ROLES)


def dashboard_top_unit(user) -> OrgUnit | None:
    from organizations.selectors import top_unit_in_scope

    return top_unit_in_scope(user, roles=DASHBOARD_ROLES)


def _check(user, unit: OrgUnit) -> None:
    if not scope_for(user, roles=DASHBOARD_ROLES).covers(unit.path):
        raise ObjectNotFound


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    #: (label, row key, kind) — kind "int", "rate" or "days"
    columns: tuple[tuple[str, str, str], ...]
    build: Callable[..., dict]


def meetings_panel(*, user, unit: OrgUnit, period: Period) -> dict:
    _check(user, unit)
    return compliance_report(unit=unit, period=period)


def ledger_panel(*, user, unit: OrgUnit, period: Period) -> dict:
    _check(user, unit)
    return ledger_grid(unit=unit, period=period, by_item=False)


def rectification_panel(*, user, unit: OrgUnit, period: Period) -> dict:
    _check(user, unit)
    return rectification_report(unit=unit, period=period)


def learning_panel(*, user, unit: OrgUnit, period: Period) -> dict:
    """Compulsory learning due in `period` whose audience reaches into `unit`'s subtree:
    the academy's completion report per assignment (one query each), summed by child
    unit: member-assignments due, completed, overdue."""
    _check(user, unit)
    reach = Q(audience_unit__path__in=unit.ancestor_paths()) | Q(
        audience_unit__path__startswith=unit.path
    )
    assignments = (
        Assignment.objects.select_related("course", "audience_unit")
        .filter(reach, due_date__gte=period.start, due_date__lte=period.end)
        .order_by("due_date", "id")
    )
    rows: dict[int, dict] = {}
    total = {"assignments": 0, "members": 0, "completed": 0, "overdue": 0}
    for assignment in assignments:
        report = completion_report(user=user, assignment=assignment, unit=unit)
        total["assignments"] += 1
        for r in report["rows"]:
            row = rows.setdefault(
                r["unit_id"],
                {
                    "unit_id": r["unit_id"],
                    "code": r["code"],
                    "name": r["name"],
                    "is_unit_itself": r["is_unit_itself"],
                    "members": 0,
                    "completed": 0,
                    "overdue": 0,
                },
            )
            for k in ("members", "completed", "overdue"):
                row[k] += r[k]
                total[k] += r[k]
    out_rows = sorted(rows.values(), key=lambda r: (not r["is_unit_itself"], r["name"]))
    for r in [*out_rows, total]:
        r["completion_rate"] = round(r["completed"] / r["members"], 4) if r["members"] else None
    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "period": {"key": period.key, "label": period.label()},
        "rows": out_rows,
        "total": {
            **total,
            "unit_id": unit.pk,
            "code": unit.code,
            "name": unit.name,
            "is_unit_itself": True,
        },
    }


PANELS: tuple[Panel, ...] = (
    Panel(
        "learning",
        "学习完成情况",
        (
            ("应学人次", "members", "int"),
            ("已完成", "completed", "int"),
            ("完成率", "completion_rate", "rate"),
            ("逾期未完成", "overdue", "int"),
        ),
        learning_panel,
    ),
    Panel(
        "meetings",
        "三会一课落实情况",
        (
            ("组织数", "units", "int"),
            ("应开", "required", "int"),
            ("已开", "held", "int"),
            ("落实率", "held_rate", "rate"),
            ("达标组织", "compliant_units", "int"),
            ("出勤率", "attendance_rate", "rate"),
            ("记录逾期", "late_minutes", "int"),
        ),
        meetings_panel,
    ),
    Panel(
        "ledger",
        "电子台账完成情况",
        (
            ("应报", "expected", "int"),
            ("已通过", "accepted", "int"),
            ("待审核", "submitted", "int"),
            ("已退回", "returned", "int"),
            ("未报告", "missing", "int"),
            ("完成率", "completion_rate", "rate"),
        ),
        ledger_panel,
    ),
    Panel(
        "rectification",
        "问题整改情况",
        (
            ("未销号", "open", "int"),
            ("已逾期", "overdue", "int"),
            ("本期销号", "closed", "int"),
            ("按期销号", "closed_on_time", "int"),
            ("按期率", "on_time_rate", "rate"),
            ("平均整改天数", "average_days_to_close", "days"),
        ),
        rectification_panel,
    ),
)


def panel_by_key(key: str) -> Panel | None:
    return next((p for p in PANELS if p.key == key), None)


def panel_xlsx(*, title: str, columns, report: dict) -> bytes:
    """One panel as an Excel sheet: a row per child unit and the total; formula-safe."""
    import io

    from openpyxl import Workbook

    from core.spreadsheet import export_stamp, safe_row

    wb = Workbook()
    ws = wb.active
    ws.title = title[:30]
    period = report.get("period") or {}
    ws.append(safe_row([f"{report['unit']['name']} · {title} · {period.get('label', '')}"]))
    ws.append(safe_row(["组织", "组织代码", *[c[0] for c in columns]]))
    for r in report["rows"]:
        name = r["name"] + ("（本级）" if r.get("is_unit_itself") else "")
        ws.append(safe_row([name, r["code"], *[r.get(c[1]) for c in columns]]))
    t = report["total"]
    ws.append(safe_row([t["name"] + "（合计）", t["code"], *[t.get(c[1]) for c in columns]]))
    ws.append([export_stamp()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
