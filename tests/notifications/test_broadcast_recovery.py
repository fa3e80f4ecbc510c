"""A worker SIGKILLed in the middle of a fan-out, with real processes on PostgreSQL: the
batch it was writing rolls back, the resume job (run in a second real process once the
lease ran out) queues the broadcast again, and it finishes from the last committed
batch — every member of the audience told exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from notifications.broadcasts import broadcast_create
from notifications.models import Broadcast, Notification
from organizations.models import Member
from tests.procs import ROOT, database_url, require_shared_database, wait_for

MEMBERS = 3000


def _bulk_members(unit, n):
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"fan{i}") for i in range(n)])
    Member.objects.bulk_create(
        [
            Member(user=u, unit=unit, name=f"党员{i}", member_no=f"F{i:06d}")
            for i, u in enumerate(users)
        ]
    )


def _child(code: str, **env) -> subprocess.Popen:
    full = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "EHOME_TASKS_IMMEDIATE": "1",
        "EHOME_BROADCAST_BATCH": "100",
        "EHOME_BROADCAST_LEASE_SECONDS": "1",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env=full,
        start_new_session=True,
    )


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_fan_out_resumes_and_nobody_is_told_twice(org, settings):
    require_shared_database()
    _bulk_members(org.a1, MEMBERS)
    settings.EHOME_BROADCAST_LEASE_SECONDS = 1
    # the embedded profile's queue: the job waits in the database for the worker below
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    broadcast = broadcast_create(
        kind="announcement",
        audience_unit=org.a,
        context={"title": "紧急通知", "body": "全体党员"},
        idempotency_key="fault-1",
    )
    assert Broadcast.objects.get(pk=broadcast.pk).status == Broadcast.Status.PENDING
    assert broadcast.total == MEMBERS
    worker = _child(
        f"from notifications.tasks import broadcast_run; broadcast_run.call({broadcast.pk})",
        EHOME_BROADCAST_PAUSE_SECONDS="0.05",
    )
    try:
        progressed = wait_for(
            lambda: Broadcast.objects.filter(pk=broadcast.pk, written__gte=500).exists(), 60, 0.02
        )
        assert progressed, "the worker wrote no batch"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert worker.returncode == -signal.SIGKILL
    killed = Broadcast.objects.get(pk=broadcast.pk)
    assert killed.status == Broadcast.Status.RUNNING and 500 <= killed.written < MEMBERS
    rows = Notification.objects.filter(idempotency_key=broadcast.notification_key)
    assert rows.count() == killed.written  # the batch being written rolled back whole

    time.sleep(1.2)  # the dead worker's lease runs out
    resumer = _child("from notifications.tasks import broadcasts_resume; broadcasts_resume.call()")
    assert resumer.wait(timeout=120) == 0

    done = Broadcast.objects.get(pk=broadcast.pk)
    assert (done.status, done.written, done.progress) == ("done", MEMBERS, 100)
    assert rows.count() == MEMBERS
    twice = rows.values("recipient").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists()
    assert set(rows.values_list("recipient", flat=True)) == set(
        Member.objects.filter(unit=org.a1).values_list("pk", flat=True)
    )
