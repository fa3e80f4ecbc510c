"""Run the periodic-job scheduler (core.schedule): every few seconds, claim each job's
due slot (one PeriodicRun row per job and slot, unique) and queue it for the worker.
Any number may run: a slot is claimed once. `--once` ticks once and exits (tests, cron)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections

from notifications import scheduler


class Command(BaseCommand):
    help = "运行定时任务调度器（每个任务的每个时间点只排队一次）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="tick once and exit")
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between ticks")
        parser.add_argument("--now", help="ISO time to tick at (with --once; tests)")

    def log(self, message: str) -> None:
        self.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} run_scheduler: {message}")

    def handle(self, *args, once, interval, now, **options):
        by = f"{socket.gethostname()}:{os.getpid()}"
        at = None
        if now:
            try:
                at = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now：无法识别的时间 {now!r}") from None
            if at.tzinfo is None:
                raise CommandError("--now：须带时区，如 2026-12-07T01:00:00+00:00")
        if once:
            for run in scheduler.tick(at, by=by):
                self.stdout.write(f"claimed {run.job} {run.slot.isoformat()}")
            return
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.log(f"started as {by}, ticking every {interval:g} s")
        while not stopping:
            close_old_connections()
            try:
                for run in scheduler.tick(by=by):
                    self.log(f"queued {run.job} for {run.slot.isoformat()}")
            except Exception as exc:  # database away: keep the loop, try next tick
                self.log(f"tick failed: {type(exc).__name__}: {exc}")
                for conn in connections.all(initialized_only=True):
                    conn.close_if_unusable_or_obsolete()
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
        self.log("stopped")
