"""Template context every portal page needs (navigation state, the bell's unread count)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from notifications.selectors import unread_count
from organizations.scope import scope_for
from portal.access import is_supervisor

#: who writes and receives manuscripts (publications.manuscripts.selectors.MANAGER_ROLES)
MANUSCRIPT_ROLES = ("editor", "secretary", "unit_admin")


def portal(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_is_supervisor": False, "portal_manuscripts": False, "portal_unread": 0}
    return {
        "portal_is_supervisor": lambda: is_supervisor(user),
        "portal_manuscripts": lambda: scope_for(user, roles=MANUSCRIPT_ROLES).has_role,
        # the bell's count: one query, only on pages that show the header
        "portal_unread": SimpleLazyObject(lambda: unread_count(user)),
    }
