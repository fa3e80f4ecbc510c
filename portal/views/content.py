"""News, exemplar stories and the digest. The lists come from cms.selectors (audience
scope decided there); detail pages are the Wagtail pages themselves, rendered in the
portal layout by templates/cms/*.html (their serve() answers 404 out of scope)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from cms import selectors
from cms.selectors import PORTAL
from portal.access import portal_view

PAGE_SIZE = 20


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@portal_view
def news_list(request):
    qs = selectors.news_visible_to(request.user, through=PORTAL).select_related("cover_image")
    channels = list(selectors.channels())
    channel = request.GET.get("channel") or ""
    current = next((c for c in channels if c.channel_code == channel), None)
    if current is not None:
        qs = qs.child_of(current)
    page = _page(request, qs.order_by("-pinned", "-date", "-id"))
    context = {"nav": "news", "page_obj": page, "channels": channels, "channel": current}
    return render(request, "portal/news_list.html", context)


@portal_view
def news_detail(request, pk: int):
    page = selectors.access_news_by_id(request.user, pk, through=PORTAL)
    return redirect(page.url)


@portal_view
def story_list(request):
    qs = selectors.exemplars_visible_to(request.user, through=PORTAL).select_related(
        "portrait", "subject_unit"
    )
    page = _page(request, qs.order_by("-date", "-id"))
    return render(request, "portal/story_list.html", {"nav": "news", "page_obj": page})


@portal_view
def story_detail(request, pk: int):
    page = selectors.access_exemplar_by_id(request.user, pk, through=PORTAL)
    return redirect(page.url)


@portal_view
def digest_latest(request):
    issue = (
        selectors.digests_visible_to(request.user, through=PORTAL)
        .order_by("-issue_date", "-id")
        .first()
    )
    if issue is None:
        return render(request, "portal/digest_none.html", {"nav": "digest"})
    return redirect(issue.url)


@portal_view
def digest_detail(request, pk: int):
    issue = selectors.access_digest_by_id(request.user, pk, through=PORTAL)
    return redirect(issue.url)
