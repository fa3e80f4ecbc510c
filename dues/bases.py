"""Setting members' yearly dues base and category: one at a time (admin form) or from
an Excel sheet (validate every row, then write all of them in one transaction — or none,
with a report naming each bad row)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.db import transaction

from dues.amounts import yuan_to_fen
from dues.errors import DuesError
from dues.rules import Category, DuesBase
from dues.selectors import access_member_for_dues, treasurer_scope
from organizations.models import Member

HEADERS = ("党员编号", "交纳类别", "月缴费基数（元）")
_CATEGORY_BY_LABEL = {str(label): value for value, label in Category.choices}
_CATEGORY_BY_LABEL.update({value: value for value in Category.values})


def base_set(*, user, member_id: int, year: int, category: str, base_fen: int) -> DuesBase:
    member = access_member_for_dues(user, member_id)
    if category not in Category.values:
        raise DuesError(f"未知的交纳类别：{category}", code="bad_category")
    if base_fen < 0:
        raise DuesError("缴费基数不能为负数", code="bad_base")
    if not 2000 <= year <= 2100:
        raise DuesError(f"年度不正确：{year}", code="bad_year")
    with transaction.atomic():
        base, _ = DuesBase.objects.update_or_create(
            member=member,
            year=year,
            defaults={
                "unit": member.unit,
                "category": category,
                "base_fen": base_fen,
                "set_by": user,
            },
        )
    return base


@dataclass
class ImportReport:
    rows: int = 0
    written: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def bases_import(*, user, data: bytes, year: int) -> ImportReport:
    """Rows 党员编号 | 交纳类别 | 月缴费基数（元） under a header row. Every member must be
    in the user's treasurer scope; all-or-nothing."""
    from openpyxl import load_workbook

    from core.spreadsheet import spreadsheet_unescape

    report = ImportReport()
    if not 2000 <= year <= 2100:
        report.errors.append(f"年度不正确：{year}")
        return report
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:
        report.errors.append("无法读取文件：请上传 .xlsx 格式的 Excel 文件")
        return report
    rows = list(sheet.iter_rows(values_only=True))
    if not rows or tuple(str(c or "").strip() for c in rows[0][:3]) != HEADERS:
        report.errors.append("第 1 行应为表头：" + " | ".join(HEADERS))
        return report
    parsed: list[tuple[int, str, str, int]] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        cells = list(row[:3]) + [None] * (3 - len(row[:3]))
        if all(c in (None, "") for c in cells):
            continue
        report.rows += 1
        no = spreadsheet_unescape(str(cells[0] or "").strip())
        cat_text = str(cells[1] or "").strip()
        if not no:
            report.errors.append(f"第 {n} 行：缺少党员编号")
            continue
        if no in seen:
            report.errors.append(f"第 {n} 行：党员编号 {no} 与第 {seen[no]} 行重复")
            continue
        seen[no] = n
        category = _CATEGORY_BY_LABEL.get(cat_text)
        if category is None:
            report.errors.append(
                f"第 {n} 行：交纳类别“{cat_text}”不正确，应为："
                + "、".join(map(str, Category.labels))
            )
            continue
        try:
            base_fen = yuan_to_fen(cells[2] if cells[2] is not None else "0")
        except ValueError as exc:
            report.errors.append(f"第 {n} 行：月缴费基数 {exc}")
            continue
        if base_fen < 0:
            report.errors.append(f"第 {n} 行：月缴费基数不能为负数")
            continue
        parsed.append((n, no, category, base_fen))
    members = {
        m.member_no: m
        for m in Member.objects.filter(member_no__in=[p[1] for p in parsed])
        .filter(treasurer_scope(user).units_q("unit__path"))
        .select_related("unit")
    }
    for n, no, _, _ in parsed:
        if no not in members:
            report.errors.append(f"第 {n} 行：党员编号 {no} 不存在或不在您管理的党组织内")
    if report.errors:
        return report
    with transaction.atomic():
        existing = {
            b.member_id: b
            for b in DuesBase.objects.filter(
                year=year, member_id__in=[m.pk for m in members.values()]
            )
        }
        new, changed = [], []
        for _, no, category, base_fen in parsed:
            member = members[no]
            base = existing.get(member.pk)
            if base is None:
                new.append(
                    DuesBase(
                        member=member,
                        unit=member.unit,
                        year=year,
                        category=category,
                        base_fen=base_fen,
                        set_by=user,
                    )
                )
            else:
                base.category, base.base_fen, base.unit, base.set_by = (
                    category,
                    base_fen,
                    member.unit,
                    user,
                )
                changed.append(base)
        DuesBase.objects.bulk_create(new, batch_size=2000)
        DuesBase.objects.bulk_update(
            changed, ["category", "base_fen", "unit", "set_by"], batch_size=2000
        )
    report.written = len(parsed)
    return report


def bases_template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "党费基数"
    ws.append(list(HEADERS))
    ws.append(["（示例）20240001", "在职", "6500.00"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
