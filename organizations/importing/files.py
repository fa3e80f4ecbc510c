"""Reading an uploaded CSV or Excel file into tables of rows, refusing what is not one.

File-level problems (too big, not CSV/Excel, undecodable) raise `ImportRefused` with a
Chinese message naming the file; nothing else is read."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath

from django.conf import settings

from core.errors import DomainError
from core.spreadsheet import spreadsheet_unescape
from core.textfile import UnsupportedEncoding, decode_csv_bytes


class ImportRefused(DomainError):
    """The file as a whole cannot be imported (size, type, encoding, columns)."""

    code = "import_refused"


@dataclass
class Table:
    """One CSV file or one Excel sheet: the header and (row number, cells) pairs."""

    source: str  # "members.csv" or "members.xlsx › 党员"
    header: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)


def max_bytes() -> int:
    return int(getattr(settings, "EHOME_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def check_size(name: str, size: int) -> None:
    if size > max_bytes():
        raise ImportRefused(f"文件“{name}”过大（{_mb(size)}），导入文件上限为 {_mb(max_bytes())}")


def read_tables(name: str, data: bytes) -> tuple[list[Table], list[str]]:
    """Tables found in the file plus notes (e.g. the detected encoding)."""
    check_size(name, len(data))
    if not data.strip():
        raise ImportRefused(f"文件“{name}”是空的")
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xls":
        raise ImportRefused(
            f"文件“{name}”是旧版 Excel (.xls) 格式，请在 Excel 中另存为 .xlsx 或 CSV"
        )
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(name, data), []
    if suffix in (".csv", ".txt", ""):
        if data[:4] == b"PK\x03\x04":  # an .xlsx renamed to .csv
            return _read_xlsx(name, data), []
        return _read_csv(name, data)
    raise ImportRefused(
        f"文件“{name}”的类型（{suffix}）不受支持：请上传 CSV（.csv）或 Excel（.xlsx）文件"
    )


def decode_text(name: str, data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without the BOM Excel writes) or GBK/GB18030;
    anything else is refused (core.textfile explains how Latin-1 is told from GBK)."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(
            f"文件“{name}”不是文本 CSV 文件（包含二进制内容）：请上传 CSV 或 .xlsx 文件"
        )
    try:
        return decode_csv_bytes(data)
    except UnsupportedEncoding as exc:
        raise ImportRefused(exc.message(name)) from None


def _read_csv(name: str, data: bytes) -> tuple[list[Table], list[str]]:
    text, encoding = decode_text(name, data)
    notes = (
        [] if encoding.startswith("UTF-8") else [f"文件编码识别为 {encoding}，已自动转换为 UTF-8"]
    )
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportRefused(f"文件“{name}”不是有效的 CSV：{exc}")
    return [_table(name, rows)], notes


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(name: str, data: bytes) -> list[Table]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRefused(f"文件“{name}”不是有效的 Excel (.xlsx) 文件：{exc}")
    tables = []
    try:
        for sheet in book.worksheets:
            rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            table = _table(f"{name} › {sheet.title}", rows)
            if table.header:
                tables.append(table)
    finally:
        book.close()
    if not tables:
        raise ImportRefused(f"文件“{name}”中没有数据")
    return tables


def _table(source: str, rows: list[list]) -> Table:
    # Skip leading blank lines; the first non-blank row is the header.
    start = 0
    while start < len(rows) and not any(str(c).strip() for c in rows[start]):
        start += 1
    if start >= len(rows):
        return Table(source=source, header=[])
    header = [str(c).strip().lstrip("\ufeff") for c in rows[start]]
    while header and not header[-1]:
        header.pop()
    table = Table(source=source, header=header)
    for offset, row in enumerate(rows[start + 1 :], start=start + 2):
        if any(str(c).strip() for c in row):
            # a member export read back: '+86… / '=… were protected against formulas
            table.rows.append((offset, [spreadsheet_unescape(c) for c in row]))
    return table
