"""Signals other apps (search) connect to.

`books_imported(ids=[...])` is sent once after an import committed — bulk_create and
bulk_update send no per-row post_save, so search and reference indexing is deferred to
whoever listens to this one signal (the search app re-indexes the ids in batches).

`outlet_served_changed(ids=[...])` is sent after commit when where content is served
may have changed: a publication was recorded with its outlets (cms.audit_log), or the
portal or app outlet content went out through was suspended, closed or resumed
(cms.outlets). `ids` are content page ids; the search app re-indexes them."""

from django.dispatch import Signal

books_imported = Signal()
outlet_served_changed = Signal()
