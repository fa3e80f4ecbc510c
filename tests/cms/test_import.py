"""`manage.py import_books`: per-row errors and all-or-nothing, GBK CSV, XLSX,
idempotency by ISBN, files checked by content, deferred indexing signal."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cms.models import Book
from cms.samples import cover_png, epub_bytes, isbn13, pdf_bytes
from cms.signals import books_imported

pytestmark = pytest.mark.django_db

HEADER = ["isbn", "title", "authors", "publisher", "language", "category", "published", "file"]


def write_csv(path: Path, rows, header=HEADER, encoding="utf-8") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def run(path: Path, *extra) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_books", str(path), "--no-progress", *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path: Path, *extra) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command(
            "import_books", str(path), "--no-progress", *extra, stdout=io.StringIO(), stderr=err
        )
    return err.getvalue()


def test_good_file_imports_with_files_and_is_idempotent(org, tmp_path):
    (tmp_path / "a.epub").write_bytes(epub_bytes("党章"))
    (tmp_path / "b.pdf").write_bytes(pdf_bytes("b"))
    received = []
    books_imported.connect(
        lambda sender, ids, **kw: received.append(ids), weak=False, dispatch_uid="t1"
    )
    try:
        rows = [
            [isbn13(1), "中国共产党章程", "编写组", "人民出版社", "中文", "D26", "是", "a.epub"],
            [
                "978-7-5000-0002-" + isbn13(2)[-1],
                "党支部工作实务",
                "",
                "",
                "zh",
                "D267",
                "1",
                "b.pdf",
            ],
        ]
        path = write_csv(tmp_path / "books.csv", rows)
        out, _ = run(path)
        assert "新建 2 本" in out
        assert Book.objects.count() == 2
        first = Book.objects.get(isbn=isbn13(1))
        assert (
            first.file_format == "epub" and first.is_published and first.audience_unit == org.root
        )
        # same ISBNs again with a changed title: updated, not duplicated
        rows[0][1] = "中国共产党章程（2022年修订）"
        out, _ = run(write_csv(tmp_path / "books.csv", rows))
        assert "新建 0 本，更新 2 本" in out
        assert Book.objects.count() == 2
        assert Book.objects.get(isbn=isbn13(1)).title == "中国共产党章程（2022年修订）"
    finally:
        books_imported.disconnect(dispatch_uid="t1")
    assert len(received) == 0 or all(len(ids) == 2 for ids in received)


def test_signal_is_sent_once_after_commit(org, tmp_path, django_capture_on_commit_callbacks):
    received = []
    books_imported.connect(
        lambda sender, ids, **kw: received.append(sorted(ids)), weak=False, dispatch_uid="t2"
    )
    try:
        path = write_csv(
            tmp_path / "b.csv", [[isbn13(n), f"书{n}", "", "", "", "", "1", ""] for n in range(5)]
        )
        with django_capture_on_commit_callbacks(execute=True):
            run(path)
    finally:
        books_imported.disconnect(dispatch_uid="t2")
    assert received == [sorted(Book.objects.values_list("id", flat=True))]


def test_bad_rows_are_all_reported_and_nothing_is_imported(org, tmp_path):
    (tmp_path / "fake.pdf").write_bytes(b"<!doctype html><html><body>not a pdf</body></html>")
    notepub = io.BytesIO()
    with zipfile.ZipFile(notepub, "w") as zf:
        zf.writestr("content.opf", "<package/>")
        zf.writestr("mimetype", "application/epub+zip")  # not the first entry
    (tmp_path / "fake.epub").write_bytes(notepub.getvalue())
    bad_isbn = isbn13(3)[:-1] + str((int(isbn13(3)[-1]) + 1) % 10)
    rows = [
        [isbn13(1), "好书", "", "", "zh", "D26", "1", ""],  # fine, but must not be imported
        [bad_isbn, "校验位错误", "", "", "zh", "D26", "1", ""],
        [isbn13(4), "", "", "", "zh", "D26", "1", ""],
        [isbn13(5), "未知分类", "", "", "zh", "L12", "1", ""],
        [isbn13(6), "假 PDF", "", "", "zh", "D26", "1", "fake.pdf"],
        [isbn13(7), "假 EPUB", "", "", "zh", "D26", "1", "fake.epub"],
        [isbn13(1), "重复", "", "", "zh", "D26", "1", ""],
        [isbn13(8), "未知语种", "", "", "克林贡语", "D26", "1", ""],
        [isbn13(9), "缺文件", "", "", "zh", "D26", "1", "missing.pdf"],
    ]
    err = run_failing(write_csv(tmp_path / "bad.csv", rows))
    assert Book.objects.count() == 0
    assert "第 3 行 [ISBN]" in err and "校验位" in err
    assert "第 4 行 [书名]：书名不能为空" in err
    assert "第 5 行 [分类号]" in err and "L12" in err
    assert "第 6 行 [文件]" in err and "fake.pdf" in err
    assert "第 7 行 [文件]" in err and "fake.epub" in err
    assert "第 8 行 [ISBN]" in err and "与第 2 行重复" in err
    assert "第 9 行 [语种]" in err
    assert "第 10 行 [文件]" in err and "找不到" in err
    assert "第 2 行" not in err.replace("与第 2 行重复", "")


def test_gbk_csv_is_detected_and_read_correctly(org, tmp_path):
    rows = [
        [isbn13(n), t, "本书编写组", "党建读物出版社", "中文", "D26", "是", ""]
        for n, t in [(1, "党建工作手册"), (2, "学习纲要")]
    ]
    path = write_csv(tmp_path / "gbk.csv", rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    run(path)
    assert set(Book.objects.values_list("title", flat=True)) == {"党建工作手册", "学习纲要"}
    assert Book.objects.filter(publisher="党建读物出版社").count() == 2


def test_chinese_headers_xlsx_and_covers(org, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["书名", "ISBN", "作者", "中图法分类号", "已发布", "可见范围"])
    ws.append(["海外党建读本", isbn13(21), "编写组", "D26", "是", "B"])
    wb.save(tmp_path / "books.xlsx")
    covers = tmp_path / "covers"
    covers.mkdir()
    (covers / f"{isbn13(21)}.png").write_bytes(cover_png(1))
    out, _ = run(tmp_path / "books.xlsx", "--covers", str(covers))
    book = Book.objects.get(isbn=isbn13(21))
    assert book.audience_unit == org.b and book.cover is not None and "封面 1 张" in out


def test_unknown_column_and_unknown_unit_are_reported(org, tmp_path):
    err = run_failing(
        write_csv(tmp_path / "x.csv", [[isbn13(1), "书", "9.9"]], header=["isbn", "title", "价格"])
    )
    assert "价格" in err
    err = run_failing(
        write_csv(
            tmp_path / "y.csv", [[isbn13(1), "书", "NOPE"]], header=["isbn", "title", "可见范围"]
        )
    )
    assert "第 2 行 [可见范围]" in err and "NOPE" in err
    assert Book.objects.count() == 0


def test_oversized_file_is_refused(org, tmp_path, settings):
    settings.EHOME_BOOK_MAX_UPLOAD_BYTES = 100
    (tmp_path / "big.pdf").write_bytes(pdf_bytes("x") + b"0" * 200)
    err = run_failing(
        write_csv(
            tmp_path / "big.csv", [[isbn13(1), "大文件", "", "", "zh", "D26", "1", "big.pdf"]]
        )
    )
    assert "超过大小上限" in err


def test_reimport_mixes_updates_and_new_rows_and_keeps_files_not_in_the_file(
    org, tmp_path, django_capture_on_commit_callbacks
):
    (tmp_path / "a.pdf").write_bytes(pdf_bytes("a"))
    path = write_csv(
        tmp_path / "first.csv",
        [[isbn13(1), "党章学习读本", "", "", "zh", "D26", "1", "a.pdf"]],
    )
    run(path)
    first = Book.objects.get(isbn=isbn13(1))
    assert first.file_format == "pdf" and first.file.name
    received = []
    books_imported.connect(
        lambda sender, ids, **kw: received.append(sorted(ids)), weak=False, dispatch_uid="t3"
    )
    try:
        # the same ISBN without a file (and a new title), plus two new books
        path = write_csv(
            tmp_path / "second.csv",
            [
                [isbn13(2), "新书一", "", "", "en", "", "0", ""],
                [isbn13(1), "党章学习读本（修订版）", "", "", "zh", "D26", "1", ""],
                [isbn13(3), "新书二", "", "", "zh", "A81", "1", ""],
            ],
        )
        with django_capture_on_commit_callbacks(execute=True):
            out, _ = run(path)
    finally:
        books_imported.disconnect(dispatch_uid="t3")
    assert "新建 2 本，更新 1 本" in out
    first.refresh_from_db()
    assert first.title == "党章学习读本（修订版）"
    assert first.file.name and first.file_format == "pdf"  # kept: the row named no file
    new = Book.objects.get(isbn=isbn13(2))
    assert (new.language, new.is_published, new.audience_unit) == ("en", False, org.root)
    assert received == [sorted(Book.objects.values_list("id", flat=True))]
    assert Book.objects.count() == 3


def test_latin1_csv_is_refused_naming_the_file_and_the_encodings(org, tmp_path):
    rows = [
        [isbn13(31), "Müller über Sánchez", "François", "Éditions", "fr", "D26", "1", ""],
        [isbn13(32), "José", "Zoë", "Éditions", "fr", "D26", "1", ""],
    ]
    path = write_csv(tmp_path / "livres.csv", rows, encoding="latin-1")
    err = run_failing(path)
    assert "livres.csv" in err and "UTF-8" in err and "GBK" in err
    assert not Book.objects.exists()
