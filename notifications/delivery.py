"""Channel delivery of notifications already written to inboxes (push, email, SMS).

`enqueue_delivery(notification_ids)` is the one entry point the fan-out
(notifications.broadcasts) and the triggers call after their rows are written, inside
the transaction that wrote them. The channels module (django-push-notifications, email,
SMS, preferences and quiet hours) provides the real implementation; until it is in
place, the in-app row *is* the delivery: this function records nothing and sends
nothing, and callers must not rely on anything else here.
"""

from __future__ import annotations

from collections.abc import Sequence


def enqueue_delivery(notification_ids: Sequence[int]) -> None:
    """Queue channel delivery (push/email/SMS) of these notifications. In-app only for
    now: nothing to queue."""
    return None
