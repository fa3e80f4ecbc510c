"""Who is looking: login, the member record and their unit's time zone for every page.

Views only decide *how* to show things; what a user may see comes from
`organizations.selectors` and the content/learning apps' selectors.
"""

from __future__ import annotations

import functools
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone

from organizations.models import UnitRole
from organizations.selectors import ObjectNotFound, member_for_user, scope_for


def member_timezone(user) -> zoneinfo.ZoneInfo:
    """The user's unit time zone (deadlines are shown in it); the site's for staff."""
    member = member_for_user(user)
    name = member.unit.timezone if member else timezone.get_default_timezone_name()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def portal_view(view):
    """Login required; dates render in the member's unit time zone for this request; an
    id the selectors answer with ObjectNotFound (missing or out of scope) is a 404."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        tz = member_timezone(request.user)
        request.member = member_for_user(request.user)
        with timezone.override(tz):
            try:
                response = view(request, *args, **kwargs)
            except ObjectNotFound:
                raise Http404 from None
            # Template responses render lazily: render inside the time-zone override.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response

    return wrapped


SUPERVISOR_ROLES = (UnitRole.Role.SECRETARY,)


def is_supervisor(user) -> bool:
    """Secretaries (and superusers) see the completion dashboard of their subtree."""
    return scope_for(user, roles=SUPERVISOR_ROLES).has_role
