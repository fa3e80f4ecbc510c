"""The preference and assessment reports as Excel workbooks (every cell formula-safe:
core.spreadsheet.safe_row)."""

from __future__ import annotations

import io

from core.spreadsheet import export_stamp, safe_row


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def preferences_xlsx(report: dict, top: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "阅读偏好"
    unit = report["unit"]["name"]
    ws.append(
        safe_row([f"{unit} · {report['date_from']} 至 {report['date_to']} · 各单位党员阅读偏好"])
    )
    channels = report["channels"]
    ws.append(safe_row(["单位", "组织代码", "阅读数", *[f"{c['label']}占比" for c in channels]]))
    for row in report["rows"]:
        name = row["name"] + ("（本级）" if row["is_unit_itself"] else "")
        shares = [_pct(row["shares"].get(c["channel"])) for c in channels]
        ws.append(safe_row([name, row["code"], row["reads"], *shares]))
    ws.append([export_stamp()])
    for title, rows, key in (
        ("热门内容", top["items"], "title"),
        ("热门频道", top["channels"], "label"),
        ("热门标签", top["tags"], "tag"),
    ):
        sheet = wb.create_sheet(title)
        sheet.append(safe_row(["名称", "阅读", "读者", "点赞", "分享", "点击", "点击率", "转发率"]))
        for r in rows:
            sheet.append(
                safe_row(
                    [
                        r[key],
                        r["reads"],
                        r["readers"],
                        r["likes"],
                        r["shares"],
                        r["clicks"],
                        _pct(r["click_rate"]),
                        _pct(r["forward_rate"]),
                    ]
                )
            )
    return _save(wb)


ASSESSMENT_COLUMNS = [
    ("rank", "名次"),
    ("editor", "编辑"),
    ("team", "团队（发布单位）"),
    ("published", "发布数"),
    ("first_pass", "一次通过审核数"),
    ("first_pass_rate", "一次通过率"),
    ("reads", "阅读数"),
    ("likes", "点赞数"),
    ("shares", "分享数"),
    ("forward_rate", "转发率"),
    ("score", "综合得分"),
]


def assessment_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "内容团队考核"
    ws.append(safe_row([f"{report['unit']['name']} · {report['month']} · 内容团队考核"]))
    ws.append(safe_row([report["formula"]]))
    ws.append(safe_row([label for _, label in ASSESSMENT_COLUMNS]))
    for row in report["rows"]:
        values = []
        for key, _ in ASSESSMENT_COLUMNS:
            v = row[key]
            values.append(_pct(v) if key.endswith("_rate") else v)
        ws.append(safe_row(values))
    ws.append([export_stamp()])
    for figures in report.get("team_figures", []):  # what other apps add (core.assessment)
        sheet = wb.create_sheet(figures["label"][:31])
        sheet.append(safe_row(["团队（单位）", *(c["label"] for c in figures["columns"])]))
        for team in figures["rows"]:
            sheet.append(safe_row([team["team"], *team["values"]]))
    return _save(wb)
