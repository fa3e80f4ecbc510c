"""Keep the search index in step with the indexed models.

Connected from SearchConfig.ready(): publishing, unpublishing, saving and deleting an
indexed object enqueues an index task once the transaction commits (a rolled-back edit
indexes nothing). Bulk imports announce themselves with `cms.signals.books_imported`.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from search import registry

log = logging.getLogger(__name__)
_connected: set[tuple] = set()


BATCH = 1000


def _batches(object_ids) -> list[list[int]]:
    ids = [int(i) for i in object_ids]
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def enqueue_index(doc_type: str, object_ids: list[int]) -> None:
    """Index these objects once the current transaction commits (in batches of 1000)."""
    from search.tasks import index_objects

    for batch in _batches(object_ids):
        transaction.on_commit(lambda b=batch: index_objects.enqueue(doc_type, b))


def enqueue_delete(doc_type: str, object_ids: list[int]) -> None:
    from search.tasks import delete_objects

    for batch in _batches(object_ids):
        transaction.on_commit(lambda b=batch: delete_objects.enqueue(doc_type, b))


def _on_save(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata
        return
    for adapter in registry.adapters_for_model(type(instance)):
        enqueue_index(adapter.doc_type, [instance.pk])
        if adapter.dependents is not None:
            for doc_type, ids in adapter.dependents(instance):
                enqueue_index(doc_type, list(ids))


def _on_delete(sender, instance, **kwargs):
    for adapter in registry.adapters_for_model(type(instance)):
        enqueue_delete(adapter.doc_type, [instance.pk])


def _on_page_event(sender, instance, **kwargs):
    page = instance.specific if hasattr(instance, "specific") else instance
    for adapter in registry.adapters_for_model(type(page)):
        enqueue_index(adapter.doc_type, [page.pk])


def _on_bulk(doc_type: str):
    def handler(sender=None, ids=None, **kwargs):
        enqueue_index(doc_type, list(ids or []))

    return handler


def _connect_once(signal, handler, sender, key):
    if key in _connected:
        return
    signal.connect(handler, sender=sender, weak=False, dispatch_uid=f"search:{key}")
    _connected.add(key)


def connect_all() -> None:
    """Connect handlers for every registered adapter (safe to call again)."""
    from wagtail.signals import page_published, page_unpublished

    for adapter in registry.all_adapters():
        model = adapter.model_class()
        if model is None:
            continue
        label = model._meta.label_lower
        _connect_once(post_save, _on_save, model, ("save", label))
        _connect_once(post_delete, _on_delete, model, ("delete", label))
        if adapter.is_page:
            _connect_once(page_published, _on_page_event, model, ("published", label))
            _connect_once(page_unpublished, _on_page_event, model, ("unpublished", label))
        for signal in adapter.extra_signals:
            key = ("extra", adapter.doc_type, id(signal))
            if key not in _connected:
                signal.connect(_on_bulk(adapter.doc_type), weak=False, dispatch_uid=f"search:{key}")
                _connected.add(key)
