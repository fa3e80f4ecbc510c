"""bin/smoke-run with nothing listening on EHOME_PORT: it says so and exits 2 once
EHOME_SMOKE_WAIT has passed, instead of waiting silently for minutes (it used to ignore
EHOME_PORT and try port 8000 for four minutes). tests/e2e/test_smoke_run.py runs it
against a real demo install."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_gives_up_with_a_message_when_nothing_listens():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    env = {**os.environ, "EHOME_PORT": str(port), "EHOME_SMOKE_WAIT": "2"}
    env.pop("EHOME_HOST", None)
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "smoke-run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - start
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"nothing answers at http://127.0.0.1:{port} after 2 s" in done.stdout
    assert took < 30, took
