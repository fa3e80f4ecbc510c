"""Run the background task worker plus the periodic jobs (scheduled publishing, closing
overdue exam attempts, ...). `make run` starts this next to the web server.

The queue worker is django-tasks-db's `db_worker` on the embedded profile and RQ's worker
(with django-tasks-rq's job class, without which every job fails) when REDIS_URL is set.
It runs as a child process: when it dies without being asked to (a database or Redis
outage, the OOM killer), it is started again after a pause that doubles up to
RESTART_MAX_DELAY seconds and starts over once a worker has stayed up for
RESTART_RESET_AFTER seconds.

Periodic jobs come from the one schedule (core.schedule; every app registers its jobs
there): every SCHEDULER_TICK seconds this process runs the scheduler's tick
(notifications.scheduler) — it claims each due slot once (PeriodicRun) and queues the job,
so the work itself runs in the worker. Any number of run_worker and run_scheduler
processes may tick: a slot is claimed once. A failed tick (database or Redis away) is
logged and tried again on the next one, over a fresh connection."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections

from notifications import scheduler

# django-tasks-rq's Job: it turns the job's function path back into the Task and calls it
# (RQ's own Job would call the Task object itself: "'Task' object is not callable").
RQ_JOB_CLASS = "django_tasks_rq.Job"
RESTART_MIN_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_RESET_AFTER = 60.0
# Seconds between the scheduler's ticks (a slot is claimed once, whoever ticks).
SCHEDULER_TICK = 15.0


def worker_command() -> list[str]:
    if settings.REDIS_URL:
        return [
            sys.executable,
            "manage.py",
            "rqworker",
            "default",
            "--job-class",
            RQ_JOB_CLASS,
            "--with-scheduler",
        ]
    return [sys.executable, "manage.py", "db_worker", "--queue-name", "*"]


def periodic_tick(log, *, by: str) -> list:
    """Claim and queue the due periodic jobs (notifications.scheduler.tick). A failure is
    logged and the connection dropped, so the next tick starts on a fresh one."""
    # Like a request: drop a connection that failed or aged out; with CONN_HEALTH_CHECKS
    # the next query checks that the connection it reuses is still alive.
    close_old_connections()
    try:
        return scheduler.tick(by=by)
    except Exception as exc:  # keep the loop alive; the log says why
        log(f"periodic tick: {type(exc).__name__}: {exc}")
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
        return []


class Command(BaseCommand):
    help = "运行后台任务进程和周期任务（定时发布、关闭超时考试等）"

    def add_arguments(self, parser):
        parser.add_argument("--no-periodic", action="store_true")
        parser.add_argument(
            "--once", action="store_true", help="queue the due periodic jobs once and exit"
        )

    def log(self, message: str) -> None:
        self.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} run_worker: {message}")

    def handle(self, *args, no_periodic, once, **options):
        by = f"{socket.gethostname()}:{os.getpid()}"
        if once:
            for run in periodic_tick(self.log, by=by):
                self.stdout.write(f"claimed {run.job} {run.slot.isoformat()}")
            return
        cmd = worker_command()
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        next_tick = 0.0
        worker = None
        started = 0.0
        delay = RESTART_MIN_DELAY
        restart_at = 0.0
        try:
            while not stopping:
                now = time.monotonic()
                if worker is not None and worker.poll() is not None:
                    ran = now - started
                    delay = RESTART_MIN_DELAY if ran >= RESTART_RESET_AFTER else delay
                    self.log(
                        f"worker pid {worker.pid} exited with {worker.returncode} after "
                        f"{ran:.0f} s; restarting in {delay:.0f} s"
                    )
                    worker = None
                    restart_at = now + delay
                    delay = min(delay * 2, RESTART_MAX_DELAY)
                if worker is None and now >= restart_at:
                    worker = subprocess.Popen(cmd)
                    started = now
                    self.log(f"worker pid {worker.pid} started: {' '.join(cmd[1:])}")
                if not no_periodic and now >= next_tick:
                    periodic_tick(self.log, by=by)
                    next_tick = now + SCHEDULER_TICK
                time.sleep(1)
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
