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
    from django_tasks import default_task_backend

    return {"backend": type(default_task_backend).__name__}


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
