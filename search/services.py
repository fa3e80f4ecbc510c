"""Writes to the search index: upsert/delete documents, rebuild a type.

The database table is always written first (it is the source of truth and the fallback);
Elasticsearch, when configured, is fed from the same rows. An Elasticsearch failure is
logged and never fails the caller: `search_index --rebuild` catches it up later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction

from search import registry
from search.backends.database import filter_tokens
from search.models import SearchDocument
from search.normalize import index_text
from search.registry import IndexedDoc, SearchAdapter

log = logging.getLogger(__name__)

BODY_MAX_CHARS = 20_000
SNIPPET_MAX_CHARS = 4_000
UPDATE_FIELDS = [
    "title",
    "snippet_text",
    "title_norm",
    "body_norm",
    "filter_tokens",
    "audience_path",
    "is_published",
    "date",
    "url",
    "updated_at",
]


def document_row(doc: IndexedDoc) -> SearchDocument:
    body = doc.body[:BODY_MAX_CHARS]
    return SearchDocument(
        doc_type=doc.doc_type,
        object_id=doc.object_id,
        title=doc.title[:500],
        snippet_text=body[:SNIPPET_MAX_CHARS],
        title_norm=index_text(doc.title),
        body_norm=index_text(body),
        filter_tokens=_filter_tokens(doc),
        audience_path=doc.audience_path,
        is_published=doc.is_published,
        date=doc.date,
        url=doc.url,
    )


def _filter_tokens(doc: IndexedDoc) -> str:
    return filter_tokens(
        doc_type=doc.doc_type,
        audience_path=doc.audience_path or "",
        is_published=doc.is_published,
        date=doc.date,
    )


def _rows_upsert(rows: list[SearchDocument]) -> None:
    """Insert or update search rows by (doc_type, object_id): one statement."""
    SearchDocument.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["doc_type", "object_id"],
        update_fields=UPDATE_FIELDS,
    )


def es_enabled() -> bool:
    return bool(getattr(settings, "ELASTICSEARCH_URL", None))


def _es_sync(rows: list[SearchDocument], deleted: list[tuple[str, int]]) -> None:
    if not es_enabled() or not (rows or deleted):
        return
    from search.backends import elastic

    try:
        elastic.sync_documents(rows=rows, deleted=deleted)
    except Exception as exc:  # ES is optional; the database index already has it
        elastic.mark_unavailable(exc)
        log.warning("Elasticsearch sync failed (the database index is up to date): %s", exc)


def documents_upsert(*, docs: Iterable[IndexedDoc], batch_size: int = 1000) -> int:
    """Insert or update the rows for `docs` (bulk, one statement per batch)."""
    rows = [document_row(d) for d in docs]
    if not rows:
        return 0
    with transaction.atomic():
        for i in range(0, len(rows), batch_size):
            _rows_upsert(rows[i : i + batch_size])
    _es_sync(rows, [])
    return len(rows)


def documents_delete(*, doc_type: str, object_ids: Iterable[int]) -> int:
    ids = list(object_ids)
    if not ids:
        return 0
    deleted, _ = SearchDocument.objects.filter(doc_type=doc_type, object_id__in=ids).delete()
    _es_sync([], [(doc_type, i) for i in ids])
    return deleted


def objects_index(*, doc_type: str, object_ids: Iterable[int]) -> dict:
    """(Re)index the given objects of one type: missing objects are removed."""
    adapter = registry.get_adapter(doc_type)
    if adapter is None:
        return {"indexed": 0, "deleted": 0}
    ids = list(object_ids)
    objs = list(adapter.queryset().filter(pk__in=ids))
    found = {o.pk for o in objs}
    indexed = documents_upsert(docs=[adapter.to_document(o) for o in objs])
    deleted = documents_delete(doc_type=doc_type, object_ids=[i for i in ids if i not in found])
    return {"indexed": indexed, "deleted": deleted}


def type_rebuild_database(
    *, adapter: SearchAdapter, batch_size: int = 1000, progress: Callable[[int], None] | None = None
) -> int:
    """Re-create every database row of one type from its model (stale rows removed)."""
    qs = adapter.queryset()
    seen: list[int] = []
    n = 0
    batch: list = []

    def flush():
        nonlocal n
        rows = [document_row(adapter.to_document(o)) for o in batch]
        with transaction.atomic():
            _rows_upsert(rows)
        n += len(rows)
        if progress:
            progress(len(rows))
        batch.clear()

    for obj in qs.iterator(chunk_size=batch_size):
        batch.append(obj)
        seen.append(obj.pk)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    stale = (
        SearchDocument.objects.filter(doc_type=adapter.doc_type).exclude(object_id__in=seen)
        if len(seen) < 50_000
        else None
    )
    if stale is not None:
        stale.delete()
    else:  # very large types: compare in Python instead of a huge NOT IN
        present = set(seen)
        gone = [
            pk
            for pk in SearchDocument.objects.filter(doc_type=adapter.doc_type).values_list(
                "object_id", flat=True
            )
            if pk not in present
        ]
        for i in range(0, len(gone), 1000):
            SearchDocument.objects.filter(
                doc_type=adapter.doc_type, object_id__in=gone[i : i + 1000]
            ).delete()
    return n


def _normalise_chunk(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(index_text(title), index_text(body)) for title, body in pairs]


def documents_bulk_load(
    *, docs: list[IndexedDoc], processes: int = 1, batch_size: int = 2000
) -> dict:
    """Index many documents at once (imports, rebuilds, benchmarks).

    The CPU-bound normalisation runs in `processes` worker processes (forked after the
    segmenter is initialised, so workers share its dictionary) and is streamed: batch n
    is upserted while the workers normalise the following batches. Returns timings:
    {"documents", "normalise_seconds" (time spent waiting for normalised batches),
    "insert_seconds" (time spent writing)}."""
    import multiprocessing
    import time

    from search.normalize import get_jieba

    get_jieba()  # initialise before forking so workers inherit the dictionary
    chunks = [docs[i : i + batch_size] for i in range(0, len(docs), batch_size)]
    waited = written = 0.0

    def texts(chunk):
        return [(d.title[:500], d.body[:BODY_MAX_CHARS]) for d in chunk]

    def write(chunk, normalised):
        rows = []
        for doc, (title_norm, body_norm) in zip(chunk, normalised, strict=True):
            body = doc.body[:BODY_MAX_CHARS]
            rows.append(
                SearchDocument(
                    doc_type=doc.doc_type,
                    object_id=doc.object_id,
                    title=doc.title[:500],
                    snippet_text=body[:SNIPPET_MAX_CHARS],
                    title_norm=title_norm,
                    body_norm=body_norm,
                    filter_tokens=_filter_tokens(doc),
                    audience_path=doc.audience_path,
                    is_published=doc.is_published,
                    date=doc.date,
                    url=doc.url,
                )
            )
        with transaction.atomic():
            _rows_upsert(rows)
        _es_sync(rows, [])

    if processes > 1 and len(chunks) > 4:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes) as pool:
            results = pool.imap(_normalise_chunk, (texts(ch) for ch in chunks))
            for chunk in chunks:
                started = time.perf_counter()
                normalised = next(results)
                waited += time.perf_counter() - started
                started = time.perf_counter()
                write(chunk, normalised)
                written += time.perf_counter() - started
    else:
        for chunk in chunks:
            started = time.perf_counter()
            normalised = _normalise_chunk(texts(chunk))
            waited += time.perf_counter() - started
            started = time.perf_counter()
            write(chunk, normalised)
            written += time.perf_counter() - started
    return {"documents": len(docs), "normalise_seconds": waited, "insert_seconds": written}
