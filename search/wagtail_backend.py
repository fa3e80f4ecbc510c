"""Wagtail search backend that understands Chinese (WAGTAILSEARCH_BACKENDS "default").

Wagtail's database backend (modelsearch) stores each field as one FTS token per run of
Chinese characters, so 党费 inside 关于做好党费收缴工作的通知 is never found. This backend is
the same vendor backend (PostgreSQL tsvector / SQLite FTS5) with the project normaliser
(search/normalize.py) applied on both sides:
- index time: every field value is converted t2s and segmented (jieba search mode) before
  the vendor code builds its vectors / FTS rows;
- query time: the query (string or parsed PlainText/Phrase/And/Or/Not tree) is
  converted and segmented (accurate mode), so 黨費 finds 党费.
The admin's page explorer (autocomplete on titles) and snippet listings (search) go
through it. After switching an existing site to it, run `manage.py update_index`.
"""

from __future__ import annotations

import types

from django.db import connection
from modelsearch.backends.base import EmptySearchResults
from modelsearch.query import And, Boost, Not, Or, Phrase, PlainText

from search.normalize import index_text, query_text

PG_SEARCH_CONFIG = "simple"


def _with_globals(func, **names):
    """`func` re-bound to a copy of its module globals with `names` replaced — used to run
    the vendor's own add_items() with our ObjectIndexer subclass instead of copying it."""
    g = dict(func.__globals__)
    g.update(names)
    return types.FunctionType(func.__code__, g, func.__name__, func.__defaults__, func.__closure__)


def _normalising_indexer(base):
    class NormalisingObjectIndexer(base):
        def prepare_value(self, value):
            return index_text(super().prepare_value(value))

    return NormalisingObjectIndexer


def normalise_query(query):
    """The query with every text part normalised; None when nothing searchable is left."""
    if isinstance(query, str):
        text = query_text(query)
        return text or None
    if isinstance(query, (PlainText, Phrase)):
        text = query_text(query.query_string)
        if not text:
            return None
        operator = getattr(query, "operator", "and") if isinstance(query, PlainText) else "and"
        return PlainText(text, operator=operator)
    if isinstance(query, (And, Or)):
        parts = [p for p in (normalise_query(q) for q in query.subqueries) if p is not None]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        parts = [PlainText(p) if isinstance(p, str) else p for p in parts]
        return type(query)(parts)
    if isinstance(query, Not):
        inner = normalise_query(query.subquery)
        if inner is None:
            return None
        return Not(PlainText(inner) if isinstance(inner, str) else inner)
    if isinstance(query, Boost):
        inner = normalise_query(query.subquery)
        if inner is None:
            return None
        return Boost(PlainText(inner) if isinstance(inner, str) else inner, query.boost)
    return query


class ChineseQueryMixin:
    def _search(self, query_compiler_class, query, model_or_queryset, **kwargs):
        normalised = normalise_query(query)
        if normalised is None:
            return EmptySearchResults()
        return super()._search(query_compiler_class, normalised, model_or_queryset, **kwargs)


def _postgres_backend():
    from modelsearch.backends.database.postgres import postgres as vendor

    class ChinesePostgresIndex(vendor.PostgresIndex):
        add_items = _with_globals(
            vendor.PostgresIndex.add_items,
            ObjectIndexer=_normalising_indexer(vendor.ObjectIndexer),
        )

    class ChinesePostgresSearchBackend(ChineseQueryMixin, vendor.PostgresSearchBackend):
        index_class = ChinesePostgresIndex

        def __init__(self, params):
            params = {"SEARCH_CONFIG": PG_SEARCH_CONFIG, **params}
            super().__init__(params)

    return ChinesePostgresSearchBackend


def _sqlite_backend():
    from modelsearch.backends.database.sqlite import sqlite as vendor

    class ChineseSQLiteIndex(vendor.SQLiteIndex):
        add_items = _with_globals(
            vendor.SQLiteIndex.add_items,
            ObjectIndexer=_normalising_indexer(vendor.ObjectIndexer),
        )

    class ChineseSQLiteSearchBackend(ChineseQueryMixin, vendor.SQLiteSearchBackend):
        index_class = ChineseSQLiteIndex

    return ChineseSQLiteSearchBackend


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up
    if connection.vendor == "postgresql":
        return _postgres_backend()(params)
    if connection.vendor == "sqlite":
        from modelsearch.backends.database.sqlite.utils import fts5_available, fts_table_exists

        if fts5_available() and fts_table_exists():
            return _sqlite_backend()(params)
    from modelsearch.backends.database import SearchBackend as vendor_backend

    return vendor_backend(params)
