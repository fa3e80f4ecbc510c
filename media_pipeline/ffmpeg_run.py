"""Run ffmpeg as a sandboxed child: thread cap, address-space limit, timeout, dies with its
parent (a killed worker must not leave an orphan encoder behind), progress from
`-progress pipe:1`."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

PR_SET_PDEATHSIG = 1


class FFmpegError(Exception):
    """ffmpeg failed, timed out or was killed; the message ends with ffmpeg's last lines."""


def _limits(memory_bytes: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child between fork and exec
        os.setpgrp()
        if memory_bytes > 0:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except OSError:  # not glibc/Linux: the timeout still applies
            pass

    return preexec


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text("utf-8", "replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def run_ffmpeg(
    args: list[str],
    *,
    log_path: Path,
    duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    timeout: float | None = None,
) -> None:
    """Run `args` (a full argv starting with "ffmpeg"). `on_progress(fraction)` gets 0..1
    from ffmpeg's progress output (`out_time_us`/`out_time_ms`, both microseconds)."""
    timeout = timeout or settings.EHOME_MEDIA_FFMPEG_TIMEOUT
    argv = list(args)
    if on_progress is not None:
        argv[1:1] = ["-progress", "pipe:1", "-nostats"]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if on_progress is not None else subprocess.DEVNULL,
            stderr=log,
            preexec_fn=_limits(settings.EHOME_MEDIA_FFMPEG_MEMORY_BYTES),
        )
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    try:
        if proc.stdout is not None:
            for raw in proc.stdout:
                line = raw.decode("ascii", "replace").strip()
                key, _, value = line.partition("=")
                if key in ("out_time_us", "out_time_ms") and duration and value.isdigit():
                    on_progress(min(1.0, int(value) / 1_000_000 / duration))
                elif key == "progress" and value == "end":
                    on_progress(1.0)
        rc = proc.wait()
    except BaseException:
        kill()
        proc.wait()
        raise
    finally:
        timer.cancel()
    if timed_out.is_set():
        raise FFmpegError(f"ffmpeg 超过 {timeout:.0f} 秒未完成，已终止")
    if rc != 0:
        reason = "内存超出限制" if rc in (-signal.SIGSEGV, -signal.SIGABRT) else f"退出码 {rc}"
        raise FFmpegError(f"ffmpeg 失败（{reason}）：{_tail(log_path)}")


def now() -> float:
    return time.monotonic()
