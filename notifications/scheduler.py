"""The runner of core.schedule's periodic jobs.

Each tick (`tick(now)`), for every registered job, the scheduler takes the job's latest
slot at or before `now` and *claims* it by inserting a `PeriodicRun(job, slot)` row; the
unique (job, slot) lets exactly one insert succeed, however many schedulers run, so a
slot is enqueued once. The claim commits first; then the job is queued
(`notifications.tasks.periodic_execute(run_id)`, on commit). If queueing fails (Redis or
the database away) the claim is withdrawn so the next tick tries again. The worker runs
the job's own task and records finished/failed with its duration.

Missed slots are not replayed one by one: a scheduler that was down for a day runs each
job once for its latest slot (jobs are idempotent and act on "what is due now").
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from core import schedule
from notifications.models import PeriodicRun
from notifications.periodic import claim
from notifications.tasks import periodic_execute

log = logging.getLogger(__name__)


def _enqueue(run_id: int) -> None:
    try:
        periodic_execute.enqueue(run_id)
    except Exception as exc:  # the queue is away: withdraw the claim, retry next tick
        log.warning("periodic run %s not queued (%s): claim withdrawn", run_id, exc)
        PeriodicRun.objects.filter(pk=run_id, status=PeriodicRun.Status.ENQUEUED).delete()


def tick(now: dt.datetime | None = None, *, by: str = "") -> list[PeriodicRun]:
    """Claim and queue every job whose latest slot has not been claimed yet. Answers the
    runs this scheduler claimed."""
    now = now or timezone.now()
    jobs = schedule.all_jobs()
    slots = {job.name: job.slot_at_or_before(now) for job in jobs}
    taken = set(
        PeriodicRun.objects.filter(job__in=list(slots), slot__in=set(slots.values())).values_list(
            "job", "slot"
        )
    )
    claimed = []
    for job in jobs:
        slot = slots[job.name]
        if (job.name, slot) in taken:
            continue
        run = claim(job, slot, by=by)
        if run is not None:
            claimed.append(run)
            transaction.on_commit(lambda pk=run.pk: _enqueue(pk))
    return claimed
