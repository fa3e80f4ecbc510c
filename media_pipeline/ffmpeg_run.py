"""Run ffmpeg as a sandboxed child: thread cap, address-space limit, timeout, dies with its
parent (a killed worker must not leave an orphan encoder behind), progress from
`-progress pipe:1`, and can be stopped from another thread (`Abort`: the job's lease was
lost, so another worker owns it now)."""

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


class FFmpegAborted(FFmpegError):
    """ffmpeg was killed on purpose through an `Abort` (the message says why)."""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the child leads its own group (setpgrp)
    except ProcessLookupError:
        pass


class Abort:
    """Stops the ffmpeg processes of one job from another thread.

    The job passes it to `run_ffmpeg` (and `transcode.measure_loudness`); whoever decides
    the work must stop — the lease keeper, when a renewal finds the lease taken over —
    calls `trigger(reason)`: every registered process is killed at once, a process started
    later is killed as soon as it registers, and `run_ffmpeg` raises `FFmpegAborted`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen] = set()
        self.reason = ""

    def is_set(self) -> bool:
        return bool(self.reason)

    def trigger(self, reason: str) -> None:
        with self._lock:
            self.reason = reason or "aborted"
            procs = list(self._procs)
        for proc in procs:
            _kill_group(proc)

    def register(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.add(proc)
            aborted = self.is_set()
        if aborted:
            _kill_group(proc)

    def unregister(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)


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
    abort: Abort | None = None,
) -> None:
    """Run `args` (a full argv starting with "ffmpeg"). `on_progress(fraction)` gets 0..1
    from ffmpeg's progress output (`out_time_us`/`out_time_ms`, both microseconds). That
    output is not a heartbeat: ffmpeg 5.1 writes it only when the first output packets
    are muxed, which for a long encode may be near the end — liveness comes from the
    caller's own timer thread (processing.LeaseKeeper), which stops us through `abort`."""
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
    if abort is not None:
        abort.register(proc)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        _kill_group(proc)

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
        if abort is not None:
            abort.unregister(proc)
    if abort is not None and abort.is_set():
        raise FFmpegAborted(f"ffmpeg 已终止：{abort.reason}")
    if timed_out.is_set():
        raise FFmpegError(f"ffmpeg 超过 {timeout:.0f} 秒未完成，已终止")
    if rc != 0:
        reason = "内存超出限制" if rc in (-signal.SIGSEGV, -signal.SIGABRT) else f"退出码 {rc}"
        raise FFmpegError(f"ffmpeg 失败（{reason}）：{_tail(log_path)}")


def now() -> float:
    return time.monotonic()
