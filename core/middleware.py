"""Project-wide middleware.

`DatabaseBusyMiddleware`: on the embedded SQLite profile a write waits for the database
write lock up to the busy timeout (`EHOME_SQLITE_TIMEOUT`, config/settings.py); if the
lock is still held then, SQLite raises ``OperationalError: database is locked``. That is
a temporary overload, not a bug: the client gets 503 with ``Retry-After`` (the API's JSON
error format under /api/, plain text elsewhere) instead of a 500, and nothing was written
(the write transaction never began, or was rolled back). DRF re-raises the database
error (api.errors answers only API exceptions), so one hook covers the API, the portal
and the admin views.
"""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse

log = logging.getLogger(__name__)

#: seconds a client should wait before retrying after a 503 "database busy"
RETRY_AFTER_SECONDS = 2
_LOCKED = ("database is locked", "database table is locked")


def is_database_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and any(m in str(exc) for m in _LOCKED)


def database_busy_response(request) -> HttpResponse:
    message = "服务器繁忙，请稍后重试"
    if request.path_info.startswith("/api/"):
        body = {
            "error": {
                "code": "database_busy",
                "message": message,
                "fields": {},
                "retry_after": RETRY_AFTER_SECONDS,
            }
        }
        response = JsonResponse(body, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_busy(exception):
            return None
        log.warning("%s %s: %s → 503", request.method, request.path_info, exception)
        return database_busy_response(request)
