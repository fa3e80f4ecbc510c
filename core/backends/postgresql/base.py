"""Django's PostgreSQL backend with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` (config/settings.py) Django checks a reused connection before
the first query of every request, and its PostgreSQL backend does it by running
``SELECT 1``: one more round trip to the server on every request, whatever the request —
on the progress report, the busiest endpoint, as many round trips as the report itself.

A connection the server has ended — restarted, failed over, `pg_terminate_backend` — is
one whose socket has something to read while no query is running: the server's
"terminating connection" error, or the end of the stream. So `is_usable` first asks the
kernel (``poll`` with no wait) whether the idle socket is readable. Nothing there: the
server has not closed it, and the connection is used as it is. Something there, or a
connection psycopg already knows is closed or broken: Django's own check decides (the
``SELECT 1``; it fails on a dead connection, which is then replaced).

What this cannot see — a server gone without a word (a host lost, a network cut) — a
``SELECT 1`` would have met only by waiting for its timeout; the request's own query meets
it instead, and a GET is answered again on a new connection (core.db
`DatabaseReconnectMiddleware`). tests/api/test_db_reconnect.py terminates real backends.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper

_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


class DatabaseWrapper(PostgresDatabaseWrapper):
    def is_usable(self):
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        try:
            poller = select.poll()
            poller.register(conn.fileno(), _READABLE)
            pending = poller.poll(0)
        except (OSError, ValueError):
            return False
        if not pending:
            return True
        return super().is_usable()
