"""The RQ profile end to end: `run_worker` on a real Redis runs a real project task that
was enqueued through django-tasks, against the test database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus

from api.models import ContentTombstone
from api.tasks import tombstones_purge
from tests.procs import database_url, require_shared_database, start_run_worker, stop, wait_for

RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


@pytest.fixture
def rq_profile(settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is unset: the RQ task profile is not configured in this run")
    require_shared_database()
    settings.TASKS = RQ_TASKS
    return settings


def _finished(result):
    result.refresh()
    return result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_run_worker_on_redis_runs_an_enqueued_task(rq_profile, tmp_path):
    now = timezone.now()
    days = rq_profile.EHOME_API_TOMBSTONE_DAYS
    ContentTombstone.objects.create(
        resource="news", object_id=1, reason="deleted", at=now - timedelta(days=days + 1)
    )
    ContentTombstone.objects.create(resource="news", object_id=2, reason="deleted", at=now)

    worker = start_run_worker(
        {
            "DATABASE_URL": database_url(),
            "REDIS_URL": rq_profile.REDIS_URL,
            "EHOME_TASKS_IMMEDIATE": "0",
        },
        "--no-periodic",
        log_path=tmp_path / "worker.log",
    )
    try:
        result = tombstones_purge.enqueue()
        finished = wait_for(lambda: _finished(result), timeout=60)
    finally:
        log = stop(worker)
    assert finished, f"the job never finished; worker log:\n{log[-3000:]}"
    errors = "\n".join(e.traceback for e in result.errors)
    assert result.status == TaskResultStatus.SUCCESSFUL, f"{errors}\nworker log:\n{log[-3000:]}"
    assert result.return_value == 1
    assert list(ContentTombstone.objects.values_list("object_id", flat=True)) == [2]
