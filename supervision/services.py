"""Set-up of supervision (settings.EHOME_SETUP_STEPS): the regulation's compliance rules
and the default work-ledger items — created when missing, never overwriting edits."""

from __future__ import annotations

from django.db import transaction

from supervision.ledger.services import ledger_items_ensure
from supervision.meetings.models import ComplianceRule, MeetingKind

#: (meeting kind, unit kind, period in months, minimum count) — 《中国共产党支部工作条例》
DEFAULT_RULES = [
    (MeetingKind.MEMBERS, "branch", 3, 1),
    (MeetingKind.COMMITTEE, "branch", 1, 1),
    (MeetingKind.GROUP, "branch", 1, 1),
    (MeetingKind.LESSON, "branch", 3, 1),
    (MeetingKind.THEME_DAY, "branch", 1, 1),
    (MeetingKind.MEMBERS, "general_branch", 3, 1),
    (MeetingKind.COMMITTEE, "general_branch", 1, 1),
    (MeetingKind.LESSON, "general_branch", 3, 1),
    (MeetingKind.CENTRAL_STUDY, "committee", 1, 1),
]


@transaction.atomic
def setup_ensure(stdout=None) -> dict:
    """`ehome_setup` step (idempotent)."""
    rules = 0
    for kind, unit_kind, months, count in DEFAULT_RULES:
        _, created = ComplianceRule.objects.get_or_create(
            kind=kind,
            unit_kind=unit_kind,
            defaults={"period_months": months, "min_count": count},
        )
        rules += created
    return {"rules_created": rules, "ledger_items_created": ledger_items_ensure()}
