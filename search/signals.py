"""Keep the search index in step with the content: the `content_changed` receiver.

`core.content.content_changed` is sent after the transaction commits (a rolled-back
edit indexes nothing) for every save, publish, unpublish, move and delete of a declared
content type and for bulk changes (an import, an outlet suspended). Connected from
`SearchConfig.ready()`.
"""

from __future__ import annotations

import logging

from django.db import transaction

from core.content import DELETED, PART, ContentChange
from search import registry

log = logging.getLogger(__name__)

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


def content_changed(sender, change: ContentChange, **kwargs) -> None:
    """Reindex (or drop) the documents of what changed, and of what follows it (a
    course's lessons, a periodical's issues)."""
    adapter = registry.get_adapter(change.content_type.name)
    if adapter is None or change.action == PART:
        return
    ids = list(change.object_ids)
    if change.action == DELETED:
        enqueue_delete(adapter.doc_type, ids)
        return
    enqueue_index(adapter.doc_type, ids)
    if adapter.dependents is not None and change.instance is not None:
        for doc_type, dependent_ids in adapter.dependents(change.instance):
            enqueue_index(doc_type, list(dependent_ids))
