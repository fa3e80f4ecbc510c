"""Spreadsheet exports never carry a live formula (CSV/formula injection, OWASP).

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, WPS and LibreOffice when the file is opened — a unit or member
named ``=HYPERLINK("http://evil","点我")`` would become a live link in every export.
`spreadsheet_safe` prefixes such text with a single quote, which every spreadsheet shows
as text; numbers, dates and booleans are left alone (a negative *number* stays a number).
Every export goes through it: our own CSV/Excel writers call `safe_row`, and
`guard_wagtail_exports` wraps Wagtail's `SpreadsheetExportMixin` once, which covers every
admin listing export (``list_export`` on viewsets and reports, Wagtail's own reports too).
Imports that read our exports back call `spreadsheet_unescape`.

Times are written in the viewer's time zone — Django's current time zone when the export
is requested: the member's unit zone in the portal (`portal.access.portal_view`), the
Wagtail profile's zone (default ``TIME_ZONE``) in the admin — exactly as the page shows
them, and every time column says which zone it is in (`time_heading`): an Excel cell
carries no zone, and UTC there reads 8 hours off the page in Beijing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def spreadsheet_safe(value):
    """`value` as it may be written to a CSV or Excel cell: text that a spreadsheet
    would read as a formula gets a leading single quote; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return ESCAPE + value
    return value


def safe_row(row: Iterable) -> list:
    return [spreadsheet_safe(v) for v in row]


def spreadsheet_unescape(text: str) -> str:
    """The inverse for text read back from one of our exports: ``'=x`` → ``=x``."""
    if isinstance(text, str) and text.startswith(ESCAPE) and text[1:2] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def export_zone() -> dt.tzinfo:
    """The zone an export's times are written in: the viewer's current time zone."""
    return timezone.get_current_timezone()


def zone_label(tz: dt.tzinfo | None = None, *, at: dt.datetime | None = None) -> str:
    """``Asia/Shanghai，UTC+8`` — the IANA name and the offset in force `at` (now)."""
    tz = tz or export_zone()
    offset = (at or timezone.now()).astimezone(tz).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    name = getattr(tz, "key", None) or str(tz)
    return f"{name}，UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def time_heading(label: str, tz: dt.tzinfo | None = None) -> str:
    """A time column's heading naming its zone: ``完成时间（Asia/Shanghai，UTC+8）``."""
    return f"{label}（{zone_label(tz)}）"


def local_naive(value, tz: dt.tzinfo | None = None):
    """A datetime as the wall-clock time in `tz` (the viewer's zone), without tzinfo —
    what openpyxl can store; anything else unchanged. A naive datetime is UTC: the
    database stores UTC, and raw SQL on SQLite hands it back without a zone."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=dt.UTC)
        return timezone.make_naive(value, tz or export_zone())
    return value


def export_stamp(tz: dt.tzinfo | None = None) -> str:
    """``导出时间（Asia/Shanghai，UTC+8）：2026-12-07 06:39`` for a sheet's footer."""
    tz = tz or export_zone()
    return f"导出时间（{zone_label(tz)}）：{timezone.now().astimezone(tz):%Y-%m-%d %H:%M}"


def _is_datetime_field(model, path: str) -> bool:
    """Whether the dotted `path` of a ``list_export`` names a model DateTimeField."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models

    parts = path.replace("__", ".").split(".")
    for i, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return False
        if i < len(parts) - 1:
            model = getattr(field, "related_model", None)
            if model is None:
                return False
    return isinstance(field, models.DateTimeField)


def guard_wagtail_exports() -> None:
    """Wagtail's CSV/XLSX listing exports (``list_export`` on our viewsets and reports,
    Wagtail's own reports): every value through `spreadsheet_safe`, datetimes in the
    viewer's zone (Wagtail writes UTC) and their headings naming it. Idempotent; called
    from `CoreConfig.ready`."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    original = SpreadsheetExportMixin.preprocess_field_value
    if getattr(original, "formula_guard", False):
        return
    original_heading = SpreadsheetExportMixin.get_heading
    original_as_spreadsheet = SpreadsheetExportMixin.as_spreadsheet

    def as_spreadsheet(self, queryset, spreadsheet_format):
        # CSV is streamed after the view returns, outside the admin's time-zone
        # override: keep the zone the request was answered in.
        self.spreadsheet_zone = export_zone()
        return original_as_spreadsheet(self, queryset, spreadsheet_format)

    def preprocess_field_value(self, field, value, export_format):
        value = local_naive(value, getattr(self, "spreadsheet_zone", None))
        return spreadsheet_safe(original(self, field, value, export_format))

    def get_heading(self, queryset, field):
        heading = original_heading(self, queryset, field)
        # a report may hand over a list (Wagtail's site history merges log models)
        model = getattr(queryset, "model", None) or (type(queryset[0]) if queryset else None)
        if model is not None and _is_datetime_field(model, field):
            return time_heading(heading, getattr(self, "spreadsheet_zone", None))
        return heading

    preprocess_field_value.formula_guard = True
    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
    SpreadsheetExportMixin.get_heading = get_heading
    SpreadsheetExportMixin.as_spreadsheet = as_spreadsheet
