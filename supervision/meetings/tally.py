"""The monthly roll-up of held meetings the compliance panel reads (one row per unit and
month with a held meeting), and its recount. Every saved or deleted meeting recounts the
cells it left and entered (`supervision.tallies.receivers`); `manage.py
supervision_tallies_rebuild` recounts all of them."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from organizations.registry import scope_exempt
from supervision.common import unit_lock
from supervision.meetings.models import Meeting, MeetingKind

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


@transaction.atomic
def meeting_tally_refresh(*, unit_id: int, month: int) -> None:
    """Recount the held meetings of `unit_id` in `month` into its MeetingTally row."""
    unit_lock("meetings", unit_id)
    rows = (
        Meeting.objects.filter(unit_id=unit_id, local_month=month, status=Meeting.Status.HELD)
        .values("kind")
        .annotate(
            n=Count("id"),
            invited=Sum("invited_count"),
            present=Sum("present_count"),
            late=Count("id", filter=Q(minutes_late=True)),
        )
        .order_by()
    )
    values = dict.fromkeys(("held", "invited", "present", "minutes_late", *KIND_COLUMNS), 0)
    for r in rows:
        values["held"] += r["n"]
        values["invited"] += r["invited"] or 0
        values["present"] += r["present"] or 0
        values["minutes_late"] += r["late"]
        if r["kind"] in KIND_COLUMNS:
            values[r["kind"]] += r["n"]
    if not values["held"]:
        MeetingTally.objects.filter(unit_id=unit_id, month=month).delete()
        return
    MeetingTally.objects.bulk_create(
        [MeetingTally(unit_id=unit_id, month=month, **values)],
        update_conflicts=True,
        unique_fields=["unit", "month"],
        update_fields=list(values),
    )
