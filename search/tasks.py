"""Background indexing tasks (idempotent: re-running one reindexes the current state)."""

from __future__ import annotations

from django_tasks import task

from search import services


@task()
def index_objects(doc_type: str, object_ids: list[int]) -> dict:
    """Upsert (or remove, when gone) the search documents of these objects."""
    return services.objects_index(doc_type=doc_type, object_ids=[int(i) for i in object_ids])


@task()
def delete_objects(doc_type: str, object_ids: list[int]) -> int:
    return services.documents_delete(doc_type=doc_type, object_ids=[int(i) for i in object_ids])
