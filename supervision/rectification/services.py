"""Writes of problem transfer lists: hand a problem down, reply with measures and
evidence, verify (close or return), attach evidence, and the escalation of overdue items
(periodic job: the unit's secretaries first, the level above a week later)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from organizations.models import Member, OrgUnit, UnitRole
from organizations.selectors import access_unit_by_id, scope_for
from supervision.common import MANAGE_ROLES, SupervisionError, unit_today, zone
from supervision.meetings.services import _check_upload
from supervision.rectification.models import Rectification, RectificationEvidence
from supervision.rectification.selectors import OPEN_STATUSES, access_rectification_by_id

#: days past the deadline after which the level above is told
ESCALATE_UP_AFTER_DAYS = 7


def _text(value) -> str:
    return (value or "").strip()


@transaction.atomic
def rectification_issue(
    *,
    user,
    unit_id,
    issued_by_unit_id,
    title: str,
    description: str,
    category: str,
    source: str,
    deadline: dt.date,
    responsible_person: str,
    now: dt.datetime | None = None,
) -> Rectification:
    """An upper unit the user manages hands a problem to a unit below it."""
    issuer = access_unit_by_id(user, issued_by_unit_id, action="change", roles=MANAGE_ROLES)
    unit = access_unit_by_id(user, unit_id, action="change", roles=MANAGE_ROLES)
    if not unit.path.startswith(issuer.path):
        raise SupervisionError(
            "问题只能移交给移交单位本级或下级组织", code="not_below", field="unit"
        )
    missing = [
        (label, name)
        for label, name, value in (
            ("问题", "title", title),
            ("问题描述", "description", description),
            ("问题类别", "category", category),
            ("责任人", "responsible_person", responsible_person),
        )
        if not _text(value)
    ]
    if missing:
        raise SupervisionError(
            "请填写" + "、".join(label for label, _ in missing),
            code="required",
            field=missing[0][1] if len(missing) == 1 else None,
        )
    if source not in Rectification.Source.values:
        raise SupervisionError(f"来源“{source}”无效", code="invalid_source", field="source")
    if not isinstance(deadline, dt.date):
        raise SupervisionError("整改期限须为日期", code="invalid_deadline", field="deadline")
    today = unit_today(unit, now)
    if deadline < today:
        raise SupervisionError(
            f"整改期限 {deadline.isoformat()} 已过（{unit.name}当地日期 {today.isoformat()}）",
            code="deadline_past",
            field="deadline",
        )
    rect = Rectification.objects.create(
        unit=unit,
        issued_by_unit=issuer,
        title=_text(title)[:200],
        description=_text(description),
        category=_text(category)[:64],
        source=source,
        deadline=deadline,
        responsible_person=_text(responsible_person)[:64],
        created_by=user,
    )
    _notify(rect, [rect.unit], "rectification_issued", f"rect-{rect.pk}-issued", defer=True)
    return rect


@transaction.atomic
def rectification_reply(
    *, user, rectification_id, measures: str, evidence_text: str = "", now=None
) -> Rectification:
    """The unit answers with its measures (and evidence): the item awaits verification."""
    rect = access_rectification_by_id(user, rectification_id, action="change")
    rect = Rectification.objects.select_for_update().select_related("unit").get(pk=rect.pk)
    if rect.status not in (Rectification.Status.OPEN, Rectification.Status.RETURNED):
        raise SupervisionError("该问题不在待整改状态，不能反馈", code="not_open", status=409)
    if not _text(measures):
        raise SupervisionError("请填写整改措施", code="required", field="measures")
    rect.measures = _text(measures)
    if _text(evidence_text):
        rect.evidence_text = _text(evidence_text)
    rect.status = Rectification.Status.REPLIED
    rect.replied_at = now or timezone.now()
    rect.save()
    return rect


@transaction.atomic
def rectification_verify(
    *, user, rectification_id, close: bool, reason: str = "", now: dt.datetime | None = None
) -> Rectification:
    """The issuing level (a manager of the issuing unit) closes the item — only with
    evidence (a file or the evidence text) — or returns it with a reason."""
    now = now or timezone.now()
    rect = access_rectification_by_id(user, rectification_id, action="change")
    if not scope_for(user, roles=MANAGE_ROLES).covers(rect.issued_by_unit.path):
        raise SupervisionError("由移交单位核验销号", code="not_issuer", status=403)
    rect = Rectification.objects.select_for_update().select_related("unit").get(pk=rect.pk)
    if rect.status != Rectification.Status.REPLIED:
        raise SupervisionError("整改单位反馈后才能核验", code="not_replied", status=409)
    if close:
        if not rect.evidence_text and not rect.files.exists():
            raise SupervisionError(
                "没有整改佐证材料，不能销号", code="no_evidence", status=409, field="action"
            )
        rect.status = Rectification.Status.CLOSED
        rect.closed_at = now
        rect.closed_on = now.astimezone(zone(rect.unit.timezone)).date()
        rect.closed_on_time = rect.closed_on <= rect.deadline
        rect.close_seconds = int((now - rect.created_at).total_seconds())
        rect.return_reason = ""
    else:
        if not _text(reason):
            raise SupervisionError("退回须填写原因", code="required", field="reason")
        rect.status = Rectification.Status.RETURNED
        rect.return_reason = _text(reason)[:500]
    rect.save()
    return rect


@transaction.atomic
def rectification_evidence_add(*, user, rectification_id, upload) -> RectificationEvidence:
    rect = access_rectification_by_id(user, rectification_id, action="change")
    if rect.status == Rectification.Status.CLOSED:
        raise SupervisionError("已销号，不能再添加材料", code="closed", status=409)
    _check_upload(upload)
    return RectificationEvidence.objects.create(
        rectification=rect, file=upload, name=upload.name[:200], uploaded_by=user
    )


# --- recipients and escalation -------------------------------------------------------------
def secretaries_of(units) -> dict[int, list[int]]:
    """{unit id: member ids of the users holding the secretary role on it} — one query."""
    ids = [u.pk for u in units]
    out: dict[int, list[int]] = {}
    rows = UnitRole.objects.filter(unit_id__in=ids, role=UnitRole.Role.SECRETARY).values_list(
        "unit_id", "user__member__id"
    )
    for unit_id, member_id in rows:
        if member_id is not None:
            out.setdefault(unit_id, []).append(member_id)
    return out


def _notify(
    rect: Rectification, units: list[OrgUnit], kind: str, key: str, *, defer=False, **extra
) -> int:
    """Tell the secretaries of `units` (after commit when `defer`, else in the caller's
    transaction, so an escalation level and its message are written together)."""
    from notifications.services import notification_send

    recipients = sorted({m for ids in secretaries_of(units).values() for m in ids})
    if not recipients:
        return 0
    context = {
        "title": rect.title,
        "unit": rect.unit.name,
        "deadline": rect.deadline.isoformat(),
        **extra,
    }
    link = (
        f"/api/v1/supervision/rectifications/{rect.pk}/",
        f"/supervision/rectifications/{rect.pk}/",
    )

    def send():
        notification_send(
            kind=kind, recipients=recipients, context=context, link=link, idempotency_key=key
        )

    if defer:
        transaction.on_commit(send, robust=True)
    else:
        send()
    return len(recipients)


def rectifications_escalate(*, now: dt.datetime | None = None) -> int:
    """At 09:00 on each unit's clock: an open item past its deadline tells the unit's
    secretaries (level 1); ESCALATE_UP_AFTER_DAYS later, the secretaries of the level
    above (level 2). Each level once (the level is recorded; the send is idempotent)."""
    from organizations.localtime import zones_past_local_hour

    zones = zones_past_local_hour(hour=9, now=now)
    told = 0
    if not zones:
        return 0
    for name, today in zones.items():
        due = Rectification.objects.select_related("unit").filter(
            unit__timezone=name, status__in=OPEN_STATUSES, deadline__lt=today
        )
        for rect in due.filter(escalation_level__lt=2):
            days = (today - rect.deadline).days
            level = 2 if days >= ESCALATE_UP_AFTER_DAYS and rect.unit.depth > 1 else 1
            if level <= rect.escalation_level:
                continue
            with transaction.atomic():
                n = Rectification.objects.filter(pk=rect.pk, escalation_level__lt=level).update(
                    escalation_level=level
                )
                if not n:
                    continue
                if level == 1 or rect.escalation_level == 0:
                    told += _notify(
                        rect,
                        [rect.unit],
                        "rectification_overdue",
                        f"rect-{rect.pk}-overdue-1",
                        days=days,
                    )
                if level == 2:
                    parent = rect.unit.get_parent()
                    told += _notify(
                        rect,
                        [parent],
                        "rectification_escalated",
                        f"rect-{rect.pk}-overdue-2",
                        days=days,
                    )
    return told


__all__ = ["Member"]
