"""Helpers for triggers: the apps above (elearning, cms …) decide *when* and *whom*
(their periodic jobs are declared in core.schedule, their kinds in notifications.kinds);
this module writes the rows and hands them to channel delivery.

`notify_members` sends one kind to a queryset of members in keyset batches; each batch
writes with `bulk_create(ignore_conflicts=True)` against the unique
(recipient, idempotency_key) and queues delivery only for the rows it wrote itself, so a
re-run (a retried or late periodic job) writes and pushes nothing again.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from notifications import kinds
from notifications.delivery import enqueue_delivery
from notifications.errors import NotificationError
from notifications.models import Notification
from organizations.models import Member

BATCH = 5000


def notify_members(
    *,
    kind: str,
    members: QuerySet[Member],
    context: dict,
    link: tuple[str, str] = ("", ""),
    idempotency_key: str,
    batch: int = BATCH,
) -> int:
    """Answers how many notifications were written (0 on a repeat)."""
    try:
        title, body = kinds.get(kind).render(context)
    except LookupError:
        raise NotificationError(f"未知的消息类型：{kind}") from None
    key = idempotency_key[:128]
    api_path, portal_url = link
    cursor, total = 0, 0
    ids_qs = members.order_by("pk").values_list("pk", flat=True)
    while True:
        ids = list(ids_qs.filter(pk__gt=cursor)[:batch])
        if not ids:
            return total
        cursor = ids[-1]
        with transaction.atomic():
            have = set(
                Notification.objects.filter(recipient_id__in=ids, idempotency_key=key).values_list(
                    "recipient_id", flat=True
                )
            )
            new = [i for i in ids if i not in have]
            if not new:
                continue
            Notification.objects.bulk_create(
                [
                    Notification(
                        kind=kind,
                        recipient_id=i,
                        title=title[:200],
                        body=body,
                        api_path=api_path[:300],
                        portal_url=portal_url[:300],
                        idempotency_key=key,
                    )
                    for i in new
                ],
                batch_size=2000,
                ignore_conflicts=True,
            )
            written = list(
                Notification.objects.filter(recipient_id__in=new, idempotency_key=key).values_list(
                    "pk", flat=True
                )
            )
            total += len(written)
            enqueue_delivery(written)
