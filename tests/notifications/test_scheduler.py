"""The periodic-job scheduler: each job's slot claimed once (one PeriodicRun per job and
slot), queued for the worker, recorded finished/failed with its duration — also with two
real scheduler processes racing for the same slots."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from core import schedule
from notifications import periodic, scheduler
from notifications.models import PeriodicRun
from tests.procs import ROOT, database_url, require_shared_database

NOW = dt.datetime(2026, 12, 7, 1, 7, 30, tzinfo=dt.UTC)


@pytest.fixture
def only_test_jobs(monkeypatch):
    jobs = {}
    monkeypatch.setattr(schedule, "_JOBS", jobs)
    schedule.register(
        schedule.Periodic(
            name="t.ok",
            task="tests.notifications.jobs.job_ok",
            every=dt.timedelta(minutes=15),
            description="好",
        )
    )
    schedule.register(
        schedule.Periodic(
            name="t.fails",
            task="tests.notifications.jobs.job_fails",
            every=dt.timedelta(hours=1),
            offset=dt.timedelta(minutes=5),
        )
    )
    return jobs


@pytest.mark.django_db
def test_a_slot_is_claimed_once_run_and_recorded(
    only_test_jobs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claimed = scheduler.tick(NOW, by="s1")
    assert {(r.job, r.slot) for r in claimed} == {
        ("t.ok", dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)),
        ("t.fails", dt.datetime(2026, 12, 7, 1, 5, tzinfo=dt.UTC)),
    }
    ok = PeriodicRun.objects.get(job="t.ok")
    assert ok.status == "finished" and ok.result == "ok" and ok.duration_ms is not None
    failed = PeriodicRun.objects.get(job="t.fails")
    assert failed.status == "failed" and "服务暂不可用" in failed.result
    # the same slots again (a second scheduler, a later tick): nothing
    assert scheduler.tick(NOW + dt.timedelta(minutes=5), by="s2") == []
    # the next slot of the 15-minute job only
    with django_capture_on_commit_callbacks(execute=True):
        again = scheduler.tick(NOW + dt.timedelta(minutes=8), by="s2")
    assert [(r.job, r.slot.minute) for r in again] == [("t.ok", 15)]
    assert PeriodicRun.objects.count() == 3


@pytest.mark.django_db
def test_overview_lists_every_job_with_last_and_next_run(
    only_test_jobs, django_capture_on_commit_callbacks
):
    rows = {r["job"].name: r for r in periodic.jobs_overview(NOW)}
    assert rows["t.ok"]["last"] is None and rows["t.ok"]["every"] == "每 15 分钟"
    assert rows["t.fails"]["every"] == "每小时"
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.tick(NOW)
    rows = {r["job"].name: r for r in periodic.jobs_overview(NOW)}
    assert rows["t.ok"]["last"].status == "finished"
    assert rows["t.ok"]["next"] == dt.datetime(2026, 12, 7, 1, 15, tzinfo=dt.UTC)
    assert rows["t.fails"]["next"] == dt.datetime(2026, 12, 7, 2, 5, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_run_scheduler_once_rejects_a_time_without_zone(only_test_jobs):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="须带时区"):
        call_command("run_scheduler", "--once", "--now", "2026-12-07T01:00:00")
    assert not PeriodicRun.objects.exists()


def _scheduler(*args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "EHOME_TASKS_IMMEDIATE": "0",  # the embedded queue: jobs wait in the database
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_two_real_schedulers_never_queue_the_same_slot_twice():
    require_shared_database()
    from django_tasks_db.models import DBTaskResult

    jobs = schedule.all_jobs()
    assert jobs, "the apps register periodic jobs"
    at = "2026-12-07T01:07:30+00:00"
    procs = [_scheduler("--once", "--now", at) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    claimed = [
        line for out, _ in outs for line in out.decode().splitlines() if line.startswith("claimed")
    ]
    assert len(claimed) == len(jobs)  # split between the two, none twice
    assert PeriodicRun.objects.count() == len(jobs)
    queued = DBTaskResult.objects.filter(task_path="notifications.tasks.periodic_execute")
    assert queued.count() == len(jobs)
    assert sorted(q.args_kwargs["args"][0] for q in queued) == sorted(
        PeriodicRun.objects.values_list("pk", flat=True)
    )

    # two looping schedulers side by side: each job's current slot is claimed once (a job
    # whose current slot is the one claimed above — a daily job — has nothing new)
    from django.utils import timezone

    fixed = dt.datetime.fromisoformat(at)
    fresh = {
        j.name for j in jobs if j.slot_at_or_before(timezone.now()) != j.slot_at_or_before(fixed)
    }
    loops = [_scheduler("--interval", "0.2") for _ in range(2)]
    claimed_now = lambda: set(  # noqa: E731 - the loops' claims: slots after the fixed time
        PeriodicRun.objects.filter(slot__gt=fixed).values_list("job", flat=True).order_by()
    )
    deadline = time.monotonic() + 90  # Django's start-up on a busy machine
    while time.monotonic() < deadline and len(claimed_now() & fresh) < len(fresh) - 1:
        time.sleep(0.5)
    time.sleep(2)  # more ticks of both: nothing more to claim
    for p in loops:
        p.terminate()
    logs = [p.communicate(timeout=30)[1].decode() for p in loops]
    runs = PeriodicRun.objects.count()
    # the fresh slots (one may have crossed a boundary meanwhile) were claimed, once each
    assert runs >= len(jobs) + len(fresh) - 1, logs
    assert PeriodicRun.objects.values("job", "slot").distinct().count() == runs
    assert queued.all().count() == runs, logs
