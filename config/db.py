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
(docs/operations.md); the statement then runs unprepared through the same code.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence

import psycopg
from django.conf import settings
from django.db import connection


def fetchone_prepared(sql: str, params: dict | Sequence):
    """Execute `sql` (psycopg `%(name)s` or `%s` placeholders) and return its first row
    or None."""
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    prepare = getattr(settings, "EHOME_DB_PREPARE", True)
    start = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:

        def execute(sql, params, many, context):
            cur.execute(sql, params, prepare=prepare)
            return cur.fetchone()

        for wrapper in reversed(connection.execute_wrappers):  # connection.execute_wrapper()
            execute = functools.partial(wrapper, execute)
        row = execute(sql, params, False, {"connection": connection, "cursor": cur})
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": sql, "time": f"{time.monotonic() - start:.3f}", "prepared": prepare}
        )
    return row
