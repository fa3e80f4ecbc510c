"""Birthday and political-birthday (入党纪念日, 政治生日) greetings.

`greetings_send(now=)` runs every 15 minutes. For each unit time zone whose local clock
has passed 09:00 (organizations.localtime.zones_past_local_hour) it finds the active
members of that zone's units whose birthday or join-date anniversary is the local date,
sends each a greeting through notifications (the template of the nearest unit that has
one, else `DEFAULTS`), and sends every secretary of their units one list of the names.
Every send carries an idempotency key naming the local date, so a repeated or late run
sends nothing twice. A birthday on 29 February is greeted on 28 February in other years.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from care.greetings.models import GreetingTemplate
from organizations.models import Member, UnitRole
from organizations.scope import scope_for

KIND_GREETING = "care_greeting"
KIND_LIST = "care_greeting_list"

DEFAULTS = {
    GreetingTemplate.Kind.BIRTHDAY: (
        "{name}同志，生日快乐！",
        "值此生日之际，{unit}向您致以诚挚的祝福，祝您身体健康、工作顺利、阖家幸福！",
    ),
    GreetingTemplate.Kind.POLITICAL: (
        "{name}同志，政治生日快乐！",
        "今天是您入党 {years} 周年的政治生日。{unit}感谢您的付出，"
        "希望您不忘初心、牢记使命，继续发挥先锋模范作用！",
    ),
}


def register_kinds() -> None:
    from notifications.kinds import Kind, register

    register(
        Kind(
            code=KIND_GREETING,
            label=_("生日祝福"),
            title_template="{title}",
            body_template="{body}",
        )
    )
    register(
        Kind(
            code=KIND_LIST,
            label=_("今日生日党员名单"),
            title_template=_("{date} 过生日/政治生日的党员（{count} 人）"),
            body_template=_("{names}"),
        )
    )


def _day_q(field: str, day: dt.date) -> Q:
    q = Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        q |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return q


def celebrants(zone: str, day: dt.date) -> list[tuple[Member, str, int]]:
    """(member, kind, years) for active members of active units in `zone` whose birthday
    or join-date anniversary (at least one year) is `day` — one query."""
    members = (
        Member.objects.filter(
            status=Member.Status.ACTIVE, unit__timezone=zone, unit__is_active=True
        )
        .filter(_day_q("birthday", day) | _day_q("join_date", day))
        .select_related("unit")
        .order_by("unit__path", "name")
    )
    out = []
    for m in members:
        if m.birthday and m.birthday <= day and _matches(m.birthday, day):
            out.append((m, GreetingTemplate.Kind.BIRTHDAY, day.year - m.birthday.year))
        if m.join_date and m.join_date.year < day.year and _matches(m.join_date, day):
            out.append((m, GreetingTemplate.Kind.POLITICAL, day.year - m.join_date.year))
    return out


def _matches(date: dt.date, day: dt.date) -> bool:
    if (date.month, date.day) == (day.month, day.day):
        return True
    return (
        (date.month, date.day) == (2, 29)
        and (day.month, day.day) == (2, 28)
        and not calendar.isleap(day.year)
    )


def _templates() -> dict[tuple[str, str], GreetingTemplate]:
    return {(t.unit.path, t.kind): t for t in GreetingTemplate.objects.select_related("unit")}


def _template_for(templates, path: str, kind: str) -> tuple[str, str]:
    for i in range(len(path), 0, -4):  # nearest unit first (steplen 4)
        t = templates.get((path[:i], kind))
        if t is not None:
            return t.title, t.body
    return DEFAULTS[kind]


def _secretaries(paths: set[str]) -> dict[str, list[int]]:
    """{unit path: member ids of the secretaries of the nearest unit at or above it that
    has one} — one query for every role on those paths."""
    ancestors = {p[:i] for p in paths for i in range(4, len(p) + 1, 4)}
    holders: dict[str, set[int]] = defaultdict(set)
    for path, member_id in UnitRole.objects.filter(
        role=UnitRole.Role.SECRETARY, unit__path__in=ancestors, user__member__isnull=False
    ).values_list("unit__path", "user__member__id"):
        holders[path].add(member_id)
    out = {}
    for p in paths:
        for i in range(len(p), 0, -4):
            if holders.get(p[:i]):
                out[p] = sorted(holders[p[:i]])
                break
    return out


def greetings_send(*, now: dt.datetime | None = None) -> int:
    """Send today's greetings and secretaries' lists in every zone past 09:00; answers how
    many notifications were written (0 on a repeated run)."""
    from notifications.services import notification_send
    from organizations.localtime import zones_past_local_hour

    sent = 0
    templates = None
    for zone, day in zones_past_local_hour(hour=9, now=now).items():
        found = celebrants(zone, day)
        if not found:
            continue
        templates = templates if templates is not None else _templates()
        by_secretary: dict[int, list[str]] = defaultdict(list)
        secretaries = _secretaries({m.unit.path for m, _k, _y in found})
        for member, kind, years in found:
            title, body = _template_for(templates, member.unit.path, kind)
            ctx = {"name": member.name, "years": years, "unit": member.unit.name}
            sent += notification_send(
                kind=KIND_GREETING,
                recipients=[member],
                context={"title": title.format(**ctx), "body": body.format(**ctx)},
                idempotency_key=f"greeting:{kind}:{day.isoformat()}",
            )
            label = (
                "生日" if kind == GreetingTemplate.Kind.BIRTHDAY else f"政治生日（{years} 周年）"
            )
            for sec in secretaries.get(member.unit.path, []):
                by_secretary[sec].append(f"{member.name}（{member.unit.name}）：{label}")
        for sec, lines in by_secretary.items():
            sent += notification_send(
                kind=KIND_LIST,
                recipients=[sec],
                context={"date": day.isoformat(), "count": len(lines), "names": "\n".join(lines)},
                idempotency_key=f"greeting-list:{day.isoformat()}:{zone}",
            )
    return sent


# --- admin / API helpers ------------------------------------------------------------------
TEMPLATE_ROLES = ("unit_admin", "secretary")


def templates_in_scope(user):
    return GreetingTemplate.objects.filter(
        scope_for(user, roles=TEMPLATE_ROLES).units_q("unit__path")
    ).select_related("unit")
