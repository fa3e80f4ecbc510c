"""Template context every portal page needs (navigation state)."""

from __future__ import annotations

from portal.access import is_supervisor


def portal(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_is_supervisor": False}
    return {"portal_is_supervisor": lambda: is_supervisor(user)}
