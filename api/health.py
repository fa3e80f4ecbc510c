"""`GET /healthz`: database, cache, storage, search and task-queue status.

200 when the database answers (the service can work, maybe degraded), 503 otherwise."""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache


def _timed(fn):
    start = time.perf_counter()
    try:
        detail = fn() or {}
        status = detail.pop("status", "ok")
    except Exception as exc:  # health checks report, never raise
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": status, "ms": round((time.perf_counter() - start) * 1000, 1), **detail}


def _database():
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"vendor": connection.vendor}


def _cache():
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        return {"status": "error", "error": "cache did not return the value just written"}
    cache.delete(key)
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _storage():
    # A cheap metadata call; it does not write.
    default_storage.exists("healthz-probe")
    return {"backend": type(default_storage).__name__}


def _search():
    checker = getattr(settings, "EHOME_SEARCH_HEALTH", "search.health.search_health")
    try:
        fn = import_string(checker)
    except ImportError:
        return {"backend": "database"}
    return fn()


def _tasks():
    """The task queue moves: "degraded" when a job failed within
    EHOME_TASKS_HEALTH_FAILURE_WINDOW seconds or the oldest job that is due has waited more
    than EHOME_TASKS_HEALTH_STUCK_SECONDS (no worker running, or every worker stuck)."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]  # not the proxy: its class counts
    detail = {"backend": type(backend).__name__}
    kind = type(backend).__module__.split(".", 1)[0]
    if kind == "django_tasks_rq":
        detail.update(_rq_queues(backend))
    elif kind == "django_tasks_db":
        detail.update(_db_queue(backend))
    else:  # the immediate/dummy backends of tests: nothing is queued
        return detail
    window = getattr(settings, "EHOME_TASKS_HEALTH_FAILURE_WINDOW", 900)
    stuck = getattr(settings, "EHOME_TASKS_HEALTH_STUCK_SECONDS", 600)
    problems = []
    if detail["failed_recently"]:
        problems.append(
            f"最近 {window // 60} 分钟内有 {detail['failed_recently']} 个后台任务失败"
            f"（最近一个：{detail.get('last_failed_task') or '未知'}）"
        )
    oldest = detail["oldest_waiting_seconds"]
    if oldest is not None and oldest > stuck:
        problems.append(f"最早的待执行任务已等待 {oldest:.0f} 秒：后台任务进程可能没有运行")
    if problems:
        detail["status"] = "degraded"
        detail["error"] = "；".join(problems)
    return detail


def _rq_queues(backend) -> dict:
    """A few Redis calls per queue: its length and oldest job, and the end times of the
    last failures in its failed-job registry."""
    import django_rq
    from rq.job import Job
    from rq.registry import FailedJobRegistry
    from rq.utils import str_to_date
    from rq.worker import Worker

    now = time.time()
    window = getattr(settings, "EHOME_TASKS_HEALTH_FAILURE_WINDOW", 900)
    queued = failed = workers = 0
    oldest: float | None = None
    last_failed = None
    for name in sorted(backend.queues):
        queue = django_rq.get_queue(name)
        redis = queue.connection
        pipe = redis.pipeline(transaction=False)
        pipe.llen(queue.key)
        pipe.lindex(queue.key, 0)  # the next job to run: the one waiting longest
        pipe.zrevrange(FailedJobRegistry(queue=queue).key, 0, 19)
        length, head, failed_ids = pipe.execute()
        workers += Worker.count(queue=queue)
        queued += length
        pipe = redis.pipeline(transaction=False)
        if head:
            pipe.hget(Job.key_for(head.decode()), "enqueued_at")
        for job_id in failed_ids:
            pipe.hmget(Job.key_for(job_id.decode()), ["ended_at", "description"])
        answers = pipe.execute()
        if head:
            enqueued = answers.pop(0)
            if enqueued:
                age = now - str_to_date(enqueued).timestamp()
                oldest = age if oldest is None else max(oldest, age)
        for ended_at, description in answers:
            if ended_at and now - str_to_date(ended_at).timestamp() <= window:
                failed += 1
                if last_failed is None and description:  # "path.to.task(args…)": no args
                    last_failed = description.decode().split("(", 1)[0][:200]
    return {
        "queued": queued,
        "oldest_waiting_seconds": None if oldest is None else round(oldest, 1),
        "failed_recently": failed,
        "last_failed_task": last_failed,
        "workers": workers,
    }


def _db_queue(backend) -> dict:
    """Two queries on django-tasks-db's results table: the due READY jobs (count, how long
    the oldest has waited) and the jobs that failed within the window."""
    from datetime import timedelta

    from django.db.models import Count, Min, Q
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    window = getattr(settings, "EHOME_TASKS_HEALTH_FAILURE_WINDOW", 900)
    results = DBTaskResult.objects.filter(backend_name=backend.alias)
    no_date = Q(run_after=get_date_max())
    ready = results.ready().aggregate(
        count=Count("id"),
        enqueued=Min("enqueued_at", filter=no_date),
        due=Min("run_after", filter=~no_date),
    )
    since = [t for t in (ready["enqueued"], ready["due"]) if t is not None]
    failed = (
        results.failed()
        .filter(finished_at__gte=now - timedelta(seconds=window))
        .order_by("-finished_at")
        .values_list("task_path", flat=True)
    )
    failed_paths = list(failed[:20])
    return {
        "queued": ready["count"],
        "oldest_waiting_seconds": (round((now - min(since)).total_seconds(), 1) if since else None),
        "failed_recently": len(failed_paths),
        "last_failed_task": failed_paths[0] if failed_paths else None,
    }


@never_cache
def healthz(request):
    checks = {
        "database": _timed(_database),
        "cache": _timed(_cache),
        "storage": _timed(_storage),
        "search": _timed(_search),
        "tasks": _timed(_tasks),
    }
    db_ok = checks["database"]["status"] == "ok"
    overall = "ok" if all(c["status"] == "ok" for c in checks.values()) else "degraded"
    if not db_ok:
        overall = "down"
    return JsonResponse({"status": overall, "checks": checks}, status=200 if db_ok else 503)
