"""Writes of the work ledger: report an item for a period (with evidence), review it
(accept or return with a reason), the default items loaded by set-up, and the reminders
before the due date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from organizations.models import OrgUnit
from organizations.selectors import access_unit_by_id, scope_for
from supervision.common import (
    MANAGE_ROLES,
    SupervisionError,
    period_containing,
    period_parse,
    unit_today,
)
from supervision.ledger.defaults import DEFAULT_ITEMS
from supervision.ledger.models import LedgerEvidence, LedgerItem, LedgerReport
from supervision.ledger.selectors import access_ledger_report_by_id
from supervision.meetings.services import _check_upload

PERIOD_KIND_LABEL = {"month": "月", "quarter": "季度", "year": "年"}


@transaction.atomic
def ledger_report_submit(
    *, user, unit_id, item_id, period: str, text: str, now: dt.datetime | None = None
) -> LedgerReport:
    """A unit reports on an item for a period of the item's kind that has opened on the
    unit's clock. A returned report may be submitted again; an accepted one may not."""
    unit = access_unit_by_id(user, unit_id, action="change", roles=MANAGE_ROLES)
    item = LedgerItem.objects.filter(pk=_int(item_id), is_active=True).first()
    if item is None:
        raise SupervisionError("台账事项不存在或已停用", code="invalid_item", field="item")
    if not item.applies_to(unit.kind):
        raise SupervisionError(
            f"事项“{item.title}”不适用于{unit.get_kind_display()}“{unit.name}”",
            code="item_not_applicable",
            field="item",
        )
    p = period_parse(period)
    if p.kind != item.period:
        raise SupervisionError(
            f"事项“{item.title}”按{PERIOD_KIND_LABEL[item.period]}报告，周期“{period}”不符",
            code="invalid_period",
            field="period",
        )
    today = unit_today(unit, now)
    if p.start > today:
        raise SupervisionError(
            f"周期 {p.label()} 尚未开始（{unit.name}当地日期 {today.isoformat()}），不能报告",
            code="period_not_open",
            status=409,
            field="period",
        )
    if not (text or "").strip():
        raise SupervisionError("请填写完成情况", code="required", field="text")
    now = now or timezone.now()
    report = (
        LedgerReport.objects.select_for_update().filter(unit=unit, item=item, period=p.key).first()
    )
    if report is not None and report.status == LedgerReport.Status.ACCEPTED:
        raise SupervisionError("该报告已审核通过，不能再修改", code="already_accepted", status=409)
    if report is None:
        report = LedgerReport(unit=unit, item=item, period=p.key)
    report.text = text.strip()
    report.status = LedgerReport.Status.SUBMITTED
    report.submitted_by = user
    report.submitted_at = now
    report.return_reason = ""
    report.save()
    return report


@transaction.atomic
def ledger_report_review(
    *, user, report_id, accept: bool, reason: str = "", now: dt.datetime | None = None
) -> LedgerReport:
    """The level above accepts the report or returns it with a reason."""
    report = access_ledger_report_by_id(user, report_id, action="change")
    if not scope_for(user, roles=MANAGE_ROLES).covers(report.unit.path, strictly=True):
        raise SupervisionError("台账报告由上级组织审核", code="not_upper_level", status=403)
    report = LedgerReport.objects.select_for_update().get(pk=report.pk)
    if report.status != LedgerReport.Status.SUBMITTED:
        raise SupervisionError("只能审核待审核的报告", code="not_submitted", status=409)
    if not accept and not (reason or "").strip():
        raise SupervisionError("退回须填写原因", code="required", field="reason")
    report.status = LedgerReport.Status.ACCEPTED if accept else LedgerReport.Status.RETURNED
    report.return_reason = "" if accept else reason.strip()[:500]
    report.reviewed_by = user
    report.reviewed_at = now or timezone.now()
    report.save()
    return report


@transaction.atomic
def ledger_evidence_add(*, user, report_id, upload) -> LedgerEvidence:
    report = access_ledger_report_by_id(user, report_id, action="change")
    if report.status == LedgerReport.Status.ACCEPTED:
        raise SupervisionError(
            "该报告已审核通过，不能再添加材料", code="already_accepted", status=409
        )
    _check_upload(upload)
    return LedgerEvidence.objects.create(
        report=report, file=upload, name=upload.name[:200], uploaded_by=user
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def ledger_items_ensure() -> int:
    """Load the default items (by code) that are not there yet; edited items are left as
    they are. Idempotent; answers how many were created."""
    existing = set(LedgerItem.objects.values_list("code", flat=True))
    new = [
        LedgerItem(
            code=code,
            title=title,
            category=category,
            period=period,
            for_committee="committee" in kinds,
            for_general_branch="general_branch" in kinds,
            for_branch="branch" in kinds,
            order=i,
        )
        for i, (code, category, title, period, kinds) in enumerate(DEFAULT_ITEMS)
        if code not in existing
    ]
    LedgerItem.objects.bulk_create(new)
    return len(new)


# --- reminders --------------------------------------------------------------------------
def ledger_reminders_send(*, now: dt.datetime | None = None) -> int:
    """At 09:00 on each unit's clock: for every active item whose current period ends
    within `remind_days` (local date), tell the secretaries of applicable units that have
    not reported (or were returned). Idempotent per unit, item, period and local date."""
    from notifications.services import notification_send
    from organizations.localtime import zones_past_local_hour
    from supervision.rectification.services import secretaries_of

    zones = zones_past_local_hour(hour=9, now=now)
    sent = 0
    by_date: dict[dt.date, list[str]] = {}
    for name, day in zones.items():
        by_date.setdefault(day, []).append(name)
    for day, names in by_date.items():
        for item in LedgerItem.objects.filter(is_active=True):
            p = period_containing(day, item.period)
            days_left = (p.end - day).days
            if not 0 <= days_left <= item.remind_days:
                continue
            from supervision.ledger.selectors import units_missing_report

            units = list(units_missing_report(item=item, period_key=p.key, zones=names))
            recipients = secretaries_of(units)
            for unit in units:
                ids = recipients.get(unit.pk, [])
                if not ids:
                    continue
                sent += notification_send(
                    kind="ledger_due",
                    recipients=ids,
                    context={
                        "item": item.title,
                        "period": p.label(),
                        "unit": unit.name,
                        "due": p.end.isoformat(),
                    },
                    link=("/api/v1/supervision/ledger/reports/", "/supervision/ledger/"),
                    idempotency_key=f"ledger-due-{unit.pk}-{item.pk}-{p.key}-{day.isoformat()}",
                )
    return sent


__all__ = ["OrgUnit"]
