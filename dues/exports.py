"""The collection report as an Excel workbook (every cell through core.spreadsheet)."""

from __future__ import annotations

import io

from core.spreadsheet import export_stamp, safe_row
from dues.amounts import fen_to_yuan

HEADINGS = [
    "党组织",
    "编码",
    "应缴（元）",
    "已缴（元）",
    "欠缴（元）",
    "欠缴人数",
    "涉及党员数",
    "收缴率",
]


def _line(name, code, r) -> list:
    rate = f"{r['collected_fen'] / r['expected_fen']:.1%}" if r["expected_fen"] > 0 else "—"
    return safe_row(
        [
            name,
            code,
            float(fen_to_yuan(r["expected_fen"])),
            float(fen_to_yuan(r["collected_fen"])),
            float(fen_to_yuan(r["arrears_fen"])),
            r["members_in_arrears"],
            r["members"],
            rate,
        ]
    )


def report_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "党费收缴"
    period = f"{report['year']} 年" + (f" {report['month']} 月" if report["month"] else "全年")
    ws.append(safe_row([f"{report['unit']['name']} 党费收缴情况（{period}）"]))
    ws.append(HEADINGS)
    for r in report["rows"]:
        name = r["name"] + ("（本级）" if r["is_unit_itself"] else "")
        ws.append(_line(name, r["code"], r))
    ws.append(_line("合计", "", report["total"]))
    ws.append([export_stamp()])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
