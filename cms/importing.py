"""Book catalogue import (`manage.py import_books FILE.csv|xlsx [--covers DIR]`).

Two passes. Validation reads every row and checks it without touching the database row
by row (unit codes and existing ISBNs are looked up in bulk); every problem is reported
with its row number and field. If anything is wrong, nothing is written. Otherwise the
write pass runs in ONE transaction: new books with bulk_create, known ISBNs with
bulk_update (idempotent: re-importing the same file updates, never duplicates), in
batches. No per-row post_save fires, so search/reference indexing is deferred: after
commit `cms.signals.books_imported(ids=...)` is sent once and a task rebuilds the
reference index for books that got covers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from cms.models import Book
from cms.models.bookshelf import Language, book_file_path
from cms.validators import (
    book_max_bytes,
    clc_is_valid,
    isbn_is_valid,
    normalize_isbn,
    sniff_book_format,
)
from organizations.models import OrgUnit

HEADER_ALIASES = {
    "isbn": "isbn", "ISBN": "isbn", "书号": "isbn",
    "title": "title", "书名": "title", "题名": "title",
    "subtitle": "subtitle", "副书名": "subtitle",
    "authors": "authors", "author": "authors", "作者": "authors", "著者": "authors",
    "publisher": "publisher", "出版社": "publisher",
    "language": "language", "语种": "language",
    "category": "category", "分类号": "category", "中图法分类号": "category",
    "description": "description", "简介": "description", "内容简介": "description",
    "pub_year": "pub_year", "year": "pub_year", "出版年": "pub_year",
    "audience_unit": "audience_unit", "可见范围": "audience_unit",
    "owner_unit": "owner_unit", "管理单位": "owner_unit",
    "published": "published", "is_published": "published", "发布": "published", "已发布": "published",
    "file": "file", "文件": "file",
    "cover": "cover", "封面": "cover",
}  # fmt: skip
LANGUAGE_LOOKUP = {**{c.value: c.value for c in Language}, **{c.label: c.value for c in Language}}
TRUE = {"1", "true", "yes", "y", "是", "发布", "已发布", "√"}
FALSE = {"", "0", "false", "no", "n", "否", "未发布"}
COVER_EXTS = (".jpg", ".jpeg", ".png", ".webp")
UPDATE_FIELDS = [
    "title", "subtitle", "authors", "publisher", "language", "category", "description",
    "pub_year", "audience_unit", "owner_unit", "is_published", "updated_at",
]  # fmt: skip


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number (header = row 1)
    field: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 [{self.field}]：{self.message}"


class BookImportError(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"导入失败，共 {len(errors)} 处错误，未导入任何数据")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    ids: list[int] = field(default_factory=list)
    covers: int = 0
    files: int = 0


# --- reading ---------------------------------------------------------------------------
def decode_csv_bytes(raw: bytes, *, name: str = "") -> str:
    """UTF-8 (with or without BOM) first; otherwise detect (GBK/GB18030 from Excel on
    Chinese Windows is the usual case) with charset-normalizer."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for enc in ("gb18030",):  # superset of GBK/GB2312: the common Chinese Excel export
        try:
            text = raw.decode(enc)
            if "\ufffd" not in text:
                return text
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise BookImportError(
            [RowError(0, "文件", f"无法识别“{name}”的字符编码，请另存为 UTF-8 或 GBK 的 CSV")]
        )
    return str(best)


def read_table(path: Path) -> list[tuple[int, dict[str, str]]]:
    """[(row_number, {canonical_field: text})]; unknown columns are reported."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any broken workbook is a user error
            raise BookImportError(
                [RowError(0, "文件", f"无法打开 Excel 文件“{path.name}”：{exc}")]
            ) from exc
        rows_iter: Iterable = wb.active.iter_rows(values_only=True)
    elif suffix == ".csv":
        text = decode_csv_bytes(path.read_bytes(), name=path.name)
        rows_iter = csv.reader(io.StringIO(text))
    else:
        raise BookImportError(
            [RowError(0, "文件", f"不支持的文件类型“{path.suffix}”，请使用 .csv 或 .xlsx")]
        )
    rows_iter = iter(rows_iter)
    header = next(rows_iter, None)
    if not header:
        raise BookImportError([RowError(1, "表头", "文件为空或没有表头")])
    keys = []
    errors = []
    for col, name in enumerate(header, start=1):
        name = str(name or "").strip()
        key = HEADER_ALIASES.get(name) or HEADER_ALIASES.get(name.lower())
        if name and key is None:
            errors.append(RowError(1, name, f"第 {col} 列“{name}”不是可识别的列名"))
        keys.append(key)
    if "title" not in keys or "isbn" not in keys:
        errors.append(RowError(1, "表头", "缺少必需的列：书名(title) 和 ISBN(isbn)"))
    if errors:
        raise BookImportError(errors)
    out = []
    for number, values in enumerate(rows_iter, start=2):
        values = list(values or [])
        if not any(str(v).strip() for v in values if v is not None):
            continue  # blank line
        row = {}
        for key, value in zip(keys, values, strict=False):
            if key:
                row[key] = "" if value is None else str(value).strip()
        out.append((number, row))
    return out


# --- validation ------------------------------------------------------------------------
@dataclass
class ValidRow:
    number: int
    isbn: str
    values: dict
    file_path: Path | None = None
    file_format: str = ""
    cover_path: Path | None = None


def _find_cover(covers_dir: Path | None, row: dict, isbn: str) -> Path | None:
    if covers_dir is None:
        return None
    if row.get("cover"):
        p = covers_dir / row["cover"]
        return p
    for ext in COVER_EXTS:
        p = covers_dir / f"{isbn}{ext}"
        if p.exists():
            return p
    return None


def validate_rows(
    rows: list[tuple[int, dict]],
    *,
    base_dir: Path,
    covers_dir: Path | None,
    default_audience: OrgUnit | None,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> tuple[list[ValidRow], list[RowError]]:
    codes = {r.get(k) for _, r in rows for k in ("audience_unit", "owner_unit") if r.get(k)}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)} if codes else {}
    errors: list[RowError] = []
    valid: list[ValidRow] = []
    seen: dict[str, int] = {}
    limit = book_max_bytes()
    for number, row in progress(rows):
        row_errors: list[RowError] = []

        def err(fld, msg, _n=number, _e=row_errors):
            _e.append(RowError(_n, fld, msg))

        title = row.get("title", "")
        if not title:
            err("书名", "书名不能为空")
        elif len(title) > 300:
            err("书名", f"书名过长（{len(title)} 字，上限 300）")
        isbn = normalize_isbn(row.get("isbn", ""))
        if not isbn:
            err("ISBN", "ISBN 不能为空（导入按 ISBN 匹配已有图书）")
        elif not isbn_is_valid(isbn):
            err("ISBN", f"ISBN“{row.get('isbn')}”校验位错误或位数不对")
        elif isbn in seen:
            err("ISBN", f"ISBN {isbn} 与第 {seen[isbn]} 行重复")
        else:
            seen[isbn] = number
        lang_raw = row.get("language", "") or "zh"
        language = LANGUAGE_LOOKUP.get(lang_raw) or LANGUAGE_LOOKUP.get(lang_raw.lower())
        if language is None:
            err("语种", f"未知语种“{lang_raw}”，可用：{'、'.join(c.label for c in Language)}")
        category = (row.get("category") or "").upper()
        if category and not clc_is_valid(category):
            err(
                "分类号",
                f"未知的中图法分类号“{row.get('category')}”（22 个基本大类：A–Z 不含 L、M、W、Y）",
            )
        pub_year = None
        if row.get("pub_year"):
            try:
                pub_year = int(float(row["pub_year"]))
                if not 1000 <= pub_year <= 2100:
                    raise ValueError
            except ValueError:
                err("出版年", f"出版年“{row['pub_year']}”不是有效年份")
        unit_values = {}
        for key, label in (("audience_unit", "可见范围"), ("owner_unit", "管理单位")):
            code = row.get(key, "")
            if code and code not in units:
                err(label, f"党组织代码“{code}”不存在")
            unit_values[key] = (
                units.get(code) if code else (default_audience if key == "audience_unit" else None)
            )
        published_raw = (row.get("published") or "").strip().lower()
        if published_raw not in TRUE | FALSE:
            err("发布", f"“{row.get('published')}”应为 是/否 或 1/0")
        file_path, file_format = None, ""
        if row.get("file"):
            file_path = (base_dir / row["file"]).resolve()
            if not file_path.is_file():
                err("文件", f"找不到电子书文件“{row['file']}”")
            elif file_path.stat().st_size > limit:
                err("文件", f"文件“{row['file']}”超过大小上限 {limit / 1048576:.0f} MB")
            else:
                with file_path.open("rb") as fh:
                    file_format = sniff_book_format(fh) or ""
                if not file_format:
                    err(
                        "文件", f"“{row['file']}”不是有效的 PDF 或 EPUB（按内容检查，扩展名不算数）"
                    )
        cover_path = _find_cover(covers_dir, row, isbn)
        if row.get("cover") and covers_dir is None:
            err("封面", "指定了封面文件，但没有用 --covers 指定封面目录")
        elif cover_path is not None and not cover_path.is_file():
            err("封面", f"找不到封面图片“{cover_path.name}”")
        if row_errors:
            errors.extend(row_errors)
            continue
        valid.append(
            ValidRow(
                number=number,
                isbn=isbn,
                values={
                    "title": title,
                    "subtitle": row.get("subtitle", "")[:300],
                    "authors": row.get("authors", "")[:300],
                    "publisher": row.get("publisher", "")[:200],
                    "language": language,
                    "category": category,
                    "description": row.get("description", ""),
                    "pub_year": pub_year,
                    "audience_unit": unit_values["audience_unit"],
                    "owner_unit": unit_values["owner_unit"],
                    "is_published": published_raw in TRUE,
                },
                file_path=file_path,
                file_format=file_format,
                cover_path=cover_path,
            )
        )
    return valid, errors


# --- writing ---------------------------------------------------------------------------
def _existing_ids(isbns: list[str], chunk: int = 5000) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(isbns), chunk):
        out.update(Book.objects.filter(isbn__in=isbns[i : i + chunk]).values_list("isbn", "id"))
    return out


def books_import(
    *,
    path: Path,
    covers_dir: Path | None = None,
    default_audience: OrgUnit | None = None,
    batch_size: int = 2000,
    progress: Callable[..., Iterable] | None = None,
) -> ImportResult:
    """Validate then import `path` all-or-nothing. Raises BookImportError with every
    row's problems (nothing written)."""
    progress = progress or (lambda it, **kw: it)
    path = Path(path)
    rows = read_table(path)
    valid, errors = validate_rows(
        rows,
        base_dir=path.parent,
        covers_dir=Path(covers_dir) if covers_dir else None,
        default_audience=default_audience,
        progress=lambda it: progress(it, desc="校验", unit="行", total=len(rows)),
    )
    if errors:
        raise BookImportError(errors)
    result = ImportResult()
    saved_files: list[str] = []
    try:
        with transaction.atomic():
            result = _write(
                valid, batch_size=batch_size, progress=progress, saved_files=saved_files
            )
            ids = list(result.ids)
            with_covers = result.covers > 0
            transaction.on_commit(lambda: _after_commit(ids, with_covers))
    except Exception:
        for name in saved_files:  # files stored before the rollback must not linger
            default_storage.delete(name)
        raise
    return result


def _write(valid: list[ValidRow], *, batch_size, progress, saved_files) -> ImportResult:
    from cms.samples import wagtail_image

    result = ImportResult()
    existing = _existing_ids([v.isbn for v in valid])
    now = timezone.now()
    to_create: list[Book] = []
    to_update: list[Book] = []
    for v in valid:
        book = Book(isbn=v.isbn, **v.values)
        book.updated_at = now
        if v.file_path is not None:
            with v.file_path.open("rb") as fh:
                name = default_storage.save(
                    book_file_path(book, f"{v.isbn}.{v.file_format}"), File(fh)
                )
            saved_files.append(name)
            book.file.name = name
            book.file_format = v.file_format
            result.files += 1
        if v.cover_path is not None:
            image = wagtail_image(
                f"封面：{v.values['title']}"[:255], v.cover_path.read_bytes(), v.cover_path.name
            )
            saved_files.append(image.file.name)
            book.cover = image
            result.covers += 1
        if v.isbn in existing:
            book.pk = existing[v.isbn]
            to_update.append(book)
        else:
            to_create.append(book)
    for i in progress(range(0, len(to_create), batch_size), desc="新建", unit="批"):
        batch = to_create[i : i + batch_size]
        if connection.vendor == "postgresql":
            result.ids.extend(_copy_insert(batch))
        else:
            created = Book.objects.bulk_create(batch)
            result.ids.extend(b.pk for b in created if b.pk)
    result.created = len(to_create)
    fields = list(UPDATE_FIELDS)
    if any(b.cover_id for b in to_update):
        fields.append("cover")
    if any(b.file for b in to_update):
        fields += ["file", "file_format"]
    for i in progress(range(0, len(to_update), batch_size), desc="更新", unit="批"):
        _update_batch(to_update[i : i + batch_size], fields)
    result.updated = len(to_update)
    result.ids.extend(b.pk for b in to_update)
    if len(result.ids) < len(valid):  # backends without RETURNING ids (not PG/SQLite 3.35+)
        result.ids = list(
            Book.objects.filter(isbn__in=[v.isbn for v in valid]).values_list("id", flat=True)
        )
    return result


COPY_FIELDS = [
    "title", "subtitle", "authors", "publisher", "language", "category", "description",
    "pub_year", "audience_unit", "owner_unit", "is_published", "isbn", "file", "file_format",
    "cover", "created_at", "updated_at",
]  # fmt: skip


def _copy_insert(books: list[Book]) -> list[int]:
    """PostgreSQL: insert a batch with COPY (no per-row INSERT parameters to build), then
    read the new ids back by ISBN in one query."""
    fields = [Book._meta.get_field(f) for f in COPY_FIELDS]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    now = timezone.now()
    with connection.cursor() as cur:
        with cur.cursor.copy(f'COPY "{Book._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for b in books:
                copy.write_row(
                    (
                        b.title, b.subtitle, b.authors, b.publisher, b.language, b.category,
                        b.description, b.pub_year, b.audience_unit_id, b.owner_unit_id,
                        b.is_published, b.isbn, b.file.name or "", b.file_format, b.cover_id,
                        now, now,
                    )
                )  # fmt: skip
    return list(Book.objects.filter(isbn__in=[b.isbn for b in books]).values_list("id", flat=True))


def _update_batch(books: list[Book], fields: list[str]) -> None:
    """Update many rows with different values. On PostgreSQL: ONE
    ``UPDATE … FROM (VALUES …)`` statement per batch (Django's bulk_update builds a
    CASE WHEN per field and row, which PostgreSQL plans very slowly for large batches)."""
    if connection.vendor != "postgresql":
        Book.objects.bulk_update(books, fields, batch_size=500)
        return
    model_fields = [Book._meta.get_field(f) for f in fields]
    columns = [f.column for f in model_fields]
    casts = [f.db_type(connection) for f in model_fields]
    table = Book._meta.db_table
    row_sql = "(%s::bigint, " + ", ".join(f"%s::{c}" for c in casts) + ")"
    params: list = []
    for book in books:
        params.append(book.pk)
        for f in model_fields:
            params.append(
                f.get_db_prep_save(
                    f.pre_save(book, False) if f.name != "updated_at" else book.updated_at,
                    connection,
                )
            )
    values = ", ".join([row_sql] * len(books))
    sets = ", ".join(f'"{c}" = v."{c}"' for c in columns)
    col_list = ", ".join(f'"{c}"' for c in ["id", *columns])
    with connection.cursor() as cur:
        cur.execute(
            f'UPDATE "{table}" AS b SET {sets} FROM (VALUES {values}) AS v({col_list}) WHERE b.id = v.id',  # noqa: S608
            params,
        )


def _after_commit(ids: list[int], with_covers: bool) -> None:
    from cms.signals import books_imported

    books_imported.send(sender=Book, ids=ids)
    if with_covers:
        from cms.tasks import books_reference_index_update

        books_reference_index_update.enqueue(ids)
