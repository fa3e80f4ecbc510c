"""The e-bookshelf: browse by 中图法 class, search, a book page and the in-browser reader
(PDF in the browser's own viewer, EPUB through epub.js). Scope: cms.selectors."""

from __future__ import annotations

import hashlib
import posixpath

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.views.decorators.clickjacking import xframe_options_sameorigin

from cms import selectors
from cms.classification import clc_name, clc_path
from cms.covers import book_cover_svg
from cms.validators import CLC_CLASSES
from core.files import content_type_for, protected_file_response
from portal.access import portal_view
from search.catalogue import catalogue_search

PAGE_SIZE = 24

CONTENT_TYPES = {"pdf": "application/pdf", "epub": "application/epub+zip"}


def category_facets(qs) -> list[dict]:
    """Books per basic class, from one GROUP BY over the visible catalogue."""
    counts: dict[str, int] = {}
    for row in qs.order_by().values("category").annotate(n=Count("id")):
        letter = (row["category"] or "")[:1].upper()
        if letter:
            counts[letter] = counts.get(letter, 0) + row["n"]
    return [
        {"code": code, "name": CLC_CLASSES.get(code, code), "count": n}
        for code, n in sorted(counts.items())
    ]


@portal_view
def book_list(request):
    visible = selectors.books_visible_to(request.user)
    qs = visible.select_related("cover")
    category = (request.GET.get("category") or "").strip().upper()[:10]
    query = (request.GET.get("q") or "").strip()[:100]
    if category:
        qs = qs.filter(category__startswith=category)
    if query:
        qs = catalogue_search(qs, query)
    page = Paginator(qs.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "books",
        "page_obj": page,
        "facets": category_facets(visible),
        "category": category,
        "category_name": clc_name(category) if category else "",
        "q": query,
    }
    return render(request, "portal/books/list.html", context)


def _book(request, pk: int):
    return selectors.access_book_by_id(request.user, pk)


@portal_view
def book_detail(request, pk: int):
    book = _book(request, pk)
    context = {"nav": "books", "book": book, "classes": clc_path(book.category)}
    return render(request, "portal/books/detail.html", context)


# The cover is a function of the book's fields: a day in the browser's cache, then an
# ETag revalidation; the page links it with ?v=<updated_at> so an edit shows at once.
COVER_MAX_AGE = 24 * 3600


@portal_view
def book_cover(request, pk: int):
    """The generated cover (cms.covers) of a book without a cover image; scope-checked
    like the book (an out-of-scope book's title is not served either)."""
    book = _book(request, pk)
    svg = book_cover_svg(
        title=book.title, subtitle=book.subtitle, authors=book.authors, category=book.category
    )
    tag = '"' + hashlib.sha256(svg.encode()).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=tag)
    if response is None:
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["ETag"] = tag
    response["Cache-Control"] = f"private, max-age={COVER_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portal_view
def book_read(request, pk: int):
    book = _book(request, pk)
    if not book.file:
        raise Http404
    return render(request, "portal/books/read.html", {"nav": "books", "book": book})


@xframe_options_sameorigin
@portal_view
def book_file(request, pk: int):
    """The book's file inline (the PDF viewer frame and epub.js fetch it), scope-checked
    here; delivered by core.files (stream, X-Accel-Redirect/X-Sendfile or presigned)."""
    book = _book(request, pk)
    if not book.file:
        raise Http404
    fmt = book.file_format or posixpath.splitext(book.file.name)[1].lstrip(".").lower()
    return protected_file_response(
        book.file,
        filename=f"book-{book.pk}.{fmt or 'bin'}",
        content_type=CONTENT_TYPES.get(fmt) or content_type_for(book.file.name),
    )
