"""Wagtail admin search finds Chinese words inside sentences (search.wagtail_backend)."""

from __future__ import annotations

import pytest
from wagtail.search.backends import get_search_backend

from cms.models import Book, NewsPage
from tests.search.conftest import publish_news


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def dues_page(org, site):
    return publish_news(
        site.channel,
        title="关于做好党费收缴工作的通知",
        publishing_unit=org.root,
        audience_unit=org.root,
    )


@pytest.mark.parametrize("q", ["党费", "黨費", "党费收缴"])
def test_page_explorer_search_finds_a_word_inside_a_title(admin_client, dues_page, q):
    other = publish_news(
        dues_page.get_parent(),
        title="项目进度报告",
        publishing_unit=dues_page.publishing_unit,
        audience_unit=dues_page.audience_unit,
    )
    resp = admin_client.get("/admin/pages/search/", {"q": q})
    assert resp.status_code == 200
    pages = list(resp.context["pages"])
    assert dues_page.pk in {p.pk for p in pages}
    assert other.pk not in {p.pk for p in pages}


def test_backend_search_finds_a_book_by_a_word_in_its_description(org):
    book = Book.objects.create(
        title="基层组织工作手册",
        description="本书介绍黨費收繳、使用和管理的規定。",
        audience_unit=org.root,
        is_published=True,
    )
    Book.objects.create(
        title="海外项目安全", description="安全生产", audience_unit=org.root, is_published=True
    )
    backend = get_search_backend()
    assert [b.pk for b in backend.search("党费", Book)] == [book.pk]
    assert [b.pk for b in backend.search("黨費", Book)] == [book.pk]
    assert list(backend.search('😀 " * :', Book)) == []


def test_book_snippet_listing_search(admin_client, org):
    book = Book.objects.create(
        title="新时代党费工作问答", audience_unit=org.root, is_published=True
    )
    Book.objects.create(title="安全生产手册", audience_unit=org.root, is_published=True)
    resp = admin_client.get("/admin/snippets/cms/book/", {"q": "党费"})
    assert resp.status_code == 200
    assert "新时代党费工作问答" in resp.content.decode()
    assert "安全生产手册" not in resp.content.decode()
    assert book.pk


def test_page_autocomplete_through_the_backend(dues_page):
    backend = get_search_backend()
    assert dues_page.pk in [p.pk for p in backend.autocomplete("党", NewsPage)]
    assert dues_page.pk in [p.pk for p in backend.autocomplete("黨費收", NewsPage)]
