"""Pagination conventions (docs/api.md):

- page pagination (``?page=2&page_size=50``, max 100) for small, stable lists;
- cursor pagination (``?cursor=…``) for feeds that grow while a phone scrolls them.
Both answer ``{"next": url|null, "previous": url|null, "results": [...]}``; page
pagination adds ``count``. A bad page or cursor is a 404/400 with the usual error body.
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class FeedCursorPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"
