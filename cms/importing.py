"""Book catalogue import (`manage.py import_books FILE.csv|xlsx [--covers DIR]`).

Two passes. Validation reads every row and checks it without touching the database row
by row (unit codes are looked up in bulk, cover file names listed once); every problem is
reported with its row number and field. If anything is wrong, nothing is written.
Validation yields one plain tuple per row (no model instance). The write pass runs in ONE
transaction: on PostgreSQL every row is COPYed into a temporary table, then one
``UPDATE … FROM`` updates the ISBNs already in the catalogue and one ``INSERT … SELECT``
adds the others (idempotent: re-importing the same file updates, never duplicates); other
databases use bulk_create/bulk_update. No per-row post_save fires, so search/reference
indexing is deferred: after commit `cms.signals.books_imported(ids=...)` is sent once and
a task rebuilds the reference index for books that got covers.

Over 400 lines: the validation pass and the one-transaction write pass share the row
tuple and the error wording; split apart, each would need the other's internals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
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
from core.errors import DomainError
from core.textfile import UnsupportedEncoding
from core.textfile import decode_csv_bytes as decode_csv_text
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


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number (header = row 1)
    field: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 [{self.field}]：{self.message}"


class BookImportError(DomainError):
    """Every problem of a catalogue file (`errors`); nothing was imported."""

    code = "import_refused"

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
    """UTF-8 (with or without BOM) or GBK/GB18030 (Excel on Chinese Windows); anything
    else (Latin-1 …) is refused rather than guessed (core.textfile)."""
    try:
        return decode_csv_text(raw)[0]
    except UnsupportedEncoding as exc:
        raise BookImportError([RowError(0, "文件", exc.message(name))]) from None


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
#: What validation yields per row, in this order (Book attnames); the write pass appends
#: WRITE_EXTRA. Plain tuples: no model instance is built per row on PostgreSQL.
ROW_FIELDS = (
    "isbn", "title", "subtitle", "authors", "publisher", "language", "category",
    "description", "pub_year", "audience_unit_id", "owner_unit_id", "is_published",
)  # fmt: skip
WRITE_EXTRA = ("file", "file_format", "cover_id")
WRITE_FIELDS = ROW_FIELDS + WRITE_EXTRA
_NO_FILES = ("", "", None)
_PUBLISHED_VALUES = TRUE | FALSE


@dataclass(slots=True)
class ValidRow:
    number: int
    values: tuple  # aligned with ROW_FIELDS
    file_path: Path | None = None
    file_format: str = ""
    cover_path: Path | None = None

    @property
    def isbn(self) -> str:
        return self.values[0]


def _cover_lookup(covers_dir: Path | None) -> dict[str, Path]:
    """{file name: path} of the cover directory, read once (not 4 stat calls per row)."""
    if covers_dir is None:
        return {}
    return {p.name: p for p in covers_dir.iterdir() if p.suffix.lower() in COVER_EXTS}


def _find_cover(
    covers_dir: Path | None, row: dict, isbn: str, known: dict[str, Path]
) -> Path | None:
    if covers_dir is None:
        return None
    if row.get("cover"):
        return covers_dir / row["cover"]
    for ext in COVER_EXTS:
        p = known.get(f"{isbn}{ext}")
        if p is not None:
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
    unit_ids = (
        dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "pk")) if codes else {}
    )
    default_audience_id = default_audience.pk if default_audience is not None else None
    errors: list[RowError] = []
    valid: list[ValidRow] = []
    seen: dict[str, int] = {}
    limit = book_max_bytes()
    category_ok = lru_cache(maxsize=4096)(clc_is_valid)  # the same few codes repeat
    covers = _cover_lookup(covers_dir)
    for number, row in progress(rows):
        get = row.get
        errs: list[tuple[str, str]] = []
        title = get("title", "")
        if not title:
            errs.append(("书名", "书名不能为空"))
        elif len(title) > 300:
            errs.append(("书名", f"书名过长（{len(title)} 字，上限 300）"))
        isbn = normalize_isbn(get("isbn", ""))
        if not isbn:
            errs.append(("ISBN", "ISBN 不能为空（导入按 ISBN 匹配已有图书）"))
        elif not isbn_is_valid(isbn):
            errs.append(("ISBN", f"ISBN“{get('isbn')}”校验位错误或位数不对"))
        elif isbn in seen:
            errs.append(("ISBN", f"ISBN {isbn} 与第 {seen[isbn]} 行重复"))
        else:
            seen[isbn] = number
        lang_raw = get("language", "") or "zh"
        language = LANGUAGE_LOOKUP.get(lang_raw) or LANGUAGE_LOOKUP.get(lang_raw.lower())
        if language is None:
            labels = "、".join(c.label for c in Language)
            errs.append(("语种", f"未知语种“{lang_raw}”，可用：{labels}"))
        category = (get("category") or "").upper()
        if category and not category_ok(category):
            errs.append(
                (
                    "分类号",
                    f"未知的中图法分类号“{get('category')}”（22 个基本大类：A–Z 不含 L、M、W、Y）",
                )
            )
        pub_year = None
        if get("pub_year"):
            try:
                pub_year = int(float(row["pub_year"]))
                if not 1000 <= pub_year <= 2100:
                    raise ValueError
            except ValueError:
                errs.append(("出版年", f"出版年“{row['pub_year']}”不是有效年份"))
        audience_code, owner_code = get("audience_unit", ""), get("owner_unit", "")
        audience_id, owner_id = default_audience_id, None
        if audience_code:
            audience_id = unit_ids.get(audience_code)
            if audience_id is None:
                errs.append(("可见范围", f"党组织代码“{audience_code}”不存在"))
        if owner_code:
            owner_id = unit_ids.get(owner_code)
            if owner_id is None:
                errs.append(("管理单位", f"党组织代码“{owner_code}”不存在"))
        published_raw = (get("published") or "").strip().lower()
        if published_raw not in _PUBLISHED_VALUES:
            errs.append(("发布", f"“{get('published')}”应为 是/否 或 1/0"))
        file_path, file_format = None, ""
        if get("file"):
            file_path = (base_dir / row["file"]).resolve()
            if not file_path.is_file():
                errs.append(("文件", f"找不到电子书文件“{row['file']}”"))
            elif file_path.stat().st_size > limit:
                errs.append(("文件", f"文件“{row['file']}”超过大小上限 {limit / 1048576:.0f} MB"))
            else:
                with file_path.open("rb") as fh:
                    file_format = sniff_book_format(fh) or ""
                if not file_format:
                    errs.append(
                        (
                            "文件",
                            f"“{row['file']}”不是有效的 PDF 或 EPUB（按内容检查，扩展名不算数）",
                        )
                    )
        cover_path = None
        if covers_dir is not None:
            cover_path = _find_cover(covers_dir, row, isbn, covers)
            if cover_path is not None and not cover_path.is_file():
                errs.append(("封面", f"找不到封面图片“{cover_path.name}”"))
        elif get("cover"):
            errs.append(("封面", "指定了封面文件，但没有用 --covers 指定封面目录"))
        if errs:
            errors.extend(RowError(number, f, m) for f, m in errs)
            continue
        valid.append(
            ValidRow(
                number,
                (
                    isbn,
                    title,
                    get("subtitle", "")[:300],
                    get("authors", "")[:300],
                    get("publisher", "")[:200],
                    language,
                    category,
                    get("description", ""),
                    pub_year,
                    audience_id,
                    owner_id,
                    published_raw in TRUE,
                ),
                file_path,
                file_format,
                cover_path,
            )
        )
    return valid, errors


# --- writing ---------------------------------------------------------------------------
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
    """Store the files and covers, then write the rows (tuples in WRITE_FIELDS order)."""
    result = ImportResult()
    rows: list[tuple] = []
    for v in valid:
        if v.file_path is None and v.cover_path is None:
            rows.append(v.values + _NO_FILES)
            continue
        file_name, cover_id = "", None
        if v.file_path is not None:
            with v.file_path.open("rb") as fh:
                file_name = default_storage.save(
                    book_file_path(Book(isbn=v.isbn), f"{v.isbn}.{v.file_format}"), File(fh)
                )
            saved_files.append(file_name)
            result.files += 1
        if v.cover_path is not None:
            from cms.samples import wagtail_image

            title = v.values[1]
            image = wagtail_image(
                f"封面：{title}"[:255], v.cover_path.read_bytes(), v.cover_path.name
            )
            saved_files.append(image.file.name)
            cover_id = image.pk
            result.covers += 1
        rows.append(v.values + (file_name, v.file_format if file_name else "", cover_id))
    now = timezone.now()
    if connection.vendor == "postgresql":
        created, updated = _pg_write(rows, now=now, batch_size=batch_size, progress=progress)
    else:
        created, updated = _orm_write(rows, now=now, batch_size=batch_size, progress=progress)
    result.created, result.updated = len(created), len(updated)
    result.ids = updated + created
    return result


STAGE_TABLE = "cms_book_import_stage"


def _pg_write(rows: list[tuple], *, now, batch_size, progress) -> tuple[list[int], list[int]]:
    """PostgreSQL: COPY every row into a temporary table, then ONE ``UPDATE … FROM`` for
    the ISBNs already in the catalogue and ONE ``INSERT … SELECT`` for the new ones, both
    ``RETURNING id``. A row without a file or cover keeps the book's existing one."""
    fields = [Book._meta.get_field(name) for name in WRITE_FIELDS]
    cols = [f.column for f in fields]
    q = connection.ops.quote_name
    table, stage = q(Book._meta.db_table), q(STAGE_TABLE)
    col_defs = ", ".join(
        f"{q(c)} {f.db_type(connection)}" for c, f in zip(cols, fields, strict=True)
    )
    col_list = ", ".join(q(c) for c in cols)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {stage} (ord integer GENERATED ALWAYS AS IDENTITY, "
            f"{col_defs}) ON COMMIT DROP"
        )
        for i in progress(range(0, len(rows), batch_size), desc="写入", unit="批"):
            with cur.cursor.copy(f"COPY {stage} ({col_list}) FROM STDIN") as copy:
                for row in rows[i : i + batch_size]:
                    copy.write_row(row)
        cur.execute(f"ANALYZE {stage}")
        keep = {"file", "file_format", "cover_id"}
        sets = [f"{q(c)} = s.{q(c)}" for c in cols if c not in keep and c != "isbn"]
        sets += [
            f"{q('cover_id')} = COALESCE(s.{q('cover_id')}, b.{q('cover_id')})",
            f"{q('file')} = CASE WHEN s.{q('file')} <> '' THEN s.{q('file')} ELSE b.{q('file')} END",
            f"{q('file_format')} = CASE WHEN s.{q('file')} <> '' "
            f"THEN s.{q('file_format')} ELSE b.{q('file_format')} END",
            f"{q('updated_at')} = %s",
        ]
        cur.execute(
            f"UPDATE {table} AS b SET {', '.join(sets)} FROM {stage} AS s "  # noqa: S608
            f"WHERE b.{q('isbn')} = s.{q('isbn')} RETURNING b.{q('id')}",
            [now],
        )
        updated = [r[0] for r in cur.fetchall()]
        cur.execute(
            f"INSERT INTO {table} ({col_list}, {q('created_at')}, {q('updated_at')}) "  # noqa: S608
            f"SELECT {', '.join('s.' + q(c) for c in cols)}, %s, %s FROM {stage} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS b WHERE b.{q('isbn')} = s.{q('isbn')}) "
            f"ORDER BY s.ord RETURNING {q('id')}",
            [now, now],
        )
        created = [r[0] for r in cur.fetchall()]
        cur.execute(f"DROP TABLE {stage}")
    return created, updated


def _existing_ids(isbns: list[str], chunk: int = 5000) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(isbns), chunk):
        out.update(Book.objects.filter(isbn__in=isbns[i : i + chunk]).values_list("isbn", "id"))
    return out


def _orm_write(rows: list[tuple], *, now, batch_size, progress) -> tuple[list[int], list[int]]:
    """Other databases (SQLite in tests and development): bulk_create / bulk_update."""
    existing = _existing_ids([r[0] for r in rows])
    to_create: list[Book] = []
    to_update: list[Book] = []
    for row in rows:
        book = Book(**dict(zip(WRITE_FIELDS, row, strict=True)))
        book.created_at = book.updated_at = now
        if book.isbn in existing:
            book.pk = existing[book.isbn]
            to_update.append(book)
        else:
            to_create.append(book)
    created: list[int] = []
    for i in progress(range(0, len(to_create), batch_size), desc="新建", unit="批"):
        done = Book.objects.bulk_create(to_create[i : i + batch_size])
        created.extend(b.pk for b in done if b.pk)
    if len(created) < len(to_create):  # backends without RETURNING ids
        created = list(
            Book.objects.filter(isbn__in=[b.isbn for b in to_create]).values_list("id", flat=True)
        )
    fields = [f for f in ROW_FIELDS if f != "isbn"] + ["updated_at"]
    for i in progress(range(0, len(to_update), batch_size), desc="更新", unit="批"):
        Book.objects.bulk_update(to_update[i : i + batch_size], fields, batch_size=500)
    # a row without a file or cover keeps the book's existing one
    with_cover = [b for b in to_update if b.cover_id]
    with_file = [b for b in to_update if b.file]
    if with_cover:
        Book.objects.bulk_update(with_cover, ["cover"], batch_size=500)
    if with_file:
        Book.objects.bulk_update(with_file, ["file", "file_format"], batch_size=500)
    return created, [b.pk for b in to_update]


def _after_commit(ids: list[int], with_covers: bool) -> None:
    from cms.signals import books_imported

    books_imported.send(sender=Book, ids=ids)
    if with_covers:
        from cms.tasks import books_reference_index_update

        books_reference_index_update.enqueue(ids)
