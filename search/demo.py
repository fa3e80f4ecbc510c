"""Demo step (`manage.py seed_demo`, after the content and academy steps): build the
database search index for everything the earlier steps created, so search works at once
without waiting for the task worker."""

from __future__ import annotations

from search import registry
from search.services import type_rebuild_database


def seed(stdout=None) -> dict:
    counts = {}
    for adapter in registry.all_adapters():
        counts[adapter.doc_type] = type_rebuild_database(adapter=adapter)
    if stdout is not None:
        stdout.write("搜索索引：" + "，".join(f"{k} {v}" for k, v in counts.items()) + "\n")
    return {"search_documents": sum(counts.values())}
