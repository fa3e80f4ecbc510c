"""Completion reports as files: the per-unit table (CSV with a BOM, Excel) and the member
list (Excel, streamed), every cell formula-safe (core.spreadsheet)."""

from __future__ import annotations

import csv
import io

from core.spreadsheet import export_stamp, local_naive, safe_row, time_heading
from elearning.courses.models import Assignment
from elearning.reports.selectors import completion_members
from organizations.models import OrgUnit

COLUMNS = [
    ("name", "组织"),
    ("code", "组织代码"),
    ("members", "应学人数"),
    ("started", "已开始"),
    ("completed", "已完成"),
    ("completion_rate", "完成率"),
    ("average_score", "考试平均分"),
    ("overdue", "逾期未完成"),
]


def _table(report: dict) -> list[list]:
    out = [[label for _, label in COLUMNS]]
    for r in [*report["rows"], {**report["total"], "name": report["total"]["name"] + "（合计）"}]:
        name = r["name"] + ("（本级）" if r["is_unit_itself"] and r in report["rows"] else "")
        out.append([name if k == "name" else r[k] for k, _ in COLUMNS])
    return out


def report_csv(report: dict) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(safe_row(row) for row in _table(report))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV right


def report_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "完成情况"
    ws.append(safe_row([f"{report['assignment']['course']} · {report['unit']['name']}"]))
    for row in _table(report):
        ws.append(safe_row(row))
    ws.append([export_stamp()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


STATUS_LABELS = {
    "completed": "已完成",
    "overdue": "已逾期",
    "in_progress": "学习中",
    "not_started": "未开始",
}
#: a whole group (140,000 members) fits in one sheet
MEMBERS_EXPORT_MAX = 200_000


def members_xlsx(*, user, assignment: Assignment, unit: OrgUnit, status: str | None = None):
    """The drill-down list as an Excel sheet (optionally one status: the overdue list a
    secretary sends round). Written in openpyxl's streaming mode."""
    from openpyxl import Workbook

    data = completion_members(
        user=user,
        assignment=assignment,
        unit=unit,
        limit=MEMBERS_EXPORT_MAX,
        status=status,
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(STATUS_LABELS.get(status, "党员明细"))
    title = f"{assignment.course.title} · {unit.name}"
    ws.append(safe_row([title + (f" · {STATUS_LABELS[status]}" if status else "")]))
    ws.append(
        ["姓名", "党员编号", "所在组织", "状态", "已完成课时", "考试成绩", time_heading("完成时间")]
    )
    for m in data["results"]:
        done = m["completed_at"]
        ws.append(
            safe_row(
                [
                    m["name"],
                    m["member_no"],
                    m["unit"],
                    STATUS_LABELS[m["status"]],
                    m["lessons_completed"],
                    m["best_score"],
                    local_naive(done),
                ]
            )
        )
    ws.append([f"共 {data['count']} 人；{export_stamp()}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
