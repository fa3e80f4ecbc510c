"""The one schedule of periodic jobs. An app declares its jobs once, from its
AppConfig.ready():

    from core.schedule import Periodic, register
    register(Periodic(name="dues.obligations", task="dues.tasks.obligations_generate",
                      every=timedelta(days=1), offset=timedelta(hours=1),
                      description=_("生成本月党费应缴记录")))

A job is a django-tasks task (dotted path) that takes no arguments and is idempotent: it
may run twice for the same slot (a retry, a late scheduler) and must then do nothing the
second time. Runs fall on UTC instants t with (t - epoch - offset) % every == 0; a job
that acts at a local hour in each member's time zone (09:00 reminders) runs often (every
15 minutes or hourly) and decides per unit time zone itself
(`organizations.localtime.zones_past_local_hour`). The runner, the admin view with last and
next run, and the single-scheduler guard live in `notifications` (the layer that owns the
schedule); this module is only the registry, so every layer can declare jobs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

_JOBS: dict[str, Periodic] = {}
EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday: weekly jobs count from Monday 00:00 UTC


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    every: dt.timedelta
    offset: dt.timedelta = field(default=dt.timedelta(0))
    description: str = ""

    def slot_at_or_before(self, now: dt.datetime) -> dt.datetime:
        """The latest scheduled instant not after `now` (aware)."""
        elapsed = now - EPOCH - self.offset
        return now - (elapsed % self.every)

    def next_after(self, now: dt.datetime) -> dt.datetime:
        return self.slot_at_or_before(now) + self.every


def register(job: Periodic) -> Periodic:
    if not job.name or not job.task or job.every <= dt.timedelta(0):
        raise ValueError("Periodic needs a name, a task path and a positive interval")
    existing = _JOBS.get(job.name)
    if existing is not None and existing != job:
        raise ValueError(f"periodic job {job.name!r} is registered twice")
    _JOBS[job.name] = job
    return job


def register_jobs(app: str, *jobs: tuple) -> list[Periodic]:
    """Register an app's jobs, each ``(name, task, every, description[, offset])``: the job
    is named ``<app>.<name>`` and runs the task ``<app>.tasks.<task>``.

        register_jobs("supervision",
                      ("ledger_reminders", "ledger_reminders", timedelta(hours=1),
                       _("台账到期提醒"), timedelta(minutes=5)))
    """
    done = []
    for name, task, every, description, *rest in jobs:
        offset = rest[0] if rest else dt.timedelta(0)
        done.append(
            register(
                Periodic(
                    name=f"{app}.{name}",
                    task=f"{app}.tasks.{task}",
                    every=every,
                    offset=offset,
                    description=description,
                )
            )
        )
    return done


def get(name: str) -> Periodic:
    try:
        return _JOBS[name]
    except KeyError:
        raise LookupError(f"unknown periodic job {name!r}") from None


def all_jobs() -> list[Periodic]:
    return sorted(_JOBS.values(), key=lambda j: j.name)
