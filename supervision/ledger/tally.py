"""The per-period roll-up of ledger reports the ledger panel reads (one row per unit and
period key with a report), and its recount. Every saved or deleted report recounts the
cells it left and entered (`supervision.tallies.receivers`); `manage.py
supervision_tallies_rebuild` recounts all of them."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from organizations.registry import scope_exempt
from supervision.common import unit_lock
from supervision.ledger.models import LedgerReport

LEDGER_STATES = ("accepted", "submitted", "returned")

_REASON = (
    "roll-up rows, never addressed by id: the dashboard panels check the caller's scope "
    "on the unit whose subtree they sum (supervision.dashboard)"
)


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


@transaction.atomic
def ledger_tally_refresh(*, unit_id: int, period: str) -> None:
    """Recount the reports of `unit_id` for `period` into its LedgerTally row."""
    unit_lock("ledger", unit_id)
    counts = dict(
        LedgerReport.objects.filter(unit_id=unit_id, period=period)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    values = {s: counts.get(s, 0) for s in LEDGER_STATES}
    if not any(values.values()):
        LedgerTally.objects.filter(unit_id=unit_id, period=period).delete()
        return
    LedgerTally.objects.bulk_create(
        [LedgerTally(unit_id=unit_id, period=period, **values)],
        update_conflicts=True,
        unique_fields=["unit", "period"],
        update_fields=list(values),
    )
