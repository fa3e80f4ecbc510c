"""Elasticsearch 8 backend (via `elasticsearch.dsl`): index definitions, bulk feeding,
zero-downtime rebuilds and queries.

- One index per type behind an alias: ``<prefix>-<type>`` → ``<prefix>-<type>-<stamp>``.
- The Chinese analyzer is chosen when an index is created — ``smartcn`` when the cluster
  has the analysis-smartcn plugin, else the built-in CJK bigram chain — and recorded in the
  index ``_meta`` and in `SearchIndexState`.
- Documents carry the same normalised text as the database: ``title``/``body`` (t2s,
  lower-cased; Chinese analyzer + a ``.cjk`` bigram sub-field for recall) and
  ``title_tokens``/``body_tokens`` (the jieba tokens, whitespace-analyzed), plus a
  completion field whose contexts encode the audience rule.
- Rebuild: create a new index, bulk-load it from the database rows, swap the alias in one
  `_aliases` call, delete the old index. Readers never see a missing or half-built index.
- The query bodies are built in search/backends/elastic_query.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.utils import timezone
from elasticsearch import ApiError, Elasticsearch, TransportError, dsl, helpers

from organizations.models import OrgUnit, ancestor_paths_of
from search.backends import BackendUnavailable, Criteria, RawHit, RawResult, Scope
from search.backends.elastic_query import (  # noqa: F401 - the query bodies, re-exported
    PHRASE_BOOST,
    SOURCE_FIELDS,
    alias_name,
    build_search,
    build_suggest,
    phrase_boosts,
    prefix,
    scope_filter,
)
from search.models import SearchDocument, SearchIndexState
from search.normalize import fold

log = logging.getLogger(__name__)

SMARTCN_PLUGIN = "analysis-smartcn"
DOWN_SECONDS = 30

_client: Elasticsearch | None = None
_client_lock = threading.Lock()
_down_until = 0.0
_known_aliases: set[str] = set()


# -- client and availability -----------------------------------------------------------
def get_client() -> Elasticsearch:
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = Elasticsearch(
                    settings.ELASTICSEARCH_URL,
                    request_timeout=float(getattr(settings, "EHOME_SEARCH_ES_TIMEOUT", 3)),
                    max_retries=0,
                    retry_on_timeout=False,
                )
    return _client


def set_client(client: Elasticsearch | None) -> None:
    """Use `client` (tests pass a recording fake); None resets to the configured one."""
    global _client, _down_until
    _client = client
    _down_until = 0.0
    _known_aliases.clear()


def mark_unavailable(exc: Exception | None = None) -> None:
    global _down_until
    _down_until = time.monotonic() + DOWN_SECONDS


def is_available() -> bool:
    return time.monotonic() >= _down_until


def ping() -> bool:
    try:
        ok = bool(get_client().ping())
    except Exception:
        ok = False
    if not ok:
        mark_unavailable()
    else:
        global _down_until
        _down_until = 0.0
    return ok


# -- names, analysis, mapping --------------------------------------------------------------
def new_index_name(doc_type: str) -> str:
    return f"{alias_name(doc_type)}-{timezone.now():%Y%m%d%H%M%S%f}"


def detect_analyzer(client: Elasticsearch | None = None) -> str:
    """'smartcn' when every node has the analysis-smartcn plugin, else 'cjk'."""
    client = client or get_client()
    rows = client.cat.plugins(format="json", h="name,component")
    nodes = {r.get("name") for r in rows}
    with_plugin = {r.get("name") for r in rows if r.get("component") == SMARTCN_PLUGIN}
    return "smartcn" if nodes and nodes == with_plugin else "cjk"


def analysis_settings(analyzer: str) -> dict:
    bigram = {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["cjk_width", "lowercase", "cjk_bigram"],
    }
    if analyzer == "smartcn":
        zh = {"type": "custom", "tokenizer": "smartcn_tokenizer", "filter": ["lowercase"]}
    else:
        zh = dict(bigram)
    return {
        "analyzer": {
            "zh": zh,
            "zh_bigram": bigram,
            "tokens": {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]},
        }
    }


def build_mapping(analyzer: str, doc_type: str) -> dsl.Mapping:
    m = dsl.Mapping()
    m.field("doc_type", "keyword")
    m.field("object_id", "long")
    m.field("title_display", "keyword", index=False, doc_values=False)
    for name in ("title", "body"):
        m.field(
            name,
            "text",
            analyzer="zh",
            fields={"cjk": dsl.Text(analyzer="zh_bigram")},
        )
        m.field(f"{name}_tokens", "text", analyzer="tokens")
    m.field("snippet_text", "text", index=False)
    m.field("audience_path", "keyword")
    m.field("is_published", "boolean")
    m.field("date", "date")
    m.field("url", "keyword", index=False, doc_values=False)
    m.field(
        "suggest",
        "completion",
        analyzer="tokens",
        contexts=[{"name": "audience", "type": "category"}],
    )
    m.meta("_meta", analyzer=analyzer, doc_type=doc_type, schema=1)
    m.meta("dynamic", "strict")
    return m


def index_body(analyzer: str, doc_type: str) -> dict:
    return {
        "settings": {
            "number_of_shards": 1,
            "number_of_replicas": int(getattr(settings, "EHOME_SEARCH_ES_REPLICAS", 0)),
            "refresh_interval": "1s",
            "analysis": analysis_settings(analyzer),
        },
        "mappings": build_mapping(analyzer, doc_type).to_dict(),
    }


# -- documents ---------------------------------------------------------------------------
def audience_contexts(path: str) -> list[str]:
    """Completion contexts encoding the audience rule: `eq:<path>` matches readers whose
    visible paths include it; `under:<ancestor>` matches managers of that subtree."""
    if not path:
        return ["eq:"]
    return [f"eq:{path}"] + [f"under:{p}" for p in ancestor_paths_of(path, OrgUnit.steplen)]


def doc_source(row: SearchDocument) -> dict:
    title = fold(row.title)
    source = {
        "doc_type": row.doc_type,
        "object_id": row.object_id,
        "title_display": row.title,
        "title": title,
        "title_tokens": row.title_norm,
        "body": fold(row.snippet_text),
        "body_tokens": row.body_norm,
        "snippet_text": row.snippet_text,
        "audience_path": row.audience_path,
        "is_published": row.is_published,
        "date": row.date.isoformat() if row.date else None,
        "url": row.url,
    }
    if row.is_published and title:
        inputs = [title] + [t for t in row.title_norm.split() if len(t) >= 2]
        source["suggest"] = {
            "input": list(dict.fromkeys(inputs)),
            "contexts": {"audience": audience_contexts(row.audience_path)},
        }
    return source


def index_actions(rows: Iterable[SearchDocument], index: str) -> Iterator[dict]:
    for row in rows:
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": str(row.object_id),
            "_source": doc_source(row),
        }


def ensure_index(doc_type: str, client: Elasticsearch | None = None) -> str:
    """The alias for `doc_type`, creating a first (empty) index behind it if missing."""
    client = client or get_client()
    alias = alias_name(doc_type)
    if alias in _known_aliases:
        return alias
    if not client.indices.exists_alias(name=alias):
        analyzer = detect_analyzer(client)
        index = new_index_name(doc_type)
        client.indices.create(index=index, **index_body(analyzer, doc_type))
        client.indices.update_aliases(
            actions=[{"add": {"index": index, "alias": alias, "is_write_index": True}}]
        )
        _record_state(doc_type, alias, index, analyzer, 0)
    _known_aliases.add(alias)
    return alias


def sync_documents(*, rows: list[SearchDocument], deleted: list[tuple[str, int]]) -> None:
    """Index `rows` and delete `deleted` (type, id) pairs — one bulk request."""
    if not is_available():
        raise BackendUnavailable("Elasticsearch marked down")
    client = get_client()
    actions: list[dict] = []
    by_type: dict[str, list[SearchDocument]] = {}
    for row in rows:
        by_type.setdefault(row.doc_type, []).append(row)
    for doc_type, typed in by_type.items():
        actions.extend(index_actions(typed, ensure_index(doc_type, client)))
    for doc_type, object_id in deleted:
        actions.append(
            {"_op_type": "delete", "_index": ensure_index(doc_type, client), "_id": str(object_id)}
        )
    if actions:
        helpers.bulk(client, actions, raise_on_error=False, raise_on_exception=True)


def _record_state(doc_type, alias, index, analyzer, count) -> SearchIndexState:
    state, _ = SearchIndexState.objects.update_or_create(
        doc_type=doc_type,
        defaults={
            "alias": alias,
            "index_name": index,
            "analyzer": analyzer,
            "doc_count": count,
            "built_at": timezone.now(),
        },
    )
    return state


def rebuild(
    doc_type: str,
    *,
    client: Elasticsearch | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 1000,
) -> SearchIndexState:
    """Zero-downtime rebuild of one type from the database rows."""
    client = client or get_client()
    alias = alias_name(doc_type)
    analyzer = detect_analyzer(client)
    index = new_index_name(doc_type)
    client.indices.create(index=index, **index_body(analyzer, doc_type))
    rows = SearchDocument.objects.filter(doc_type=doc_type).order_by("pk").iterator(chunk_size)
    count = 0
    try:
        for _ok, _item in helpers.streaming_bulk(
            client, index_actions(rows, index), chunk_size=chunk_size, raise_on_error=True
        ):
            count += 1
            if progress and count % chunk_size == 0:
                progress(chunk_size)
        if progress and count % chunk_size:
            progress(count % chunk_size)
        client.indices.refresh(index=index)
    except Exception:
        client.indices.delete(index=index, ignore_unavailable=True)
        raise
    old = []
    if client.indices.exists_alias(name=alias):
        old = sorted(client.indices.get_alias(name=alias).body.keys())
    actions = [{"remove": {"index": o, "alias": alias}} for o in old]
    actions.append({"add": {"index": index, "alias": alias, "is_write_index": True}})
    client.indices.update_aliases(actions=actions)
    for o in old:
        client.indices.delete(index=o, ignore_unavailable=True)
    _known_aliases.add(alias)
    return _record_state(doc_type, alias, index, analyzer, count)


def _hit(src: dict, score: float) -> RawHit:
    from django.utils.dateparse import parse_datetime

    date = src.get("date")
    return RawHit(
        doc_type=src.get("doc_type", ""),
        object_id=int(src.get("object_id", 0)),
        title=src.get("title_display", ""),
        snippet_text=src.get("snippet_text", ""),
        date=parse_datetime(date) if date else None,
        url=src.get("url", ""),
        score=float(score or 0),
    )


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, client: Elasticsearch | None = None):
        self.client = client or get_client()

    def _types(self, types):
        from search import registry

        return list(types) if types else (registry.doc_types() or ["news"])

    def _call(self, fn):
        try:
            return fn()
        except (TransportError, ApiError) as exc:
            if not isinstance(exc, ApiError) or getattr(exc, "status_code", 500) >= 500:
                mark_unavailable(exc)
            raise BackendUnavailable(str(exc)) from exc

    def _require_built(self):
        # Until a first index exists (rebuild or first write) the database answers.
        if not SearchIndexState.objects.exists():
            raise BackendUnavailable("no Elasticsearch index built yet")

    def search(self, c: Criteria) -> RawResult:
        if not c.tokens or c.scope.empty:
            return RawResult(hits=[], total=0, facets={}, backend=self.name)
        from search import registry

        self._require_built()
        s = build_search(c, registry.doc_types() or self._types(c.types), client=self.client)
        resp = self._call(s.execute)
        facets = {b.key: b.doc_count for b in resp.aggregations.types.buckets}
        hits = [_hit(h.to_dict(), h.meta.score) for h in resp]
        total = resp.hits.total.value
        return RawResult(hits=hits, total=total, facets=facets, backend=self.name)

    def suggest(self, *, tokens, scope: Scope, types, limit: int = 10) -> list[RawHit]:
        if not tokens or scope.empty:
            return []
        self._require_built()
        s = build_suggest(tokens, scope, self._types(types), limit, client=self.client)
        resp = self._call(s.execute)
        options = resp.suggest.titles[0].options if resp.suggest.titles else []
        return [_hit(o._source.to_dict(), o._score) for o in options]
