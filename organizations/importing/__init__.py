"""Importing units and members from CSV or Excel (`manage.py import_org FILE` and the
admin's 导入 page). The public entry point is `org_import_file`.

File layout (documented in docs/operations.md "Importing the organisation"):
- units: columns code, name, kind, parent_code, country, timezone (+ optional is_active);
- members: member_no, name, unit_code (+ optional gender, join_date, category, birthday,
  phone, status);
- a CSV holds one of the two (recognised by its header); an Excel workbook may hold both
  on separate sheets (any sheet names). Chinese column names are accepted too.

Everything is validated first; any bad row means nothing is written, and the report
names the file/sheet, the row and the column. Re-importing a file updates by unit code /
member number, so it never duplicates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from .apply import Progress, _no_progress, apply_members, apply_units
from .files import ImportRefused, check_size, max_bytes, read_tables
from .validate import Issue, detect_kind, parse_members, parse_units

__all__ = ["ImportRefused", "ImportReport", "check_size", "max_bytes", "org_import_file"]


@dataclass
class ImportReport:
    file: str
    errors: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        c = self.counts
        return (
            f"组织：新增 {c['units_created']}，更新 {c['units_updated']}，未变 {c['units_unchanged']}；"
            f"党员：新增 {c['members_created']}，更新 {c['members_updated']}，未变 {c['members_unchanged']}"
        )


def org_import_file(
    *,
    name: str,
    data: bytes,
    user=None,
    dry_run: bool = False,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Validate and (unless `dry_run` or anything is wrong) import the file atomically.

    `user` limits the import to that user's managed subtree (None = a superuser/command).
    File-level problems come back as a report with one error, never as an exception."""
    report = ImportReport(file=name)
    try:
        tables, notes = read_tables(name, data)
        report.notes += notes
        kinds = {"units": [], "members": []}
        for table in tables:
            kinds[detect_kind(table)].append(table)
    except ImportRefused as exc:
        report.errors.append(Issue(name, None, None, str(exc)))
        return report
    units = parse_units(kinds["units"], user, report.errors)
    members = parse_members(kinds["members"], units, user, report.errors)
    if report.errors or dry_run:
        return report
    if not units and not members:
        report.errors.append(Issue(name, None, None, "文件中没有数据行"))
        return report
    with transaction.atomic():
        apply_units(units, report.counts, progress)
        apply_members(members, report.counts, user=user, progress=progress)
    report.written = True
    return report
