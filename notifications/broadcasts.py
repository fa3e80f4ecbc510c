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

from django.db import IntegrityError, transaction
from django.db.models import Max

from notifications import kinds
from notifications.errors import NotificationError
from notifications.fanout import audience_members
from notifications.models import Broadcast
from notifications.tasks import broadcast_run
from organizations.models import Member, OrgUnit


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
    transaction.on_commit(lambda: broadcast_run.enqueue(broadcast_id))
