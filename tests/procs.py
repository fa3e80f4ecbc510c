"""Helpers for tests that run real processes (the task worker, a web server) against the
test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def require_shared_database() -> None:
    """Skip unless the test database can be reached from another process."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database lives in memory: a second process cannot see it")


def require_postgres() -> None:
    """Skip unless the tests run on PostgreSQL (for pg_terminate_backend)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the test ends a server connection (pg_terminate_backend)")


def database_url(application_name: str | None = None) -> str:
    """DATABASE_URL of the test database (a child process uses the same one)."""
    s = connection.settings_dict
    auth = quote(s["USER"], safe="") + (
        f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    )
    url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return url + (f"?application_name={application_name}" if application_name else "")


def wait_for(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid` (from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def start_run_worker(env: dict[str, str], *args: str, log_path: Path) -> subprocess.Popen:
    """`manage.py run_worker` in its own session (stopping it stops its worker too)."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    full_env = {k: v for k, v in full_env.items() if v is not None}
    log = open(log_path, "wb")  # noqa: SIM115 (closed by stop())
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", *args],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log_path = log_path  # type: ignore[attr-defined]
    proc.log_file = log  # type: ignore[attr-defined]
    return proc


def stop(proc: subprocess.Popen) -> str:
    """Stop a process started by start_run_worker (TERM, then KILL) and return its log."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in the session
    except ProcessLookupError:
        pass
    proc.log_file.close()
    return proc.log_path.read_text(errors="replace")


def backend_pids(application_name: str) -> list[int]:
    """PostgreSQL backends of the test database opened with this application_name."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s AND pid <> pg_backend_pid()",
            [application_name],
        )
        return [row[0] for row in cur.fetchall()]


def terminate_backends(pids: list[int]) -> None:
    """pg_terminate_backend each pid (backends of the test database only) and wait until
    they are gone. Runs on a connection of its own, so the test's own backend may be one
    of them."""
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cur:
            for pid in pids:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE pid = %s AND datname = current_database()",
                    [pid],
                )

            def gone():
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)]
                )
                return cur.fetchone()[0] == 0

            assert wait_for(gone, timeout=10, step=0.05), f"backends {pids} still alive"
    finally:
        other.close()


def own_backend_pid() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
