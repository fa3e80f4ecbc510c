"""The ledger completion grid as an Excel sheet: a row per child unit, a column per item
(accepted / expected, filled by state), the per-item rates beneath; formula-safe."""

from __future__ import annotations

import io

from core.spreadsheet import export_stamp, safe_row

FILLS = {
    "accepted": "C6EFCE",
    "submitted": "FFEB9C",
    "partial": "FFEB9C",
    "returned": "F8CBAD",
    "missing": "FFC7CE",
}
STATE_LABELS = {
    "accepted": "已通过",
    "submitted": "待审核",
    "partial": "部分完成",
    "returned": "已退回",
    "missing": "未报告",
}


def grid_xlsx(grid: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "台账完成情况"
    items = grid.get("items", [])
    ws.append(safe_row([f"{grid['unit']['name']} · 电子台账 · {grid['period']['label']}"]))
    ws.append(safe_row(["组织", "完成率", *[f"{i['code']} {i['title']}" for i in items]]))
    for row in grid["rows"]:
        name = row["name"] + ("（本级）" if row["is_unit_itself"] else "")
        cells = []
        for i in items:
            c = row["cells"].get(i["item_id"])
            cells.append(f"{c['accepted']}/{c['expected']}" if c else "—")
        ws.append(safe_row([name, row["completion_rate"], *cells]))
        for col, i in enumerate(items, start=3):
            c = row["cells"].get(i["item_id"])
            if c:
                ws.cell(row=ws.max_row, column=col).fill = PatternFill(
                    "solid", fgColor=FILLS[c["state"]]
                )
    ws.append(
        safe_row(
            [
                "各事项完成率",
                grid["total"]["completion_rate"],
                *[i["completion_rate"] for i in items],
            ]
        )
    )
    ws.append(safe_row(["图例", *[f"{v}" for v in STATE_LABELS.values()]]))
    ws.append([export_stamp()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
