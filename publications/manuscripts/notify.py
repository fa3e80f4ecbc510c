"""Telling the sender's editors (and whoever submitted the item) of a return or decision,
through the notifications app, after the step commits."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind, register
from organizations.models import Member, UnitRole

KINDS = (
    Kind(
        code="manuscript_returned",
        label=_("稿件退回修改"),
        title_template=_("稿件退回修改：{title}"),
        body_template=_("{receiver}退回了稿件《{title}》：{comment}"),
    ),
    Kind(
        code="manuscript_decided",
        label=_("稿件处理结果"),
        title_template=_("稿件{decision}：{title}"),
        body_template=_("{receiver}对稿件《{title}》的处理结果：{decision}。{comment}"),
    ),
)


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)


def sender_recipients(manuscript) -> list[int]:
    """Member ids: the editors of the sending unit and the submitter."""
    ids = set(
        UnitRole.objects.filter(
            unit_id=manuscript.sender_unit_id, role=UnitRole.Role.EDITOR
        ).values_list("user__member__id", flat=True)
    )
    if manuscript.submitted_by_id:
        ids.update(
            Member.objects.filter(user_id=manuscript.submitted_by_id).values_list("pk", flat=True)
        )
    ids.discard(None)
    return sorted(ids)


def notify_sender(manuscript, *, comment: str = "") -> None:
    from notifications.services import notification_send

    returned = manuscript.status == manuscript.Status.RETURNED
    recipients = sender_recipients(manuscript)
    if not recipients:
        return
    context = {
        "title": manuscript.title,
        "receiver": manuscript.receiver_unit.name,
        "decision": str(manuscript.get_status_display()),
        "comment": comment,
    }
    link = (
        reverse("api:manuscript-detail", args=[manuscript.pk]),
        reverse("portal:manuscript_detail", args=[manuscript.pk]),
    )
    step = manuscript.events.count()
    key = f"manuscript:{manuscript.pk}:{manuscript.status}:{step}"
    transaction.on_commit(
        lambda: notification_send(
            kind="manuscript_returned" if returned else "manuscript_decided",
            recipients=recipients,
            context=context,
            link=link,
            idempotency_key=key,
        )
    )
