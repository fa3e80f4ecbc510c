"""Every saved or deleted meeting and ledger report recounts the roll-up cells it left
and entered, in the same transaction — whichever path wrote it (a service, an admin form,
a delete or a cascade). Writes that bypass `save()` (`QuerySet.update`, bulk SQL) call
`supervision.tallies.services` themselves or are followed by a rebuild."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from supervision.ledger.models import LedgerReport
from supervision.meetings.models import Meeting
from supervision.tallies.services import ledger_tally_refresh, meeting_tally_refresh

_HELD = Meeting.Status.HELD


@receiver(pre_save, sender=Meeting, dispatch_uid="supervision_tally_meeting_before")
def _meeting_before(sender, instance: Meeting, raw=False, **kwargs):
    instance._tally_before = (
        Meeting.objects.filter(pk=instance.pk)
        .values_list("unit_id", "local_month", "status")
        .first()
        if instance.pk and not raw
        else None
    )


@receiver(post_save, sender=Meeting, dispatch_uid="supervision_tally_meeting_saved")
def _meeting_saved(sender, instance: Meeting, raw=False, **kwargs):
    if raw:
        return
    cells = set()
    before = getattr(instance, "_tally_before", None)
    if before is not None and before[2] == _HELD:
        cells.add(before[:2])
    if instance.status == _HELD:
        cells.add((instance.unit_id, instance.local_month))
    for unit_id, month in sorted(cells):
        meeting_tally_refresh(unit_id=unit_id, month=month)


@receiver(post_delete, sender=Meeting, dispatch_uid="supervision_tally_meeting_deleted")
def _meeting_deleted(sender, instance: Meeting, **kwargs):
    if instance.status == _HELD:
        meeting_tally_refresh(unit_id=instance.unit_id, month=instance.local_month)


@receiver(pre_save, sender=LedgerReport, dispatch_uid="supervision_tally_report_before")
def _report_before(sender, instance: LedgerReport, raw=False, **kwargs):
    instance._tally_before = (
        LedgerReport.objects.filter(pk=instance.pk).values_list("unit_id", "period").first()
        if instance.pk and not raw
        else None
    )


@receiver(post_save, sender=LedgerReport, dispatch_uid="supervision_tally_report_saved")
def _report_saved(sender, instance: LedgerReport, raw=False, **kwargs):
    if raw:
        return
    cells = {(instance.unit_id, instance.period)}
    before = getattr(instance, "_tally_before", None)
    if before is not None:
        cells.add(tuple(before))
    for unit_id, period in sorted(cells):
        ledger_tally_refresh(unit_id=unit_id, period=period)


@receiver(post_delete, sender=LedgerReport, dispatch_uid="supervision_tally_report_deleted")
def _report_deleted(sender, instance: LedgerReport, **kwargs):
    ledger_tally_refresh(unit_id=instance.unit_id, period=instance.period)
