"""Signals other apps (search) connect to.

`books_imported(ids=[...])` is sent once after an import committed — bulk_create and
bulk_update send no per-row post_save, so search and reference indexing is deferred to
whoever listens to this one signal (the search app re-indexes the ids in batches)."""

from django.dispatch import Signal

books_imported = Signal()
