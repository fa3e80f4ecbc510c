"""Per-unit roll-ups (counters) the dashboard panels read instead of the year's ~220,000
meetings and ~2,000,000 ledger reports. They are derived data: every row is what a
recount of its unit's rows for that month or period would give
(`supervision.tallies.services`), kept so in the same transaction as each change and
rebuilt from scratch by `manage.py supervision_tallies_rebuild`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.registry import scope_exempt
from supervision.meetings.models import MeetingKind

#: one held-meetings column per meeting kind, named after the kind's value
KIND_COLUMNS: tuple[str, ...] = tuple(MeetingKind.values)

_REASON = (
    "roll-up rows, never addressed by id: the dashboard panels check the caller's scope "
    "on the unit whose subtree they sum (supervision.dashboard)"
)


@scope_exempt(reason=_REASON)
class MeetingTally(models.Model):
    """The held meetings of one unit in one month (`local_month`, on the unit's clock):
    how many of each kind, their invitees, who was present and how many minutes were
    filed late. Months without a held meeting have no row."""

    unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("党组织"),
    )
    month = models.PositiveIntegerField(_("月份序号"))
    held = models.PositiveIntegerField(_("已召开"), default=0)
    members_meeting = models.PositiveIntegerField(default=0)
    committee_meeting = models.PositiveIntegerField(default=0)
    group_meeting = models.PositiveIntegerField(default=0)
    party_lesson = models.PositiveIntegerField(default=0)
    theme_day = models.PositiveIntegerField(default=0)
    central_study = models.PositiveIntegerField(default=0)
    invited = models.PositiveIntegerField(_("应到人次"), default=0)
    present = models.PositiveIntegerField(_("实到人次"), default=0)
    minutes_late = models.PositiveIntegerField(_("记录逾期"), default=0)

    class Meta:
        verbose_name = _("会议月汇总")
        verbose_name_plural = _("会议月汇总")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="supervision_meetingtally_key")
        ]
        # the whole-tree panel reads every unit's rows of a few months
        indexes = [models.Index(fields=["month", "unit"], name="supervision_meetingtally_m")]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.month}"


@scope_exempt(reason=_REASON)
class LedgerTally(models.Model):
    """The ledger reports of one unit for one period key (``2026``, ``2026-Q2``,
    ``2026-05``) by state. Periods without a report have no row."""

    unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("党组织"),
    )
    period = models.CharField(_("周期"), max_length=8)
    accepted = models.PositiveIntegerField(_("已通过"), default=0)
    submitted = models.PositiveIntegerField(_("待审核"), default=0)
    returned = models.PositiveIntegerField(_("已退回"), default=0)

    class Meta:
        verbose_name = _("台账周期汇总")
        verbose_name_plural = _("台账周期汇总")
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], name="supervision_ledgertally_key")
        ]
        # the whole-tree panel reads every unit's rows of a few period keys
        indexes = [
            models.Index(
                fields=["period", "unit"],
                include=["accepted", "submitted", "returned"],
                name="supervision_ledgertally_p",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.period}"
