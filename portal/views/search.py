"""Site search over what the user may read (search.query.search applies the scope)."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from portal.access import portal_view

PORTAL_ROUTES = {
    "news": "portal:news_detail",
    "exemplar": "portal:story_detail",
    "digest": "portal:digest_detail",
    "book": "portal:book_detail",
    "periodical": "portal:periodical_detail",
    "periodical_issue": "portal:periodical_issue",
    "course": "portal:course",
    "lesson": "portal:lesson",
}


def _date(value: str | None):
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def hit_url(hit) -> str:
    """The portal page of a result: every indexed type has one (tests/portal walks them)."""
    route = PORTAL_ROUTES.get(hit.type)
    return reverse(route, args=[hit.id]) if route else hit.url


@portal_view
def search_page(request):
    from search import registry
    from search.query import search

    q = (request.GET.get("q") or "").strip()[:100]
    doc_type = request.GET.get("type") or ""
    labels = registry.labels()
    if doc_type not in labels:
        doc_type = ""
    sort = (
        request.GET.get("sort") if request.GET.get("sort") in ("relevance", "date") else "relevance"
    )
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    filters = {}
    if date_from:
        filters["date_from"] = date_from
    if date_to:
        filters["date_to"] = date_to + dt.timedelta(days=1)
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    results = None
    hits = []
    if q:
        results = search(
            q,
            user=request.user,
            types=[doc_type] if doc_type else None,
            filters=filters,
            sort=sort,
            page=page,
            page_size=20,
        )
        hits = [{"hit": h, "url": hit_url(h)} for h in results.hits]
    context = {
        "search_query": q,
        "results": results,
        "hits": hits,
        "labels": labels,
        "type": doc_type,
        "sort": sort,
        "date_from": request.GET.get("from") or "",
        "date_to": request.GET.get("to") or "",
    }
    return render(request, "portal/search.html", context)
