"""Delivering notifications over push, e-mail and SMS, in the background.

`enqueue_delivery(ids)` is the one entry point: a send (notification_send, the fan-out)
calls it with the ids of the inbox rows it wrote; once the transaction commits,
`deliver_notifications` tasks take them in batches (NOTIFICATIONS_DELIVERY_BATCH). A task
writes one Delivery row per notification and channel and decides each by the member's
preferences and quiet hours (notifications.preferences), then sends
(notifications.channels). Nothing here runs in a web request.

A provider that times out or answers 5xx leaves the row pending with a due time
(NOTIFICATIONS_RETRY_BACKOFF seconds, doubled after each attempt); after
NOTIFICATIONS_DELIVERY_ATTEMPTS attempts it is failed with the reason. Rows deferred by
quiet hours and retries come due through the periodic job "notifications.deferred"
(`deliveries_due_send`, every minute), which also picks up rows a lost task left pending.
Both tasks are idempotent: a row is sent only while it is open (pending or deferred and
due), under a row lock, and is closed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from notifications import kinds
from notifications.channels import Message, Outcome, sender
from notifications.models import Channel, Delivery, Notification, NotificationPreference
from notifications.preferences import QUIET_CHANNELS, quiet_hours_of

log = logging.getLogger("notifications.delivery")

S = Delivery.Status
OPEN = (S.PENDING, S.DEFERRED)
#: a pending row no task has touched for this long was lost (a worker died): send it
LOST_AFTER = dt.timedelta(minutes=10)
#: rows one run of the periodic job takes at most (the next run takes the rest)
DUE_BATCH = 2000


def enqueue_delivery(notification_ids: Iterable[int]) -> None:
    """Queue delivery of these notifications (ids of Notification rows) once the current
    transaction commits, in batches of NOTIFICATIONS_DELIVERY_BATCH."""
    ids = sorted({int(i) for i in notification_ids})
    size = max(1, int(getattr(settings, "NOTIFICATIONS_DELIVERY_BATCH", 200)))
    for i in range(0, len(ids), size):
        transaction.on_commit(functools.partial(deliver_notifications.enqueue, ids[i : i + size]))


@task()
def deliver_notifications(notification_ids: list[int]) -> dict:
    """Write the Delivery rows of these notifications (once) and send the open ones."""
    return deliver(notification_ids)


def deliver(notification_ids: Iterable[int], *, now: dt.datetime | None = None) -> dict:
    ids = [int(i) for i in notification_ids]
    existing = set(
        Notification.objects.filter(pk__in=ids).values_list("pk", flat=True)
    )  # a notification deleted since is skipped
    Delivery.objects.bulk_create(
        [Delivery(notification_id=n, channel=c) for n in sorted(existing) for c in Channel.values],
        ignore_conflicts=True,
    )
    rows = Delivery.objects.filter(notification_id__in=existing, status=S.PENDING).filter(
        Q(due_at__isnull=True) | Q(due_at__lte=now or timezone.now())
    )
    return deliveries_process(list(rows.values_list("pk", flat=True)), now=now)


@task()
def deliveries_due_send() -> dict:
    """Periodic ("notifications.deferred"): send the deliveries that are due — quiet hours
    over, a retry's wait over, or a pending row a lost task left behind."""
    return deliveries_due(now=timezone.now())


def deliveries_due(*, now: dt.datetime) -> dict:
    due = Delivery.objects.filter(
        Q(status__in=OPEN, due_at__lte=now)
        | Q(status=S.PENDING, due_at__isnull=True, updated_at__lte=now - LOST_AFTER)
    ).order_by("due_at", "pk")
    return deliveries_process(list(due.values_list("pk", flat=True)[:DUE_BATCH]), now=now)


def _message(n: Notification) -> Message:
    member = n.recipient
    return Message(
        notification_id=n.pk,
        kind=n.kind,
        title=n.title,
        body=n.body,
        api_path=n.api_path,
        portal_url=n.portal_url,
        user_id=member.user_id,
        email=member.user.email or "",
        phone=member.phone or "",
    )


def _backoff(attempts: int) -> dt.timedelta:
    base = int(getattr(settings, "NOTIFICATIONS_RETRY_BACKOFF", 60))
    return dt.timedelta(seconds=base * 2 ** max(0, attempts - 1))


def deliveries_process(delivery_ids: list[int], *, now: dt.datetime | None = None) -> dict:
    """Decide and send each open, due delivery; answers a count per resulting status."""
    counts: dict[str, int] = {}
    if not delivery_ids:
        return counts
    rows = list(
        Delivery.objects.filter(pk__in=delivery_ids).select_related(
            "notification__recipient__user", "notification__recipient__unit"
        )
    )
    members = {d.notification.recipient_id for d in rows}
    prefs = {p.member_id: p for p in NotificationPreference.objects.filter(member_id__in=members)}
    max_attempts = int(getattr(settings, "NOTIFICATIONS_DELIVERY_ATTEMPTS", 4))
    for d in rows:
        n = d.notification
        member = n.recipient
        pref = prefs.get(member.pk) or NotificationPreference(member=member)
        try:
            kind = kinds.get(n.kind)
        except LookupError:
            kind = kinds.Kind(code=n.kind, title_template="")
        with transaction.atomic():
            row = (
                Delivery.objects.select_for_update(skip_locked=True)
                .filter(pk=d.pk, status__in=OPEN)
                .first()
            )
            at = now or timezone.now()
            if row is None or (row.due_at is not None and row.due_at > at):
                continue  # another worker has it, it is closed, or not yet due
            quiet = quiet_hours_of(pref, member)
            until = quiet.until(at) if quiet else None
            if not pref.is_enabled(n.kind, row.channel):
                row.status, row.due_at = S.SUPPRESSED, None
            elif row.channel in QUIET_CHANNELS and not kind.urgent and until is not None:
                row.status, row.due_at = S.DEFERRED, until
            else:
                outcome = sender(row.channel)(_message(n))
                _record(row, outcome, at, max_attempts)
            row.save()
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def _record(row: Delivery, outcome: Outcome, at: dt.datetime, max_attempts: int) -> None:
    row.last_error = outcome.error
    if outcome.result == Outcome.NOT_CONFIGURED:
        row.status, row.due_at = S.NOT_CONFIGURED, None
        return
    if outcome.result == Outcome.NO_ADDRESS:
        row.status, row.due_at = S.NO_ADDRESS, None
        return
    row.attempts += 1
    if outcome.result == Outcome.SENT:
        row.status, row.due_at, row.sent_at = S.SENT, None, at
    elif outcome.result == Outcome.RETRY and row.attempts < max_attempts:
        row.status, row.due_at = S.PENDING, at + _backoff(row.attempts)
        log.info("delivery %s: %s; retry at %s", row.pk, outcome.error, row.due_at)
    else:
        if outcome.result == Outcome.RETRY:
            row.last_error = f"{outcome.error}（已尝试 {row.attempts} 次，放弃）"
        row.status, row.due_at = S.FAILED, None
