"""Pagination conventions (docs/api.md):

- page pagination (``?page=2&page_size=50``, max 100) for small, stable lists;
- cursor pagination (``?cursor=…``) for feeds that grow while a phone scrolls them.
Both answer ``{"next": url|null, "previous": url|null, "results": [...]}``; page
pagination adds ``count``. A bad page or cursor is a 404/400 with the usual error body.
"""

import base64
import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

PAGE_PARAMS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="页码，从 1 开始"),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数（最多 100）"),
]
CURSOR_PARAMS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="上一页答复中 next/previous 链接携带的游标"
    ),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数（最多 100）"),
]


class PagePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class KeysetCursorPagination:
    """Cursor pagination on a composite sort key (``ordering``: field names, ``-`` for
    descending), e.g. news ``("-pinned", "-date", "-id")``.

    DRF's CursorPagination keys on the first ordering field only and counts an offset
    through ties, which on ``-pinned`` means offsets of thousands of rows. Here the cursor
    carries the last row's key and the next page is a plain ``WHERE (key) < (last)``
    (an OR-chain the planner turns into index conditions): no ``COUNT(*)``, no ``OFFSET``,
    and no item skipped or repeated when new items arrive while the phone scrolls.

    The cursor is base64url JSON ``{"k": [values…], "r": reverse?}``: opaque to clients,
    and anything that does not decode to valid values for the key fields is a 404.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_param = "cursor"
    invalid_cursor_message = "Invalid cursor"

    def __init__(self, ordering: tuple[str, ...]):
        if not ordering or ordering[-1].lstrip("-") not in ("id", "pk"):
            raise ValueError("the last ordering field must be the unique id")
        self.ordering = ordering

    # -- request parsing ----------------------------------------------------------------
    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        try:
            size = int(raw) if raw is not None else self.page_size
        except (TypeError, ValueError):
            return self.page_size
        return self.page_size if size <= 0 else min(size, self.max_page_size)

    def _decode(self, raw: str, model) -> tuple[list, bool]:
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==="))
            values, reverse = data["k"], bool(data.get("r", False))
            if not isinstance(values, list) or len(values) != len(self.ordering):
                raise ValueError
            key = []
            for name, value in zip(self.ordering, values, strict=True):
                field = model._meta.get_field(name.lstrip("-"))
                if value is None or isinstance(value, (dict, list)):
                    raise ValueError
                key.append(field.to_python(value))
            if not isinstance(key[-1], int) or abs(key[-1]) > 2**62:
                raise ValueError
            return key, reverse
        except (ValueError, TypeError, KeyError, UnicodeError, ValidationError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None

    def _encode(self, row: dict, reverse: bool) -> str:
        values = []
        for name in self.ordering:
            v = row[name.lstrip("-")]
            values.append(v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
        raw = json.dumps({"k": values, "r": reverse}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _url(self, cursor: str) -> str:
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, cursor
        )

    # -- the page -----------------------------------------------------------------------
    def _after(self, key: list, reverse: bool):
        """Q for rows strictly after `key` in the ordering (before it when `reverse`)."""
        q = Q()
        for i, name in enumerate(self.ordering):
            field = name.lstrip("-")
            descending = name.startswith("-") != reverse
            step = Q(**{f"{field}__{'lt' if descending else 'gt'}": key[i]})
            for prev, value in zip(self.ordering[:i], key[:i], strict=False):
                step &= Q(**{prev.lstrip("-"): value})
            q |= step
        return q

    def _request_page(self, request, model) -> tuple[int, list | None, bool]:
        """(page size, cursor key or None, reverse?) of the request."""
        self.request = request
        size = self._page_size(request)
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return size, None, False
        key, reverse = self._decode(raw, model)
        return size, key, reverse

    def _page_queryset(self, queryset, size: int, key: list | None, reverse: bool):
        order = (
            [n[1:] if n.startswith("-") else f"-{n}" for n in self.ordering]
            if reverse
            else list(self.ordering)
        )
        qs = queryset.order_by(*order)
        if key is not None:
            qs = qs.filter(self._after(key, reverse))
        return qs[: size + 1]

    def paginate_queryset(self, queryset, request, view=None) -> list:
        """`queryset` must be a ``.values()`` queryset that includes the ordering fields."""
        size, key, reverse = self._request_page(request, queryset.model)
        rows = list(self._page_queryset(queryset, size, key, reverse))
        return self._rows_of_page(rows, size, key, reverse)

    def paginate_prebuilt(self, request, *, model, shape, base, args: tuple) -> list:
        """The page `paginate_queryset(base(*args), request)` answers, its SQL compiled
        once per process and shape (`core.prebuilt`): `shape` must determine the SQL of
        `base` (to which the page size, cursor or not and direction are added here) and
        `args` are the values that vary within it; `base` returns a ``.values()``
        queryset. A shape `core.prebuilt` cannot trace runs through the ORM."""
        from core import prebuilt

        size, key, reverse = self._request_page(request, model)
        n = len(args)

        def build(*values):
            return self._page_queryset(
                base(*values[:n]), size, list(values[n:]) if key is not None else None, reverse
            )

        page_shape = (shape, size, key is not None, reverse)
        rows = prebuilt.rows(page_shape, build, (*args, *(key or ())), as_dicts=True)
        if rows is None:
            rows = list(build(*args, *(key or ())))
        return self._rows_of_page(rows, size, key, reverse)

    def _rows_of_page(self, rows: list, size: int, key: list | None, reverse: bool) -> list:
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        self.next_cursor = self.previous_cursor = None
        if rows:
            # Going forward, "previous" exists once we came through a cursor; going back,
            # "next" always exists (the page we came from) and "previous" when there is more.
            if (not reverse and more) or reverse:
                self.next_cursor = self._encode(rows[-1], False)
            if (reverse and more) or (not reverse and key is not None):
                self.previous_cursor = self._encode(rows[0], True)
        return rows

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._url(self.next_cursor) if self.next_cursor else None,
                "previous": self._url(self.previous_cursor) if self.previous_cursor else None,
                "results": data,
            }
        )
