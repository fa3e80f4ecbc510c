"""The embedded default profile (SQLite, no Redis) runs several processes — the web
server, the task worker, `manage.py` commands — and they must agree: a change made in
another process is seen by the web server at its next request. With a per-process cache
the server kept answering 304 with the old ETag for up to five minutes after a book was
added elsewhere, and kept accepting a token revoked elsewhere.

A real server — granian and gunicorn, each through bin/serve — serves the project on
its own SQLite file under a temporary
EHOME_VAR_DIR (tests/servers/sqlite_settings.py); the changes are made by separate
`python -m tests.servers.shared_state` processes. Needs neither PostgreSQL nor Redis: the
server runs the embedded profile in both passes."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    not (BIN / "gunicorn").exists() or not (BIN / "granian").exists(),
    reason="gunicorn or granian is not installed",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def embedded(tmp_path):
    """env for processes of one embedded install under tmp_path/var."""
    drop = {"DATABASE_URL", "REDIS_URL", "PYTEST_VERSION", "PYTEST_CURRENT_TEST"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.servers.sqlite_settings",
        EHOME_VAR_DIR=str(tmp_path / "var"),
        EHOME_LOG_LEVEL="ERROR",
    )
    return env


def _step(env, *args) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.servers.shared_state", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["granian", "gunicorn"])
def server(request, embedded, tmp_path):
    """The install served by bin/serve (docs/operations.md "Web") with each server."""
    token = _step(embedded, "setup")["token"]
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    env = {
        **embedded,
        "EHOME_SERVER": request.param,
        "EHOME_PORT": str(port),
        "EHOME_WEB_WORKERS": "1",
        "EHOME_WEB_THREADS": "4",
        "EHOME_VENV": str(Path(sys.executable).parent.parent),
    }
    proc = subprocess.Popen(
        [str(ROOT / "bin/serve"), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                assert time.monotonic() < deadline, f"{request.param} did not start"
                time.sleep(0.1)

        def get(path, **headers):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}", **headers})
            response = conn.getresponse()
            return response.status, response.headers, response.read()  # names any case

        yield get
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def test_changes_made_by_another_process_are_seen_by_the_server(server, embedded):
    status, headers, body = server("/api/v1/books/")
    assert status == 200, body[:500]
    etag = headers["ETag"]
    assert server("/api/v1/books/", **{"If-None-Match": etag})[0] == 304  # warm: cached

    _step(embedded, "add-book", "另一个进程添加的书")
    status, headers, body = server("/api/v1/books/", **{"If-None-Match": etag})
    assert status == 200, "the server answered 304 with a stale ETag"
    assert headers["ETag"] != etag
    titles = [b["title"] for b in json.loads(body)["results"]]
    assert "另一个进程添加的书" in titles
    fresh = headers["ETag"]
    assert server("/api/v1/books/", **{"If-None-Match": fresh})[0] == 304

    # "log out everywhere" in another process ends the token here at once
    _step(embedded, "revoke")
    assert server("/api/v1/books/", **{"If-None-Match": fresh})[0] == 401
    assert server("/api/v1/books/")[0] == 401
