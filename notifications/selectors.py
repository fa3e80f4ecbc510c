"""Reads of the inbox: a member sees only their own notifications; another member's id
answers like a missing one (ObjectNotFound)."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification
from organizations.selectors import ObjectNotFound, member_for_user, object_or_not_found


def hidden_kinds(member) -> list[str]:
    """The kinds the member switched off in the inbox (notifications.preferences; never a
    mandatory kind): their rows stay (a retried send stays idempotent) but are not shown."""
    from notifications import kinds
    from notifications.models import CHANNEL_INAPP, NotificationPreference

    disabled = (
        NotificationPreference.objects.filter(member=member)
        .values_list("disabled", flat=True)
        .first()
    ) or {}
    hidden = []
    for code, channels in disabled.items():
        try:
            mandatory = kinds.get(code).mandatory
        except LookupError:
            mandatory = False
        if CHANNEL_INAPP in channels and not mandatory:
            hidden.append(code)
    return hidden


def _own(member) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=member)
    hidden = hidden_kinds(member)
    return qs.exclude(kind__in=hidden) if hidden else qs


def inbox(user) -> QuerySet[Notification]:
    """The user's notifications, newest first (none for a user who is not a member)."""
    member = member_for_user(user)
    if member is None:
        return Notification.objects.none()
    return _own(member).order_by("-created_at", "-id")


def unread_count(user) -> int:
    member = member_for_user(user)
    if member is None:
        return 0
    return _own(member).filter(read_at__isnull=True).count()


def access_notification_by_id(user, notification_id, *, action: str = "view") -> Notification:
    """One of the user's own notifications (any action: it is theirs), or ObjectNotFound."""
    member = member_for_user(user)
    if member is None:
        raise ObjectNotFound
    return object_or_not_found(Notification.objects.filter(recipient=member), notification_id)
