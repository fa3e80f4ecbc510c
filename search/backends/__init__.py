"""Search backends behind the one query service (search/query.py).

`DatabaseBackend` (PostgreSQL tsvector / SQLite FTS5) is always available and always kept
up to date; `ElasticsearchBackend` is used when ELASTICSEARCH_URL is set and the cluster
answers, otherwise the service falls back to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Scope:
    """What the caller may see: everything, or audience paths IN `paths` or starting
    with one of `prefixes` (the subtrees a staff user manages)."""

    everything: bool = False
    paths: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.everything and not self.paths and not self.prefixes


@dataclass
class Criteria:
    tokens: list[str]
    scope: Scope
    types: list[str] | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: str = "relevance"  # or "date"
    offset: int = 0
    limit: int = 20
    match: str = "and"  # "and" | "or"
    #: the whole query as a phrase (lower-case; the folded form first): documents that
    #: contain one of them rank before the others (title, then body). Empty: no tier.
    phrases: tuple[str, ...] = ()


@dataclass
class RawHit:
    doc_type: str
    object_id: int
    title: str
    snippet_text: str
    date: datetime | None
    url: str
    score: float


@dataclass
class RawResult:
    hits: list[RawHit]
    total: int
    facets: dict[str, int] = field(default_factory=dict)
    backend: str = "database"


class BackendUnavailable(Exception):
    """The backend could not answer (e.g. Elasticsearch is down)."""
