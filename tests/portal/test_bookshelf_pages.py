"""The bookshelf as a reader sees it: a cover for every book (drawn from the title when
none was uploaded), category names instead of 中图法 codes, a styled book page. (The
demo's varied authors are checked on the seeded bookshelf: tests/e2e/test_mobile_layout.py.)"""

from __future__ import annotations

import re

import pytest

from tests.portal import factories as f

pytestmark = pytest.mark.django_db


def _cover_src(html: str, book) -> str:
    """The src of the book's cover <img> in a page."""
    match = re.search(rf'<img[^>]*src="(/books/{book.pk}/cover\.svg[^"]*)"', html)
    assert match, "the book has no generated cover image"
    return match.group(1)


def test_a_book_without_a_cover_gets_one_drawn_from_its_title(org, member_b1, web_client):
    book = f.book(org.root, title="新时代的建设者 <script>", category="I25")
    book.authors = "路遥"
    book.save()
    client = web_client(member_b1.user)
    src = _cover_src(client.get("/books/").content.decode(), book)
    assert _cover_src(client.get(f"/books/{book.pk}/").content.decode(), book) == src
    response = client.get(src)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "max-age=" in response["Cache-Control"] and response["ETag"]
    svg = response.content.decode()
    assert svg.startswith("<svg") and "新时代的建设者" in svg and "路遥" in svg
    assert "报告文学" in svg  # the class name, not the code
    assert "<script" not in svg and "&lt;script&gt;" in svg
    # a browser revalidating its cached copy gets 304, no body
    again = client.get(src, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and not again.content
    # an edit changes the picture and its URL (the page links ?v=<updated_at>)
    book.title = "新的书名"
    book.save()
    changed = client.get(src, HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200 and "新的书名" in changed.content.decode()


def test_generated_covers_follow_the_books_scope(org, member_b1, web_client):
    hidden = f.book(org.a1, title="北京项目内部资料")
    response = web_client(member_b1.user).get(f"/books/{hidden.pk}/cover.svg")
    assert response.status_code == 404
    assert "北京项目内部资料" not in response.content.decode()


def test_breadcrumbs_and_lists_name_the_category_not_its_code(org, member_b1, web_client):
    book = f.book(org.root, title="新时代的建设者", category="I25")
    client = web_client(member_b1.user)
    page = client.get(f"/books/{book.pk}/").content.decode()
    crumbs = page[page.index('class="breadcrumbs"') :].split("</nav>")[0]
    shown = re.sub(r"<[^>]+>", " ", crumbs.split(">", 1)[1])
    assert "文学" in shown and "报告文学" in shown
    assert "I25" not in shown
    assert 'href="/books/?category=I"' in crumbs
    listing = client.get("/books/").content.decode()
    card = listing[listing.index("新时代的建设者") :].split("</li>")[0]
    assert "报告文学" in card
    assert "建筑科学" in client.get("/books/?category=TU").content.decode()


def test_the_book_page_is_laid_out_with_cover_facts_and_actions(org, member_b1, web_client):
    from django.core.files.base import ContentFile

    from cms.samples import pdf_bytes

    book = f.book(org.root, title="党支部工作实务", category="D267")
    book.publisher, book.pub_year, book.isbn = "党建读物出版社", 2021, "9787500000013"
    book.description = "一本写给支部书记的书。"
    book.file.save("b.pdf", ContentFile(pdf_bytes("x")), save=False)
    book.file_format = "pdf"
    book.save()
    html = web_client(member_b1.user).get(f"/books/{book.pk}/").content.decode()
    page = html[html.index('data-testid="book-page"') :]
    for part in ("book-page-cover", "book-page-head", "book-facts", "book-actions"):
        assert f'class="{part}"' in page, part
    assert "党建读物出版社" in page and "2021" in page and "党的建设" in page
    assert "在线阅读" in page and "内容简介" in page
