"""The one JSON shape of a notification (API list and actions, shared with the portal)."""

from __future__ import annotations

from typing import TypedDict

FIELDS = (
    "id",
    "kind",
    "title",
    "body",
    "api_path",
    "portal_url",
    "created_at",
    "read_at",
    "image_url",
)


class NotificationJSON(TypedDict):
    id: int
    kind: str
    title: str
    body: str
    link: dict
    image: str | None
    created_at: str
    read_at: str | None
    is_read: bool


def _iso(value):
    return value.isoformat() if value is not None else None


def notification_as_dict(n) -> NotificationJSON:
    """`n`: a Notification or a `.values(*FIELDS)` row."""
    get = n.get if isinstance(n, dict) else lambda name: getattr(n, name)
    return {
        "id": get("id"),
        "kind": get("kind"),
        "title": get("title"),
        "body": get("body"),
        "link": {"api": get("api_path") or None, "portal": get("portal_url") or None},
        "image": get("image_url") or None,
        "created_at": _iso(get("created_at")),
        "read_at": _iso(get("read_at")),
        "is_read": get("read_at") is not None,
    }
