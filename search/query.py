"""The one query service: `search()` and `suggest()`.

Every call is filtered to what the caller may read (published, audience scope as decided
by organizations.selectors) whatever backend answers. Elasticsearch answers when it is
configured and up; otherwise — or when it fails mid-request — the database does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from organizations.selectors import scope_for
from search import registry
from search.backends import BackendUnavailable, Criteria, RawHit, RawResult, Scope
from search.backends.database import DatabaseBackend
from search.highlight import highlight, highlight_all
from search.models import SearchDocument
from search.normalize import query_phrases, query_tokens

log = logging.getLogger(__name__)

SORTS = ("relevance", "date")
MAX_PAGE_SIZE = 50
MAX_SUGGEST_CHARS = 50


@dataclass
class Hit:
    type: str
    type_label: str
    id: int
    title: str
    title_highlighted: str
    snippet: str
    date: datetime | None
    url: str
    score: float


@dataclass
class SearchResults:
    query: str
    tokens: list[str]
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    facets: dict[str, int] = field(default_factory=dict)
    backend: str = "database"

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def scope_for_user(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope()
    scope = scope_for(user)
    if scope.is_global:
        return Scope(everything=True)
    return Scope(paths=scope.audience_paths, prefixes=scope.managed_paths)


def _backends() -> list:
    backends = []
    if getattr(settings, "ELASTICSEARCH_URL", None):
        from search.backends.elastic import ElasticsearchBackend, is_available

        if is_available():
            backends.append(ElasticsearchBackend())
    backends.append(DatabaseBackend())
    return backends


def _run(method: str, *args, **kwargs):
    last_exc = None
    for backend in _backends():
        try:
            return getattr(backend, method)(*args, **kwargs)
        except BackendUnavailable as exc:
            last_exc = exc
            log.warning("search backend %s unavailable, falling back: %s", backend.name, exc)
    raise last_exc  # pragma: no cover - the database backend never raises it


def _hit(raw: RawHit, tokens: list[str], labels: dict[str, str]) -> Hit:
    return Hit(
        type=raw.doc_type,
        type_label=labels.get(raw.doc_type, raw.doc_type),
        id=raw.object_id,
        title=raw.title,
        title_highlighted=highlight_all(raw.title, tokens),
        snippet=highlight(raw.snippet_text, tokens),
        date=raw.date,
        url=raw.url,
        score=raw.score,
    )


def search(
    query: str,
    *,
    user,
    types: list[str] | None = None,
    filters: dict | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
) -> SearchResults:
    """Search what `user` may read.

    query    free text, Simplified or Traditional, Latin and numbers kept; syntax
             characters are ignored (a query with no words gives no hits)
    types    doc types to return (facet counts always cover every type)
    filters  {"date_from": datetime, "date_to": datetime} (to is exclusive)
    sort     "relevance" (title matches first) or "date" (newest first)
    Every word must match (a one-character word matches the words that contain it);
    with several words, documents that contain the whole query as written rank first —
    in the title, then in the body — and relevance orders each tier.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    filters = filters or {}
    page = max(1, int(page))
    page_size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
    tokens = query_tokens(query or "")
    criteria = Criteria(
        tokens=tokens,
        scope=scope_for_user(user),
        types=list(types) if types else None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        sort=sort,
        offset=(page - 1) * page_size,
        limit=page_size,
        phrases=query_phrases(query or "") if len(tokens) > 1 else (),
    )
    raw: RawResult = _run("search", criteria)
    labels = registry.labels()
    return SearchResults(
        query=query,
        tokens=tokens,
        hits=[_hit(h, tokens, labels) for h in raw.hits],
        total=raw.total,
        page=page,
        page_size=page_size,
        facets=raw.facets,
        backend=raw.backend,
    )


def _suggest_candidates(query: str) -> list[list[str]]:
    """Token lists to try for a partly typed query. The last word may be incomplete, so
    jieba can glue it to the previous one (党费工 → 党/费工): first try everything but
    the last character as words plus that character as a prefix, then the plain cut."""
    query = (query or "").strip()[:MAX_SUGGEST_CHARS]
    candidates = []
    head, last = query[:-1], query[-1:] if query else ""
    if head and last and query_tokens(last) and "\u3400" <= last <= "\u9fff":
        tokens = query_tokens(head)
        if tokens and head[-1] not in " \t":
            candidates.append(tokens + query_tokens(last))
    full = query_tokens(query)
    if full and full not in candidates:
        candidates.append(full)
    return candidates


def suggest(query: str, *, user, types: list[str] | None = None, limit: int = 10) -> list[Hit]:
    """Titles whose words start with what was typed (the last word may be incomplete)."""
    limit = max(1, min(limit, 20))
    scope = scope_for_user(user)
    labels = registry.labels()
    found: dict[tuple, Hit] = {}
    for tokens in _suggest_candidates(query):
        for raw in _run("suggest", tokens=tokens, scope=scope, types=types, limit=limit):
            found.setdefault((raw.doc_type, raw.object_id), _hit(raw, tokens, labels))
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


def object_ids_matching(doc_type: str, tokens: list[str]) -> QuerySet | None:
    """For admin listings that filter their own querysets (search.catalogue):
    the object ids of `doc_type` whose search document (search.models.SearchDocument,
    normalised t2s + jieba search-mode text of title and body) has every token —
    published or not, whatever the audience: the caller's queryset decides what is shown.
    None when the vendor has no full-text index (then only the substring match applies).

    Tokens come from search.normalize.query_tokens (letters and digits only), and are
    passed as parameters."""
    docs = SearchDocument.objects.filter(doc_type=doc_type)
    if connection.vendor == "postgresql":
        match = RawSQL(
            "search_vector @@ plainto_tsquery('simple', %s)",
            [" ".join(tokens)],
            output_field=BooleanField(),
        )
        docs = docs.filter(match)
    elif connection.vendor == "sqlite":
        phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens)
        docs = docs.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH %s",
                ["{title_norm body_norm} : (" + phrases + ")"],
            )
        )
    else:  # pragma: no cover - PostgreSQL and SQLite are the supported databases
        return None
    return docs.values("object_id")
