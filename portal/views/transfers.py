"""The member's own organisation relationship transfers (组织关系转接): the state of the
pending one and the history, as the API's /api/v1/me/transfers/ gives them. The rules live
in organizations.transfers; times in the member's unit time zone (portal_view)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache

from organizations.transfers import member_transfers
from portal.access import portal_view


@never_cache
@portal_view
def my_transfers(request):
    rows = list(member_transfers(request.member)[:50])
    pending = next((t for t in rows if t.status == "pending"), None)
    return render(
        request, "portal/me/transfers.html", {"nav": "me", "transfers": rows, "pending": pending}
    )
