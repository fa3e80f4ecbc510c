"""The member's home page."""

from __future__ import annotations

from django.shortcuts import render

from portal import sources
from portal.access import portal_view


@portal_view
def home(request):
    user = request.user
    pinned = sources.pinned_news(user, limit=3)
    context = {
        "nav": "home",
        "pinned_news": pinned,
        "latest_news": sources.latest_news(user, limit=8, exclude=pinned),
        "stories": sources.latest_stories(user, limit=4),
        "assignments": sources.my_assignments(user),
        "points": sources.my_points(user),
    }
    return render(request, "portal/home.html", context)
