"""Admin search of the bookshelf snippets goes through the Chinese-aware search index:
words inside sentences, Traditional ↔ Simplified, ISBN/ISSN, imported books — through the
snippet listing as an editor sees it (GET …/?q=)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client

from cms.models import Book, Periodical, PeriodicalIssue
from cms.samples import isbn13, pdf_bytes
from cms.services import content_setup_ensure
from tests.cms.conftest import staff_with_role

pytestmark = pytest.mark.django_db

BOOKS = "/admin/snippets/cms/book/"
PERIODICALS = "/admin/snippets/cms/periodical/"
ISSUES = "/admin/snippets/cms/periodicalissue/"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    # indexing runs as an on-commit task; run it in-process when the callbacks execute
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def indexed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the search indexing tasks) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def editor_b(org):
    content_setup_ensure()
    user = staff_with_role(org.b, "editor", "search_editor_b")
    c = Client()
    c.force_login(user)
    return c


def listed(client: Client, url: str, **params) -> list[str]:
    resp = client.get(url, params)
    assert resp.status_code == 200
    return sorted(str(o) for o in resp.context["object_list"])


def test_words_inside_titles_and_descriptions_in_either_script(org, editor_b, indexed):
    with indexed():
        Book.objects.create(title="关于做好党费收缴工作的通知", isbn=isbn13(1), owner_unit=org.b)
        Book.objects.create(title="黨費收繳工作手冊", isbn=isbn13(2), owner_unit=org.b)
        Book.objects.create(
            title="基层组织工作手册",
            description="本书介绍党费的使用和管理。",
            isbn=isbn13(3),
            owner_unit=org.b1,
        )
        Book.objects.create(title="安全生产手册", isbn=isbn13(4), owner_unit=org.b)
    found = {"关于做好党费收缴工作的通知", "黨費收繳工作手冊", "基层组织工作手册"}
    assert set(listed(editor_b, BOOKS, q="党费")) == found
    assert set(listed(editor_b, BOOKS, q="黨費")) == found
    assert listed(editor_b, BOOKS, q="黨費收繳") == [
        "关于做好党费收缴工作的通知",
        "黨費收繳工作手冊",
    ]


def test_isbn_with_or_without_hyphens(org, editor_b, indexed):
    isbn = isbn13(42)
    with indexed():
        Book.objects.create(title="党支部工作实务", isbn=isbn, owner_unit=org.b)
        Book.objects.create(title="党员教育读本", isbn=isbn13(43), owner_unit=org.b)
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"
    assert listed(editor_b, BOOKS, q=isbn) == ["党支部工作实务"]
    assert listed(editor_b, BOOKS, q=hyphenated) == ["党支部工作实务"]


def test_imported_books_are_found_once_the_deferred_indexing_ran(org, editor_b, tmp_path, indexed):
    """import_books sends no per-row signals: its one books_imported signal indexes them."""
    (tmp_path / "a.pdf").write_bytes(pdf_bytes("a"))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["isbn", "title", "description", "published", "file"])
    w.writerow([isbn13(7), "党员教育读本", "新时代黨員教育培訓教材", "是", "a.pdf"])
    w.writerow([isbn13(8), "钢结构施工技术", "工程技术", "否", ""])
    (tmp_path / "books.csv").write_text(buf.getvalue(), encoding="utf-8")
    with indexed():
        call_command(
            "import_books", str(tmp_path / "books.csv"), "--no-progress", stdout=io.StringIO()
        )
    # the import names no managing unit: B takes them over (the listing shows B's books)
    Book.objects.update(owner_unit=org.b)
    assert listed(editor_b, BOOKS, q="培训教材") == ["党员教育读本"]  # description, t2s
    assert listed(editor_b, BOOKS, q="施工") == ["钢结构施工技术"]  # unpublished: editors see it


def test_search_keeps_the_listing_filters_and_the_edit_scope(org, editor_b, indexed):
    with indexed():
        mine = Book.objects.create(
            title="党费工作问答", isbn=isbn13(11), owner_unit=org.b1, is_published=True
        )
        theirs = Book.objects.create(title="党费管理办法", isbn=isbn13(12), owner_unit=org.a)
    # the listing, like editing, stays within the editor's subtree
    resp = editor_b.get(BOOKS, {"q": "黨費"})
    assert {o.pk for o in resp.context["object_list"]} == {mine.pk}
    assert editor_b.get(f"{BOOKS}edit/{mine.pk}/").status_code == 200
    assert editor_b.get(f"{BOOKS}edit/{theirs.pk}/").status_code == 404
    assert listed(editor_b, BOOKS, q="黨費", is_published="true") == ["党费工作问答"]


def test_query_without_words_finds_nothing_and_does_not_fail(org, editor_b, indexed):
    with indexed():
        Book.objects.create(title="党费工作问答", isbn=isbn13(21), owner_unit=org.b)
    assert listed(editor_b, BOOKS, q='!!! " * :') == []


def test_periodicals_and_issues_by_traditional_title_and_issn(org, editor_b, indexed):
    with indexed():
        journal = Periodical.objects.create(title="党建研究", issn="1002-2767", owner_unit=org.b)
        Periodical.objects.create(title="建筑技术", issn="1000-4726", owner_unit=org.b)
        PeriodicalIssue.objects.create(
            periodical=journal, label="2026年第11期", issue_date="2026-11-01", file="x.pdf"
        )
    assert listed(editor_b, PERIODICALS, q="黨建") == ["党建研究"]
    assert listed(editor_b, PERIODICALS, q="10022767") == ["党建研究"]
    assert listed(editor_b, ISSUES, q="黨建研究") == ["党建研究 2026年第11期"]
