"""The member's inbox (消息): list, open (marks read, follows the deep link), mark read,
mark all read, delete. Another member's notification is a 404 like a missing one
(notifications.selectors)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors, services
from portal.access import portal_view


@portal_view
def inbox(request):
    page = Paginator(selectors.inbox(request.user), 20).get_page(request.GET.get("page"))
    context = {
        "nav": "inbox",
        "page_obj": page,
        "notifications": page.object_list,
        "unread": selectors.unread_count(request.user),
    }
    return render(request, "portal/inbox.html", context)


def _back(request):
    return redirect("portal:notifications")


@portal_view
def notification_open(request, pk: int):
    """Mark read and open what it is about (its portal URL; the inbox when it has none)."""
    notification = services.notification_mark_read(user=request.user, id=pk)
    target = notification.portal_url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return _back(request)


@require_POST
@portal_view
def notification_read(request, pk: int):
    services.notification_mark_read(user=request.user, id=pk)
    return _back(request)


@require_POST
@portal_view
def notifications_read_all(request):
    marked = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(count)d 条消息标为已读") % {"count": marked})
    return _back(request)


@require_POST
@portal_view
def notification_delete(request, pk: int):
    services.notification_delete(user=request.user, id=pk)
    messages.success(request, _("消息已删除"))
    return _back(request)
