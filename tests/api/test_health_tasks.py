"""/healthz reports a task queue whose jobs fail or do not move, on both queue backends:
django-tasks-db (the embedded profile) and RQ (REDIS_URL)."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.management import call_command

from api.tasks import tombstones_purge

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _tasks_check(client) -> tuple[int, dict, str]:
    r = client.get("/healthz")
    body = r.json()
    return r.status_code, body["checks"]["tasks"], body["status"]


# --- django-tasks-db -------------------------------------------------------------------


@pytest.fixture
def db_queue(settings):
    settings.TASKS = DB_TASKS
    return settings


def _run_db_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_db_queue_is_ok_while_jobs_run(client, db_queue):
    tombstones_purge.enqueue()
    _run_db_worker()
    status, tasks, overall = _tasks_check(client)
    assert status == 200 and tasks["status"] == "ok", tasks
    assert tasks["backend"] == "DatabaseBackend"
    assert tasks["queued"] == 0 and tasks["failed_recently"] == 0


@pytest.mark.django_db(transaction=True)
def test_db_queue_with_a_failing_job_is_degraded(client, db_queue):
    tombstones_purge.enqueue(unexpected="argument")  # the task raises TypeError when run
    _run_db_worker()
    status, tasks, overall = _tasks_check(client)
    assert status == 200  # the site still works
    assert tasks["status"] == "degraded" and overall == "degraded"
    assert tasks["failed_recently"] == 1
    assert "api.tasks.tombstones_purge" in tasks["error"]


@pytest.mark.django_db(transaction=True)
def test_db_queue_with_a_job_waiting_too_long_is_degraded(client, db_queue):
    db_queue.EHOME_TASKS_HEALTH_STUCK_SECONDS = 1
    tombstones_purge.enqueue()  # no worker runs
    time.sleep(1.5)
    status, tasks, overall = _tasks_check(client)
    assert tasks["status"] == "degraded" and overall == "degraded"
    assert tasks["queued"] == 1 and tasks["oldest_waiting_seconds"] > 1
    assert "等待" in tasks["error"]

    _run_db_worker()  # a worker comes back: the queue moves again
    status, tasks, overall = _tasks_check(client)
    assert tasks["status"] == "ok" and tasks["queued"] == 0, tasks


# --- RQ ---------------------------------------------------------------------------------


@pytest.fixture
def rq_queue(settings):
    """A queue of its own on the run's Redis, removed afterwards."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is unset: the RQ task profile is not configured in this run")
    import django_rq
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    name = f"test-health-{uuid.uuid4().hex[:12]}"
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, name: {"URL": settings.REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    queue = django_rq.get_queue(name)
    yield name
    for registry in (FailedJobRegistry(queue=queue), FinishedJobRegistry(queue=queue)):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    queue.empty()
    queue.delete(delete_jobs=True)


def _run_rq_worker(name: str, job_class: str | None = None):
    import django_rq

    # without job_class: settings.RQ["JOB_CLASS"], as for `manage.py rqworker`
    worker = django_rq.get_worker(name, worker_class="rq.SimpleWorker", job_class=job_class)
    worker.work(burst=True)


@pytest.mark.django_db(transaction=True)
def test_rq_queue_is_ok_while_jobs_run(client, rq_queue):
    tombstones_purge.using(queue_name=rq_queue).enqueue()
    _run_rq_worker(rq_queue)
    status, tasks, overall = _tasks_check(client)
    assert status == 200 and tasks["status"] == "ok", tasks
    assert tasks["backend"] == "RQBackend"
    assert tasks["queued"] == 0 and tasks["failed_recently"] == 0


@pytest.mark.django_db(transaction=True)
def test_rq_queue_with_a_failing_job_is_degraded(client, rq_queue):
    tombstones_purge.using(queue_name=rq_queue).enqueue(unexpected="argument")
    _run_rq_worker(rq_queue)
    status, tasks, overall = _tasks_check(client)
    assert status == 200
    assert tasks["status"] == "degraded" and overall == "degraded"
    assert tasks["failed_recently"] == 1
    assert "api.tasks.tombstones_purge" in tasks["error"]
    assert "argument" not in tasks["error"]  # the job's arguments are not published


@pytest.mark.django_db(transaction=True)
def test_rq_worker_without_the_task_job_class_shows_as_degraded(client, rq_queue):
    """A worker started with RQ's own job class fails every job ("'Task' object is not
    callable"): the queue is reported degraded, not ok."""
    tombstones_purge.using(queue_name=rq_queue).enqueue()
    _run_rq_worker(rq_queue, job_class="rq.job.Job")
    status, tasks, overall = _tasks_check(client)
    assert tasks["status"] == "degraded" and overall == "degraded"
    assert tasks["failed_recently"] == 1
    assert "api.tasks.tombstones_purge" in tasks["error"]


@pytest.mark.django_db(transaction=True)
def test_rq_queue_with_a_job_waiting_too_long_is_degraded(client, rq_queue, settings):
    settings.EHOME_TASKS_HEALTH_STUCK_SECONDS = 1
    tombstones_purge.using(queue_name=rq_queue).enqueue()  # no worker runs
    time.sleep(1.5)
    status, tasks, overall = _tasks_check(client)
    assert tasks["status"] == "degraded" and overall == "degraded"
    assert tasks["queued"] == 1 and tasks["oldest_waiting_seconds"] > 1
    assert tasks["workers"] == 0
    assert "等待" in tasks["error"]

    _run_rq_worker(rq_queue)
    status, tasks, overall = _tasks_check(client)
    assert tasks["status"] == "ok" and tasks["queued"] == 0, tasks
