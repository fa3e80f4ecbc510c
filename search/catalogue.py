"""Bookshelf search on a caller's queryset: the Wagtail snippet listings (selected by
`settings.EHOME_CATALOGUE_ADMIN_SEARCH`, so the CMS never imports this app), the apps'
`/api/v1/books/?q=` and `/periodicals/?q=`, and the portal's bookshelf.

It filters the queryset it is given, so the caller's scope, filters, ordering and
pagination still apply; matching goes through this app's index (search.models), which
the bulk book importer feeds (its deferred indexing task), unlike Wagtail's own index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from cms.validators import normalize_isbn, normalize_issn
from core import content
from search.normalize import query_tokens, to_simplified
from search.query import object_ids_matching

#: Books saved this recently may not be in the search index yet (the indexing task runs
#: on the worker after commit): the admin search also matches them by substring.
UNINDEXED_WINDOW = timedelta(minutes=15)


def _catalogue_search(
    qs: QuerySet,
    q: str,
    *,
    doc_type: str,
    fields: Sequence[str] = ("title",),
    code_field: str | None = None,
    normalize_code: Callable[[str], str] | None = None,
) -> QuerySet:
    """Search of the bookshelf (books, periodicals, issues) filtering `qs`, so the
    caller's filters, ordering, pagination and scope still apply (`catalogue_search`
    supplies the per-model arguments).

    A row matches when any of these holds:
    - its search-app document has every word of the query, normalised like the search
      service does (Traditional → Simplified, jieba words, so 党费 is found inside
      关于做好党费收缴工作的通知 and 黨費 finds 党费; ISBNs with or without hyphens);
    - `code_field` (ISBN/ISSN) equals the normalised query;
    - it was saved within UNINDEXED_WINDOW (its indexing task may not have run yet) and
      one of `fields` contains the query, as typed or converted to Simplified.
    The three are one ``pk IN (… UNION … UNION …)``, each part answered by an index (the
    full-text GIN, the ISBN/ISSN index, `updated_at`), never by a scan of the catalogue.
    """
    q = (q or "").strip()
    if not q:
        return qs
    model = qs.model
    parts: list[QuerySet] = []
    tokens = query_tokens(q)
    if tokens:
        indexed = object_ids_matching(doc_type, tokens)
        if indexed is not None:
            parts.append(indexed)
    if code_field and normalize_code is not None:
        code = normalize_code(q)
        if code:
            parts.append(model._default_manager.filter(**{code_field: code}).values("pk"))
    substring = Q()
    for field in fields:
        for text in {q, to_simplified(q)}:
            substring |= Q(**{f"{field}__icontains": text})
    if fields:
        recent = Q(updated_at__gte=timezone.now() - UNINDEXED_WINDOW)
        parts.append(model._default_manager.filter(recent & substring).values("pk"))
    if not parts:
        return qs.none()
    ids = parts[0].order_by()
    for part in parts[1:]:
        ids = ids.union(part.order_by())
    return qs.filter(pk__in=ids)


#: content type (core.content) → (fields for the recent-row substring match, the
#: (field, normaliser) matched exactly against the normalised query: ISBN / ISSN)
CATALOGUE_SEARCH: dict[str, tuple[tuple[str, ...], tuple[str, Callable] | None]] = {
    "book": (("title", "authors"), ("isbn", normalize_isbn)),
    "periodical": (("title",), ("issn", normalize_issn)),
    "periodical_issue": (("label", "periodical__title"), None),
}


def catalogue_search(qs: QuerySet, q: str) -> QuerySet:
    """The bookshelf search everyone gets — the admin listings, the apps' `?q=` and the
    portal's bookshelf: `_catalogue_search` with the model's own settings."""
    doc_type = content.of_model(qs.model).name
    fields, code = CATALOGUE_SEARCH[doc_type]
    return _catalogue_search(
        qs,
        q,
        doc_type=doc_type,
        fields=fields,
        code_field=code[0] if code else None,
        normalize_code=code[1] if code else None,
    )
