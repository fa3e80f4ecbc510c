"""`run_worker` outlives a dropped database connection and a killed queue worker: its
connections to the test database are terminated (pg_terminate_backend) and its child
worker is SIGKILLed, and enqueued tasks still run afterwards."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from api.tasks import tombstones_purge
from notifications.management.commands.run_worker import periodic_tick
from tests.procs import (
    backend_pids,
    child_pids,
    database_url,
    own_backend_pid,
    require_postgres,
    require_shared_database,
    start_run_worker,
    stop,
    terminate_backends,
    wait_for,
)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

pytestmark = [pytest.mark.pg_only, pytest.mark.django_db(transaction=True)]


def _runs(log: str) -> None:
    """Enqueue a task and wait until the worker has run it."""
    result = tombstones_purge.enqueue()

    def finished():
        result.refresh()
        return result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)

    assert wait_for(finished, timeout=60), f"the task never ran; log:\n{log()[-3000:]}"
    assert result.status == TaskResultStatus.SUCCESSFUL, log()[-3000:]


def test_run_worker_survives_dropped_connections_and_a_killed_worker(settings, tmp_path):
    require_shared_database()
    settings.TASKS = DB_TASKS
    app = f"ehome-test-worker-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    worker = start_run_worker(
        {
            "DATABASE_URL": database_url(app),
            "REDIS_URL": None,  # django-tasks-db's worker
            "EHOME_TASKS_IMMEDIATE": "0",
        },
        log_path=log_path,
    )

    def log():
        return log_path.read_text(errors="replace")

    try:
        _runs(log)
        assert len(child_pids(worker.pid)) == 1

        # every connection of run_worker and of its worker is cut; a worker that was
        # in the middle of a query may exit, and is then started again
        pids = backend_pids(app)
        assert pids
        terminate_backends(pids)
        _runs(log)
        assert worker.poll() is None, log()[-3000:]

        # the worker process is killed: run_worker starts another one
        (child,) = wait_for(lambda: child_pids(worker.pid), timeout=30)
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: [p for p in child_pids(worker.pid) if p != child], 30), log()
        _runs(log)
        assert worker.poll() is None
        assert f"worker pid {child} exited with -9" in log()
    finally:
        stop(worker)


def test_periodic_tick_survives_a_dropped_connection(settings):
    """run_worker's scheduler tick claims and queues the due jobs of the one schedule; a
    connection cut between two ticks costs nothing: the next tick works on a fresh one."""
    import datetime as dt

    from django.utils import timezone

    from notifications.models import PeriodicRun

    require_postgres()
    settings.TASKS = DB_TASKS
    errors: list[str] = []
    first = periodic_tick(errors.append, by="test")
    assert first and errors == []
    assert DBTaskResult.objects.count() == len(first) == PeriodicRun.objects.count()
    assert periodic_tick(errors.append, by="test") == []  # those slots are claimed

    PeriodicRun.objects.filter(pk__in=[r.pk for r in first]).update(
        slot=timezone.now() - dt.timedelta(days=30)
    )  # as if the last runs were long ago: every job is due again
    terminate_backends([own_backend_pid()])
    again = periodic_tick(errors.append, by="test")
    assert errors == []
    assert {r.job for r in again} == {r.job for r in first}
    assert DBTaskResult.objects.count() == 2 * len(first)
