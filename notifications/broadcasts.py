"""Fan-out of one notification to an audience at organisation scale.

`broadcast_create` records a `Broadcast` (rendered text, audience, idempotency key) and
queues `notifications.tasks.broadcast_run` once the transaction commits. The run walks
the audience by member id (keyset, `EHOME_BROADCAST_BATCH` members a batch): in one
transaction per batch it locks the broadcast row, reads the next ids after the cursor,
writes the in-app rows with `bulk_create(ignore_conflicts=True)` against Notification's
unique (recipient, idempotency_key), hands the written ids to
`notifications.delivery.enqueue_delivery` and moves the cursor. A worker killed mid-batch
loses only that uncommitted batch; `broadcasts_resume` (a periodic job) queues again a
broadcast whose lease ran out, and the run continues after the last committed cursor.
Two runs of one broadcast take turns on the row lock and never write a row twice.

Audience snapshot: active members of the audience subtree at the time their batch runs,
who already existed when the broadcast was created (member id ≤ `member_ceiling`) and
were not transferred in from outside the audience after it was created. A member who
joins later does not get old broadcasts.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from notifications import kinds
from notifications.delivery import enqueue_delivery
from notifications.errors import NotificationError
from notifications.models import Broadcast, Notification
from organizations.models import Member, OrgUnit, Transfer
from organizations.scope import path_prefix_q


def batch_size() -> int:
    return max(1, int(getattr(settings, "EHOME_BROADCAST_BATCH", 5000)))


def lease_seconds() -> int:
    return max(1, int(getattr(settings, "EHOME_BROADCAST_LEASE_SECONDS", 60)))


def audience_members(broadcast: Broadcast) -> QuerySet[Member]:
    """The broadcast's recipients (see the module's snapshot rule), unordered."""
    path = broadcast.audience_unit.path
    moved_in = Transfer.objects.filter(
        member=OuterRef("pk"), transferred_at__gt=broadcast.created_at
    ).exclude(path_prefix_q([path], "from_unit__path"))
    return (
        Member.objects.filter(path_prefix_q([path], "unit__path"))
        .filter(status=Member.Status.ACTIVE, pk__lte=broadcast.member_ceiling)
        .exclude(Exists(moved_in))
    )


def _render(kind: str, context: dict) -> tuple[str, str]:
    try:
        spec = kinds.get(kind)
    except LookupError:
        raise NotificationError(f"未知的消息类型：{kind}") from None
    try:
        return spec.render(context)
    except (KeyError, IndexError, ValueError) as exc:
        raise NotificationError(f"消息模板缺少字段：{exc}") from None


@transaction.atomic
def broadcast_create(
    *,
    kind: str,
    audience_unit: OrgUnit,
    idempotency_key: str,
    context: dict | None = None,
    link: tuple[str, str] | dict | None = None,
    audience: str = Broadcast.Audience.UNIT,
    source: str = "",
    sent_by=None,
    image_url: str = "",
) -> Broadcast:
    """Record a broadcast and queue its fan-out after commit. The same key again answers
    the broadcast already recorded (and queues nothing): a retried send never
    duplicates."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise NotificationError("idempotency_key 须为 1–100 个字符")
    if audience_unit is None:
        raise NotificationError("请选择发送范围")
    if audience not in Broadcast.Audience.values:
        raise NotificationError(f"未知的发送对象：{audience}")
    existing = Broadcast.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    context = dict(context or {})
    title, body = _render(kind, context)
    if isinstance(link, dict):
        api_path, portal_url = link.get("api", ""), link.get("portal", "")
    else:
        api_path, portal_url = link or ("", "")
    broadcast = Broadcast(
        kind=kind,
        context={k: str(v) for k, v in context.items()},
        title=title[:200],
        body=body,
        api_path=api_path[:300],
        portal_url=portal_url[:300],
        image_url=(image_url or "")[:500],
        audience=audience,
        audience_unit=audience_unit,
        source=source[:64],
        idempotency_key=key,
        sent_by=sent_by if getattr(sent_by, "pk", None) else None,
        member_ceiling=Member.objects.aggregate(m=Max("pk"))["m"] or 0,
    )
    try:
        with transaction.atomic():  # a concurrent send with the same key: theirs wins
            broadcast.save()
    except IntegrityError:
        return Broadcast.objects.get(idempotency_key=key)
    broadcast.total = audience_members(broadcast).count()
    broadcast.save(update_fields=["total"])
    broadcast_enqueue(broadcast.pk)
    return broadcast


def broadcast_enqueue(broadcast_id: int) -> None:
    from notifications.tasks import broadcast_run

    transaction.on_commit(lambda: broadcast_run.enqueue(broadcast_id))


def broadcast_step(broadcast_id: int) -> bool:
    """Write one batch. Answers whether there is more to do."""
    now = timezone.now()
    with transaction.atomic():
        broadcast = (
            Broadcast.objects.select_for_update()
            .select_related("audience_unit")
            .filter(pk=broadcast_id)
            .first()
        )
        if broadcast is None or broadcast.status in (
            Broadcast.Status.DONE,
            Broadcast.Status.FAILED,
        ):
            return False
        ids = list(
            audience_members(broadcast)
            .filter(pk__gt=broadcast.cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[: batch_size()]
        )
        if not ids:
            broadcast.status = Broadcast.Status.DONE
            broadcast.finished_at = now
            broadcast.lease_until = None
            broadcast.save(update_fields=["status", "finished_at", "lease_until"])
            return False
        key = broadcast.notification_key
        Notification.objects.bulk_create(
            [
                Notification(
                    kind=broadcast.kind,
                    recipient_id=member_id,
                    title=broadcast.title,
                    body=broadcast.body,
                    api_path=broadcast.api_path,
                    portal_url=broadcast.portal_url,
                    image_url=broadcast.image_url,
                    idempotency_key=key,
                )
                for member_id in ids
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        written = list(
            Notification.objects.filter(recipient_id__in=ids, idempotency_key=key).values_list(
                "pk", flat=True
            )
        )
        broadcast.cursor = ids[-1]
        broadcast.written += len(written)
        broadcast.batches += 1
        broadcast.status = Broadcast.Status.RUNNING
        broadcast.started_at = broadcast.started_at or now
        broadcast.lease_until = now + dt.timedelta(seconds=lease_seconds())
        broadcast.save(
            update_fields=["cursor", "written", "batches", "status", "started_at", "lease_until"]
        )
        enqueue_delivery(written)
    return True


def broadcast_run_all(broadcast_id: int) -> Broadcast | None:
    """Write every remaining batch of the broadcast (the task's body)."""
    pause = float(getattr(settings, "EHOME_BROADCAST_PAUSE_SECONDS", 0) or 0)
    while broadcast_step(broadcast_id):
        if pause:
            time.sleep(pause)
    return Broadcast.objects.filter(pk=broadcast_id).first()


def broadcasts_stalled(now: dt.datetime | None = None) -> list[int]:
    """Claim (renew the lease of) and answer broadcasts that are not done and whose run
    is not making progress: a lease that ran out (the worker died), or pending for
    longer than a lease (the queued job was lost)."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=lease_seconds())
    with transaction.atomic():
        stalled = list(
            Broadcast.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Broadcast.Status.PENDING, Broadcast.Status.RUNNING])
            .filter(created_at__lt=now - lease)
            .exclude(lease_until__gte=now)
            .values_list("pk", flat=True)
        )
        Broadcast.objects.filter(pk__in=stalled).update(lease_until=now + lease)
    return stalled
