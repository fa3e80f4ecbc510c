"""Overdue liaison files: at 09:00 in the unit's zone, the liaison person (or, without one,
the member's nearest secretary) is reminded once per overdue period — the idempotency
key names the file and the date the contact fell due, so reruns send nothing new and the
next period reminds again."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _


def register_jobs() -> None:
    from core.schedule import Periodic, register
    from notifications.kinds import Kind
    from notifications.kinds import register as register_kind

    register_kind(
        Kind(
            code="liaison_overdue",
            label=_("亲情联络逾期提醒"),
            title_template=_("请联系{name}的家属"),
            body_template=_("{name}（{unit}）的亲情联络应于 {due} 前进行，最近一次联系：{last}。"),
        )
    )
    register(
        Periodic(
            name="care.liaison_overdue",
            task="care.tasks.liaison_overdue_remind",
            every=dt.timedelta(hours=1),
            offset=dt.timedelta(minutes=10),
            description=_("亲情档案逾期未联系提醒（各组织当地时间 9:00）"),
        )
    )


def liaison_overdue_remind(*, now: dt.datetime | None = None) -> int:
    from care.liaison.selectors import contact_due_on, overdue_candidates
    from notifications.services import notification_send
    from organizations.localtime import zones_past_local_hour
    from organizations.models import Member
    from organizations.records.selectors import secretaries_by_unit_path

    sent = 0
    for zone, today in zones_past_local_hour(hour=9, now=now).items():
        files = list(
            overdue_candidates(today)
            .filter(member__unit__timezone=zone, member__status=Member.Status.ACTIVE)
            .select_related("member", "member__unit")
            .order_by("pk")
        )
        due_files = [f for f in files if contact_due_on(f) <= today]
        if not due_files:
            continue
        liaison_members = dict(
            Member.objects.filter(
                user_id__in={f.liaison_id for f in due_files if f.liaison_id}
            ).values_list("user_id", "id")
        )
        secretaries = secretaries_by_unit_path({f.member.unit.path for f in due_files})
        for f in due_files:
            recipient = liaison_members.get(f.liaison_id)
            recipients = [recipient] if recipient else secretaries.get(f.member.unit.path, [])
            if not recipients:
                continue
            due = contact_due_on(f)
            sent += notification_send(
                kind="liaison_overdue",
                recipients=recipients,
                context={
                    "name": f.member.name,
                    "unit": f.member.unit.name,
                    "due": f"{due:%Y-%m-%d}",
                    "last": f"{f.last_contact_on:%Y-%m-%d}" if f.last_contact_on else "从未联系",
                },
                link=(f"/api/v1/liaison/files/{f.pk}/", ""),
                idempotency_key=f"liaison-overdue:{f.pk}:{due:%Y%m%d}",
            )
    return sent
