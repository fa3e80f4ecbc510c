"""bin/smoke-run against a real demo install, as a person runs it after `make run`: on the
port given by EHOME_PORT it passes (admin, secretary, an editor saving a draft, Swagger
UI rendering every operation in Chromium, health, JWT); it fails, naming the check,
when editors cannot write or when the docs page would be blank offline (Swagger UI from
a CDN). tests/core/test_smoke_run.py: it gives up with a message when nothing listens.

The server is `manage.py runserver` (what `make run` starts) on the embedded profile with
its own SQLite file holding the demo (tests/servers/demo_setup.py: seed_demo without
media transcoding or the search index)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "bin" / "smoke-run"

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    var = tmp_path_factory.mktemp("smoke") / "var"
    drop = {"DATABASE_URL", "REDIS_URL", "EHOME_HOST", "EHOME_PORT", "EHOME_DEMO_PASSWORD"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.servers.sqlite_settings",
        EHOME_VAR_DIR=str(var),
        EHOME_LOG_LEVEL="ERROR",
        DJANGO_DEBUG="1",  # as bin/dev-run: static files served from the finders
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.servers.demo_setup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return env


class Runserver:
    def __init__(self, env: dict, settings: str | None = None):
        self.port = _free_port()
        self.env = {**env, **({"DJANGO_SETTINGS_MODULE": settings} if settings else {})}
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def _smoke(env: dict, port: int, *args: str, timeout: float = 240):
    run_env = {**env, "EHOME_PORT": str(port), "EHOME_SMOKE_WAIT": "90"}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(SMOKE), *args],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


@pytest.fixture(scope="module")
def server(demo_env):
    server = Runserver(demo_env)
    yield server
    server.stop()


def test_smoke_run_passes_on_the_port_of_eHOME_PORT(server, demo_env):
    code, out, _ = _smoke(demo_env, server.port)  # no URL: EHOME_PORT decides
    assert code == 0, out
    for line in (
        "ok   editor saves a news draft",
        "ok   editor deletes the draft again",
        "ok   Chromium shows every API operation on /api/docs/",
        "ok   /api/docs/ asks no other host",
        "ok   secretary_g02 sees only G02's subtree",
        "ok   JWT login as member",
    ):
        assert line in out, out
    assert "all checks passed" in out


def test_smoke_run_fails_when_the_docs_page_would_be_blank_offline(demo_env):
    cdn = Runserver(demo_env, settings="tests.servers.cdn_docs_settings")
    try:
        code, out, _ = _smoke(demo_env, cdn.port)
    finally:
        cdn.stop()
    assert code == 1, out
    assert "FAIL Chromium shows every API operation on /api/docs/ 0 of" in out, out


def test_smoke_run_fails_when_editors_cannot_write(server, demo_env):
    done = subprocess.run(
        [sys.executable, "-m", "tests.servers.demo_setup", "break-editing"],
        cwd=ROOT,
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    code, out, _ = _smoke(demo_env, server.port)
    assert code == 1, out
    assert "FAIL editor opens the add-news form" in out, out
    assert "ok   admin login as editor" in out  # they can still log in: only writing broke
