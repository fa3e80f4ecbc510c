"""Database helpers shared by the apps' hot paths (PostgreSQL only).

`fetchone_prepared` runs one statement as a server-side prepared statement: psycopg
prepares it on the first run in each connection (`PREPARE`), later runs send only
`EXECUTE` with the parameters, so PostgreSQL parses and plans it once per connection
instead of once per request. Django's own cursors bind parameters on the client (its
psycopg 3 default) and cannot prepare, hence a plain psycopg cursor on Django's
connection: same connection, same transaction state, Django's error classes
(`wrap_database_errors`), and the query is logged where Django logs queries
(`connection.queries`, `assertNumQueries`, `CaptureQueriesContext`) and passes through
`connection.execute_wrapper()` hooks like Django's cursors.

Prepared statements live in the server session: behind a transaction-pooling PgBouncer
older than 1.21 (or without `max_prepared_statements`) set `EHOME_DB_PREPARE=false`
(docs/operations.md); the statement then runs unprepared through the same code. psycopg
keeps the list of prepared statements on its connection object: when Django replaces a
dropped connection the new one starts with none and prepares again.

`DatabaseReconnectMiddleware` answers a safe request (GET, HEAD, OPTIONS) once more on a
new connection when its connection dropped under it (the server restarted, a failover, an
administrator's `pg_terminate_backend`); CONN_HEALTH_CHECKS (settings) makes the first
query of every request check a reused connection, so only a connection lost during a
request is noticed this way.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence

import psycopg
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def fetchone_prepared(sql: str, params: dict | Sequence, *, using: str = "default"):
    """Execute `sql` (psycopg `%(name)s` or `%s` placeholders) and return its first row
    or None."""
    return _run_prepared(sql, params, using, lambda cur: cur.fetchone())


def fetchall_prepared(sql: str, params: dict | Sequence, *, using: str = "default") -> list:
    """Execute `sql` like `fetchone_prepared` and return all its rows."""
    return _run_prepared(sql, params, using, lambda cur: cur.fetchall())


def _run_prepared(sql, params, using, fetch):
    connection = connections[using]
    # Like Django's own cursors: a reused connection is checked once per request
    # (CONN_HEALTH_CHECKS) and replaced, with its prepared statements, if it dropped.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    prepare = getattr(settings, "EHOME_DB_PREPARE", True)
    start = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:

        def execute(sql, params, many, context):
            cur.execute(sql, params, prepare=prepare)
            return fetch(cur)

        for wrapper in reversed(connection.execute_wrappers):  # connection.execute_wrapper()
            execute = functools.partial(wrapper, execute)
        got = execute(sql, params, False, {"connection": connection, "cursor": cur})
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": sql, "time": f"{time.monotonic() - start:.3f}", "prepared": prepare}
        )
    return got


def _connected(sender, connection, **kwargs):
    connection.ehome_was_connected = True


connection_created.connect(_connected, dispatch_uid="core.db.connected")


def _drop_broken_connections() -> bool:
    """Close each connection that was open during this request, failed and no longer
    answers; True when there was one (the request may be answered again on a new
    connection). A connection that could not be opened at all does not count: the
    database is down, and trying again at once would only double the wait."""
    dropped = False
    for conn in connections.all(initialized_only=True):
        if not conn.errors_occurred or conn.in_atomic_block:
            continue
        if not getattr(conn, "ehome_was_connected", False):
            continue
        if conn.connection is None or not conn.is_usable():
            conn.close()
            dropped = True
    return dropped


class DatabaseReconnectMiddleware:
    """Outermost middleware: a GET/HEAD/OPTIONS answered 5xx because its database
    connection dropped is run once more (on a new connection) before anything is sent.
    Other methods are never repeated: their next request gets a new connection."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            return self.get_response(request)
        for conn in connections.all(initialized_only=True):
            conn.ehome_was_connected = conn.connection is not None
            if conn.connection is None:
                conn.errors_occurred = False  # a closed connection's stale flag
        response = self.get_response(request)
        if response.status_code < 500 or getattr(response, "streaming", False):
            return response
        if not _drop_broken_connections():
            return response
        logger.warning(
            "%s %s: the database connection dropped; answering again on a new connection",
            request.method,
            request.path,
        )
        return self.get_response(request)
