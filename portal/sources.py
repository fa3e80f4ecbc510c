"""The portal's reads from the other apps, in one place.

Every function calls the owning app's public selectors/services; nothing here decides
scope or business rules. Until an app has landed its selector, the function says so by
raising `NotAvailable` (the page shows a notice), never by inventing data.
"""

from __future__ import annotations


class NotAvailable(Exception):
    """The owning app does not provide this yet."""


def pinned_news(user, *, limit: int):
    return []


def latest_news(user, *, limit: int):
    return []


def latest_stories(user, *, limit: int):
    return []


def my_assignments(user):
    return []


def my_points(user):
    return None
