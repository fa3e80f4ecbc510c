"""The embedded SQLite profile under concurrent writers, against a REAL server process.

A gunicorn (2 workers × 8 threads) serves the project on its own SQLite file (WAL,
BEGIN IMMEDIATE, a busy timeout: config/settings.py). A hundred members report progress
at the same moment: every report answers 200, or 503 with Retry-After when the write lock
could not be had in time — never 500 — and exactly the accepted reports are recorded.
Then a write lock held longer than the busy timeout (another connection, as a long
import would) turns the reports made meanwhile into 503 + Retry-After that recorded
nothing; retried with the same idempotency keys after it is released, they are accepted.

The pytest-django database of the SQLite pass is in memory, so the server gets its own
file under a temporary EHOME_VAR_DIR (tests/servers/sqlite_settings.py and
sqlite_setup.py); this test needs neither PostgreSQL nor Redis and runs in both passes.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
BUSY_TIMEOUT = 3.0  # seconds: the server's SQLite busy timeout in this test
MEMBERS = 100

pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, var: Path):
        self.var = var
        self.port = _free_port()
        self.db = var / "ehome.sqlite3"
        drop = {"DATABASE_URL", "REDIS_URL", "PYTEST_VERSION", "PYTEST_CURRENT_TEST"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            DJANGO_SETTINGS_MODULE="tests.servers.sqlite_settings",
            EHOME_VAR_DIR=str(var),
            EHOME_TEST_SQLITE_BUSY_TIMEOUT=str(BUSY_TIMEOUT),
            EHOME_LOG_LEVEL="ERROR",
            EHOME_THROTTLE_USER="100000/min",
        )
        self.proc: subprocess.Popen | None = None

    def setup(self) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "tests.servers.sqlite_setup", str(MEMBERS)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        self.log = open(self.var / "gunicorn.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(GUNICORN), "config.wsgi:application", "--preload"]
            + ["--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "8"]
            + ["--timeout", "60", "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while True:
            assert self.proc.poll() is None, (self.var / "gunicorn.log").read_text()[-3000:]
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                return
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None):
            self.log.close()

    def report(self, token: str, lesson: int, interval: tuple[int, int], key: str):
        body = {
            "event": "intervals",
            "intervals": [{"from_s": interval[0], "to_s": interval[1], "rate": 1.0}],
        }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(
            "POST",
            f"/api/v1/lessons/{lesson}/progress/",
            json.dumps(body),
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, response.getheader("Retry-After"), data

    def receipts(self) -> int:
        with sqlite3.connect(self.db, timeout=30) as con:
            return con.execute("SELECT count(*) FROM elearning_progressreceipt").fetchone()[0]


def _all_at_once(calls) -> list:
    """Run the calls in threads released together; their results in order."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _assert_never_500(results) -> Counter:
    codes = Counter(status for status, _, _ in results)
    for status, retry_after, body in results:
        assert status in (200, 503), (status, body[:500])
        if status == 503:
            assert retry_after and int(retry_after) >= 1, body
            assert json.loads(body)["error"]["code"] == "database_busy"
    return codes


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("sqlite-server"))
    srv.data = srv.setup()
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


def test_concurrent_progress_reports_on_sqlite_never_answer_500(server):
    lesson, tokens = server.data["lesson"], server.data["tokens"]

    # 1. a hundred members report at the same moment
    results = _all_at_once(
        [
            lambda t=t, i=i: server.report(t, lesson, (0, 10), f"first-{i}")
            for i, t in enumerate(tokens)
        ]
    )
    codes = _assert_never_500(results)
    assert codes[200] + codes[503] == MEMBERS
    assert codes[200] > 0
    assert server.receipts() == codes[200]  # a 503 recorded nothing

    # 2. the write lock held (by another connection) longer than the busy timeout
    five = list(enumerate(tokens[:5]))
    before = server.receipts()
    holder = sqlite3.connect(server.db, timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        blocked = _all_at_once(
            [lambda t=t, i=i: server.report(t, lesson, (10, 14), f"second-{i}") for i, t in five]
        )
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _assert_never_500(blocked) == Counter({503: 5})
    assert waited >= BUSY_TIMEOUT  # they queued for the lock first
    assert server.receipts() == before

    # 3. the same reports retried after the lock is gone are accepted, once
    retried = _all_at_once(
        [lambda t=t, i=i: server.report(t, lesson, (10, 14), f"second-{i}") for i, t in five]
    )
    assert [status for status, _, _ in retried] == [200] * 5, retried
    assert all(json.loads(body)["duplicate"] is False for _, _, body in retried)
    assert server.receipts() == before + 5
