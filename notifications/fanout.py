"""The fan-out of a broadcast, batch by batch (the worker's side of
notifications.broadcasts; called by notifications.tasks). See notifications.broadcasts
for the batch, resume and snapshot rules."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from notifications.delivery import enqueue_delivery
from notifications.models import Broadcast, Notification
from organizations.models import Member, Transfer
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


def max_stalled_resumes() -> int:
    return max(1, int(getattr(settings, "EHOME_BROADCAST_MAX_STALLED_RESUMES", 5)))


def broadcast_run_all(broadcast_id: int) -> Broadcast | None:
    """Write every remaining batch of the broadcast (the task's body). A batch that
    raises leaves the broadcast as it was after the last committed batch, with the
    error recorded; `broadcasts_stalled` resumes it later and gives up after
    `EHOME_BROADCAST_MAX_STALLED_RESUMES` resumes that made no progress."""
    pause = float(getattr(settings, "EHOME_BROADCAST_PAUSE_SECONDS", 0) or 0)
    try:
        while broadcast_step(broadcast_id):
            if pause:
                time.sleep(pause)
    except Exception as exc:
        Broadcast.objects.filter(pk=broadcast_id).update(
            error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return Broadcast.objects.filter(pk=broadcast_id).first()


def broadcasts_stalled(now: dt.datetime | None = None) -> list[int]:
    """Claim (renew the lease of) and answer broadcasts that are not done and whose run
    is not making progress: a lease that ran out (the worker died), or pending for
    longer than a lease (the queued job was lost). One found with its cursor where the
    previous resume left it for the `max_stalled_resumes()`-th time in a row is marked
    failed instead — its next batch fails every time — and is not answered."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=lease_seconds())
    limit = max_stalled_resumes()
    resumed = []
    with transaction.atomic():
        stalled = list(
            Broadcast.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Broadcast.Status.PENDING, Broadcast.Status.RUNNING])
            .filter(created_at__lt=now - lease)
            .exclude(lease_until__gte=now)
            .only("pk", "cursor", "stalled_cursor", "stalled_resumes", "error")
        )
        for b in stalled:
            same = b.stalled_resumes > 0 and b.cursor == b.stalled_cursor
            b.stalled_resumes = b.stalled_resumes + 1 if same else 1
            b.stalled_cursor = b.cursor
            fields = ["stalled_resumes", "stalled_cursor", "lease_until"]
            if b.stalled_resumes > limit:
                b.status = Broadcast.Status.FAILED
                b.finished_at = now
                b.lease_until = None
                b.error = (
                    f"连续 {limit} 次恢复发送均无进展，已停止（停在党员 id {b.cursor} 之后）。"
                    + (f"最后的错误：{b.error}" if b.error else "")
                )[:2000]
                fields += ["status", "finished_at", "error"]
            else:
                b.lease_until = now + lease
                resumed.append(b.pk)
            b.save(update_fields=fields)
    return resumed
