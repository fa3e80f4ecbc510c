"""Background work of notifications (django-tasks), each idempotent:

- `broadcast_run`: the fan-out of one broadcast (notifications.fanout), resumable;
- `broadcasts_resume`: periodic, queues again a fan-out whose worker died;
- `periodic_execute`: the scheduler's wrapper around one claimed slot of a periodic job
  (notifications.periodic) — runs the job's task and records finished/failed.
"""

from __future__ import annotations

from django_tasks import task

from notifications import fanout, periodic


@task()
def broadcast_run(broadcast_id: int) -> dict:
    broadcast = fanout.broadcast_run_all(broadcast_id)
    if broadcast is None:
        return {"broadcast": broadcast_id, "status": "missing"}
    return {"broadcast": broadcast_id, "status": broadcast.status, "written": broadcast.written}


@task()
def broadcasts_resume() -> dict:
    stalled = fanout.broadcasts_stalled()
    for broadcast_id in stalled:
        broadcast_run.enqueue(broadcast_id)
    return {"resumed": stalled}


@task()
def periodic_execute(run_id: int) -> str:
    return periodic.run_execute(run_id)
