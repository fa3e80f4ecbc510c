"""Run the background task worker plus the periodic jobs (scheduled publishing, closing
overdue exam attempts, ...). `make run` starts this next to the web server.

The queue worker is django-tasks-db's `db_worker` on the embedded profile and RQ's worker
when REDIS_URL is set. Periodic jobs are django-tasks tasks listed in
settings.EHOME_PERIODIC_TASKS as (dotted path, interval seconds); this process enqueues
each when its interval has passed, so the work itself runs in the worker."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "运行后台任务进程和周期任务（定时发布、关闭超时考试等）"

    def add_arguments(self, parser):
        parser.add_argument("--no-periodic", action="store_true")
        parser.add_argument(
            "--once", action="store_true", help="enqueue due periodic jobs once and exit"
        )

    def handle(self, *args, no_periodic, once, **options):
        periodic = [] if no_periodic else list(getattr(settings, "EHOME_PERIODIC_TASKS", []))
        if once:
            for dotted, _ in periodic:
                import_string(dotted).enqueue()
            return
        if settings.REDIS_URL:
            cmd = [sys.executable, "manage.py", "rqworker", "default", "--with-scheduler"]
        else:
            cmd = [sys.executable, "manage.py", "db_worker", "--queue-name", "*"]
        worker = subprocess.Popen(cmd)
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last: dict[str, float] = {}
        try:
            while not stopping and worker.poll() is None:
                now = time.monotonic()
                for dotted, interval in periodic:
                    if now - last.get(dotted, 0) >= interval:
                        last[dotted] = now
                        try:
                            import_string(dotted).enqueue()
                        except Exception as exc:  # keep the loop alive; the log says why
                            self.stderr.write(f"periodic {dotted}: {exc}")
                time.sleep(1)
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
