"""Writes: send (bulk, idempotent per recipient and key), mark read, delete."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from notifications import kinds
from notifications.errors import NotificationError
from notifications.models import Notification
from notifications.selectors import access_notification_by_id, inbox
from organizations.models import Member

BATCH = 2000


def notification_send(
    *,
    kind: str,
    recipients: Iterable[Member | int],
    context: dict | None = None,
    link: tuple[str, str] | dict | None = None,
    idempotency_key: str,
) -> int:
    """Write one notification of `kind` to each recipient (Members or their ids), in bulk.
    `link` is (api_path, portal_url) or {"api": …, "portal": …}. A recipient who already
    has a notification with `idempotency_key` is skipped, so a retried send never
    duplicates. Answers how many rows were written."""
    try:
        spec = kinds.get(kind)
    except LookupError:
        raise NotificationError(f"未知的消息类型：{kind}") from None
    key = (idempotency_key or "").strip()
    if not key or len(key) > 128:
        raise NotificationError("idempotency_key 须为 1–128 个字符")
    try:
        title, body = spec.render(context or {})
    except (KeyError, IndexError, ValueError) as exc:
        raise NotificationError(f"消息模板缺少字段：{exc}") from None
    if isinstance(link, dict):
        api_path, portal_url = link.get("api", ""), link.get("portal", "")
    else:
        api_path, portal_url = link or ("", "")
    ids = sorted({r.pk if isinstance(r, Member) else int(r) for r in recipients})
    already = set(
        Notification.objects.filter(recipient_id__in=ids, idempotency_key=key).values_list(
            "recipient_id", flat=True
        )
    )
    rows = [
        Notification(
            kind=kind,
            recipient_id=member_id,
            title=title[:200],
            body=body,
            api_path=api_path[:300],
            portal_url=portal_url[:300],
            idempotency_key=key,
        )
        for member_id in ids
        if member_id not in already
    ]
    with transaction.atomic():
        # ignore_conflicts: a concurrent retry that wrote the same rows first wins
        Notification.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        if rows:  # push / e-mail / SMS in the background once this commits
            from notifications.delivery import enqueue_delivery

            enqueue_delivery(
                Notification.objects.filter(
                    idempotency_key=key, recipient_id__in=[r.recipient_id for r in rows]
                ).values_list("pk", flat=True)
            )
    return len(rows)


def notification_mark_read(*, user, id) -> Notification:
    notification = access_notification_by_id(user, id, action="change")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    now = timezone.now()
    return inbox(user).filter(read_at__isnull=True).update(read_at=now, updated_at=now)


def notification_delete(*, user, id) -> None:
    access_notification_by_id(user, id, action="delete").delete()
