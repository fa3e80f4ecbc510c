"""Probationary members (预备党员): their secretary is reminded before the conversion date
(转正), 30 days and 7 days ahead and once when it has passed unconverted — at 09:00 in the
unit's time zone. One periodic job (core.schedule), idempotent: each reminder's key names
the member, the due date and the stage, so a second run (or a late one) sends nothing new.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from organizations.models import Member
from organizations.records.selectors import secretaries_by_unit_path

STAGES = ((30, "30"), (7, "7"))  # days before the due date: the stage's name


def register_jobs() -> None:
    from core.schedule import Periodic, register
    from notifications.kinds import Kind
    from notifications.kinds import register as register_kind

    register_kind(
        Kind(
            code="probation_conversion_due",
            label=_("预备党员转正提醒"),
            title_template=_("预备党员转正提醒：{name}"),
            body_template=_(
                "{unit}预备党员{name}的预备期将于 {due} 期满（{when}），请及时讨论其转正事宜。"
            ),
        )
    )
    register(
        Periodic(
            name="care.probation_reminders",
            task="care.tasks.probation_reminders_send",
            every=dt.timedelta(hours=1),
            offset=dt.timedelta(minutes=5),
            description=_("预备党员转正到期前提醒书记（各组织当地时间 9:00）"),
        )
    )


def stage_for(days_left: int) -> str | None:
    if days_left < 0:
        return "overdue"
    for limit, name in sorted(STAGES):
        if days_left <= limit:
            return name
    return None


def probation_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send the reminders due in every unit zone that has passed 09:00; answers how many
    notifications were written."""
    from notifications.services import notification_send
    from organizations.localtime import zones_past_local_hour

    sent = 0
    zones = zones_past_local_hour(hour=9, now=now)
    if not zones:
        return 0
    for zone, today in zones.items():
        horizon = today + dt.timedelta(days=max(d for d, _ in STAGES))
        members = list(
            Member.objects.filter(
                category=Member.Category.PROBATIONARY,
                status=Member.Status.ACTIVE,
                unit__timezone=zone,
                unit__is_active=True,
                record__converted_on__isnull=True,
                record__conversion_due__isnull=False,
                record__conversion_due__lte=horizon,
            )
            .select_related("unit", "record")
            .order_by("pk")
        )
        if not members:
            continue
        secretaries = secretaries_by_unit_path({m.unit.path for m in members})
        for m in members:
            due = m.record.conversion_due
            stage = stage_for((due - today).days)
            recipients = secretaries.get(m.unit.path)
            if stage is None or not recipients:
                continue
            days = (due - today).days
            when = (
                f"还有 {days} 天" if days > 0 else ("今天" if days == 0 else f"已超过 {-days} 天")
            )
            sent += notification_send(
                kind="probation_conversion_due",
                recipients=recipients,
                context={
                    "name": m.name,
                    "unit": m.unit.name,
                    "due": f"{due:%Y-%m-%d}",
                    "when": when,
                },
                link=(f"/api/v1/members/{m.pk}/record/", ""),
                idempotency_key=f"probation:{m.pk}:{due:%Y%m%d}:{stage}",
            )
    return sent
