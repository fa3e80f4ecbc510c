"""Pagination conventions (docs/api.md):

- page pagination (``?page=2&page_size=50``, max 100) for small, stable lists;
- cursor pagination (``?cursor=…``) for feeds that grow while a phone scrolls them.
Both answer ``{"next": url|null, "previous": url|null, "results": [...]}``; page
pagination adds ``count``. A bad page or cursor is a 404/400 with the usual error body.
"""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
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

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor is base64 of "p=<position>"; DRF decodes it but trusts the position's
        # type, so a tampered cursor ("p=2026-11" on an integer ordering) reached the
        # database as a ValueError (a 500). It is a bad cursor: 404 like DRF's own check.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError, OverflowError):
            raise NotFound(self.invalid_cursor_message)
