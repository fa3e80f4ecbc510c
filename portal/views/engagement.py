"""Likes, shares and share links on the portal; the item stats page for managers.

`/s/<token>` is public (a share link is opened by whoever it was sent to): a valid token
counts one click for the sharer and redirects to the item's portal page, which asks the
visitor to log in and checks the audience itself; an unknown token is 404 and counts
nothing. Reads on the portal are counted by the item pages' engagement bar
(portal/templatetags/engagement.py)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.errors import ObjectNotFound
from interaction.engagement import selectors, services
from interaction.engagement.items import PORTAL_ROUTES
from portal.access import portal_view


def _kind(kind: str) -> str:
    if kind not in PORTAL_ROUTES:
        raise ObjectNotFound
    return kind


def _back(request, kind: str, pk: int) -> str:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        return nxt
    return reverse(PORTAL_ROUTES[kind], args=[pk])


@require_GET
def share_visit(request, token: str):
    try:
        link = services.share_click(token=token)
    except ObjectNotFound:
        raise Http404 from None
    return redirect(PORTAL_ROUTES[link.kind], link.item_id)


@require_POST
@portal_view
def like(request, kind: str, pk: int):
    liked = request.POST.get("liked") == "1"
    services.like_set(user=request.user, kind=_kind(kind), item_id=pk, liked=liked)
    return redirect(_back(request, kind, pk))


@require_POST
@portal_view
def share(request, kind: str, pk: int):
    item, token = services.share_create(
        user=request.user, kind=_kind(kind), item_id=pk, through="portal"
    )
    url = request.build_absolute_uri(reverse("portal:share_visit", args=[token]))
    context = {"item": item, "url": url, "back": _back(request, kind, pk)}
    return render(request, "portal/engagement/share.html", context, status=201)


@portal_view
def stats(request, kind: str, pk: int):
    item = selectors.access_item_stats(request.user, _kind(kind), pk)
    context = {
        "item": item,
        "stats": selectors.item_stats(item),
        "back": reverse(PORTAL_ROUTES[kind], args=[pk]),
    }
    return render(request, "portal/engagement/stats.html", context)


__all__ = ["like", "share", "share_visit", "stats"]
