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
"""

from __future__ import annotations

from collections.abc import Iterable

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


def guard_wagtail_exports() -> None:
    """Route every value of Wagtail's CSV/XLSX listing exports through `spreadsheet_safe`
    (idempotent; called from `CoreConfig.ready`)."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    original = SpreadsheetExportMixin.preprocess_field_value
    if getattr(original, "formula_guard", False):
        return

    def preprocess_field_value(self, field, value, export_format):
        return spreadsheet_safe(original(self, field, value, export_format))

    preprocess_field_value.formula_guard = True
    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
