"""Notifications for organisation relationship transfers (organizations.transfers): the
accepting side hears of a new transfer, the member of every step, the starter of the
decision. Connected to `transfer_changed` from CareConfig.ready(); the periodic expiry job
is `care.transfer_notices.transfers_expire_job`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_tasks import task

KIND_STARTED = "transfer_incoming"
KIND_STATE = "transfer_state"


def register_kinds() -> None:
    from notifications.kinds import Kind, register

    register(
        Kind(
            code=KIND_STARTED,
            label=_("组织关系转接待接收"),
            title_template=_("待接收的组织关系转接：{member}"),
            body_template=_(
                "{member}的组织关系由{from_side}转往{to_side}（介绍信{letter}），请接收或退回。"
            ),
            mandatory=True,
        )
    )
    register(
        Kind(
            code=KIND_STATE,
            label=_("组织关系转接进度"),
            title_template=_("组织关系转接{state}"),
            body_template=_("{member}的组织关系由{from_side}转往{to_side}：{state}。{note}"),
            mandatory=True,
        )
    )


def _deciders(transfer) -> list[int]:
    """Members who may decide `transfer`: role holders on the in-unit or a unit above it
    (for a transfer out of the organisation: on the out-unit or above), not the starter."""
    from organizations.models import Member, Transfer, UnitRole
    from organizations.transfers import TRANSFER_ROLES

    unit = transfer.from_unit if transfer.direction == Transfer.Direction.OUT else transfer.to_unit
    if unit is None:
        return []
    users = UnitRole.objects.filter(
        role__in=TRANSFER_ROLES, unit__path__in=unit.ancestor_paths()
    ).exclude(user_id=transfer.requested_by_id)
    return list(
        Member.objects.filter(user_id__in=users.values("user_id")).values_list("pk", flat=True)
    )


def transfer_notify(*, transfer_id: int, event: str) -> int:
    """Send the notifications of one transfer step (idempotent per transfer and step)."""
    from notifications.services import notification_send
    from organizations.models import Member, Transfer

    transfer = (
        Transfer.objects.select_related("member", "from_unit", "to_unit")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None:
        return 0
    ctx = {
        "member": transfer.member.name,
        "from_side": transfer.from_side,
        "to_side": transfer.to_side,
        "letter": transfer.letter_no or "—",
        "state": transfer.get_status_display(),
        "note": f"说明：{transfer.decision_note}" if transfer.decision_note else "",
    }
    api = f"/api/v1/transfers/{transfer.pk}/"
    key = f"transfer:{transfer.pk}:{event}"
    sent = 0
    if event == "started":
        deciders = _deciders(transfer)
        if deciders:
            sent += notification_send(
                kind=KIND_STARTED,
                recipients=deciders,
                context=ctx,
                link={"api": api, "portal": ""},
                idempotency_key=key,
            )
    recipients = {transfer.member_id}
    if event != "started" and transfer.requested_by_id:
        starter = Member.objects.filter(user_id=transfer.requested_by_id).values_list(
            "pk", flat=True
        )
        recipients.update(starter)
    sent += notification_send(
        kind=KIND_STATE,
        recipients=sorted(recipients),
        context=ctx,
        link={"api": "/api/v1/me/transfers/", "portal": "/me/transfers/"},
        idempotency_key=key,
    )
    return sent


def on_transfer_changed(sender, transfer_id: int, event: str, **kwargs) -> None:
    transfer_notify(transfer_id=transfer_id, event=event)


@task()
def transfers_expire_job() -> int:
    """Periodic (core.schedule "care.transfers_expire", hourly): pending transfers past
    their expiry become expired and the member and starter are told. Idempotent."""
    from organizations.transfers import transfers_expire

    return transfers_expire()


__all__ = ["register_kinds", "transfer_notify", "transfers_expire_job"]
