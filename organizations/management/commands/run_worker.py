"""Run the background task worker plus the periodic jobs (scheduled publishing, closing
overdue exam attempts, ...). `make run` starts this next to the web server.

The queue worker is django-tasks-db's `db_worker` on the embedded profile and RQ's worker
(with django-tasks-rq's job class, without which every job fails) when REDIS_URL is set.
It runs as a child process: when it dies without being asked to (a database or Redis
outage, the OOM killer), it is started again after a pause that doubles up to
RESTART_MAX_DELAY seconds and starts over once a worker has stayed up for
RESTART_RESET_AFTER seconds.

Periodic jobs are django-tasks tasks listed in settings.EHOME_PERIODIC_TASKS as (dotted
path, interval seconds); this process enqueues each when its interval has passed, so the
work itself runs in the worker. A failed enqueue (database or Redis away) is logged and
retried on the next tick, over a fresh connection."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from django.utils.module_loading import import_string

# django-tasks-rq's Job: it turns the job's function path back into the Task and calls it
# (RQ's own Job would call the Task object itself: "'Task' object is not callable").
RQ_JOB_CLASS = "django_tasks_rq.Job"
RESTART_MIN_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_RESET_AFTER = 60.0
# A periodic job whose enqueue failed is tried again after this many seconds at most.
PERIODIC_RETRY_AFTER = 10.0


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


def enqueue_due(periodic, last: dict[str, float], now: float, log) -> None:
    """Enqueue each periodic job whose interval has passed. A failed enqueue is logged
    and tried again after at most PERIODIC_RETRY_AFTER seconds."""
    # Like a request: drop a connection that failed or aged out; with CONN_HEALTH_CHECKS
    # the next query checks that the connection it reuses is still alive.
    close_old_connections()
    for dotted, interval in periodic:
        if now - last.get(dotted, -float("inf")) < interval:
            continue
        try:
            import_string(dotted).enqueue()
        except Exception as exc:  # keep the loop alive; the log says why
            log(f"periodic {dotted}: {type(exc).__name__}: {exc}")
            for conn in connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
            last[dotted] = now - interval + min(interval, PERIODIC_RETRY_AFTER)
        else:
            last[dotted] = now


class Command(BaseCommand):
    help = "运行后台任务进程和周期任务（定时发布、关闭超时考试等）"

    def add_arguments(self, parser):
        parser.add_argument("--no-periodic", action="store_true")
        parser.add_argument(
            "--once", action="store_true", help="enqueue due periodic jobs once and exit"
        )

    def log(self, message: str) -> None:
        self.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} run_worker: {message}")

    def handle(self, *args, no_periodic, once, **options):
        periodic = [] if no_periodic else list(getattr(settings, "EHOME_PERIODIC_TASKS", []))
        if once:
            for dotted, _ in periodic:
                import_string(dotted).enqueue()
            return
        cmd = worker_command()
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last: dict[str, float] = {}
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
                enqueue_due(periodic, last, now, self.log)
                time.sleep(1)
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
