"""Periodic runs: the claim of one slot of one job (the unique PeriodicRun row), the
worker's execution of a claimed run, and the admin's overview of every job. The
scheduler's loop is notifications.scheduler."""

from __future__ import annotations

import datetime as dt
import time
import traceback

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string

from core import schedule
from notifications.models import PeriodicRun


def claim(job: schedule.Periodic, slot: dt.datetime, *, by: str = "") -> PeriodicRun | None:
    """Insert the (job, slot) row; None when another scheduler claimed it first."""
    try:
        with transaction.atomic():
            return PeriodicRun.objects.create(job=job.name, slot=slot, claimed_by=by[:100])
    except IntegrityError:
        return None


def run_execute(run_id: int) -> str:
    """The worker's side: run the claimed job's task once and record how it went."""
    run = PeriodicRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    if run.status in (PeriodicRun.Status.FINISHED, PeriodicRun.Status.FAILED):
        return run.status  # a repeated delivery of the same queued job
    try:
        job = schedule.get(run.job)
    except LookupError:  # the job was removed from the schedule after it was queued
        PeriodicRun.objects.filter(pk=run_id).update(
            status=PeriodicRun.Status.FAILED, finished_at=timezone.now(), result="任务已不在计划中"
        )
        return PeriodicRun.Status.FAILED
    started = timezone.now()
    PeriodicRun.objects.filter(pk=run_id).update(
        status=PeriodicRun.Status.RUNNING, started_at=started
    )
    t0 = time.monotonic()
    try:
        result = import_string(job.task).call()
    except Exception as exc:
        PeriodicRun.objects.filter(pk=run_id).update(
            status=PeriodicRun.Status.FAILED,
            finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - t0) * 1000),
            result=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000],
        )
        raise
    PeriodicRun.objects.filter(pk=run_id).update(
        status=PeriodicRun.Status.FINISHED,
        finished_at=timezone.now(),
        duration_ms=int((time.monotonic() - t0) * 1000),
        result=str(result)[:4000] if result is not None else "",
    )
    return PeriodicRun.Status.FINISHED


def jobs_overview(now: dt.datetime | None = None) -> list[dict]:
    """Every registered job with its last run and next slot (two queries)."""
    now = now or timezone.now()
    jobs = schedule.all_jobs()
    latest_ids = (
        PeriodicRun.objects.filter(job__in=[j.name for j in jobs])
        .values("job")
        .annotate(m=Max("pk"))
        .values_list("m", flat=True)
    )
    last = {r.job: r for r in PeriodicRun.objects.filter(pk__in=list(latest_ids))}
    rows = []
    for job in jobs:
        run = last.get(job.name)
        slot = job.slot_at_or_before(now)
        claimed = run is not None and run.slot >= slot
        rows.append(
            {
                "job": job,
                "every": every_label(job.every),
                "last": run,
                "next": job.next_after(now) if claimed else slot,
            }
        )
    return rows


def every_label(every: dt.timedelta) -> str:
    seconds = int(every.total_seconds())
    for size, unit in ((7 * 86400, "周"), (86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds % size == 0:
            n = seconds // size
            return f"每{unit}" if n == 1 else f"每 {n} {unit}"
    return f"每 {seconds} 秒"
