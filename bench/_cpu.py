"""Where the CPU went during a load run (Linux /proc): the server's processes, the
database, Redis, the load client itself and the whole machine, in CPU seconds.

On a 2-core machine an HTTP benchmark is CPU-bound and shares the cores with everything
else; the split says which part a change has to make cheaper."""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK")
GROUPS = ("gunicorn", "granian", "postgres", "redis")


def _group(pid: str) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return None
    if pid == str(os.getpid()):
        return "client"
    return next((g for g in GROUPS if g in cmd), None)


def _pid_times() -> dict[str, tuple[str, float]]:
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        group = _group(pid)
        if group is None:
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (group, (int(fields[11]) + int(fields[12])) / _TICK)  # utime + stime
    return out


def _machine() -> float:
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]  # idle + iowait
    return (sum(parts[:8]) - idle) / _TICK


class CpuSplit:
    """`start()` before the load, `stop()` while the server is still up (its processes'
    counters vanish when they exit); `seconds` maps group → CPU seconds in between."""

    def start(self):
        self._t0, self._m0 = _pid_times(), _machine()
        return self

    def stop(self) -> dict[str, float]:
        t1, m1 = _pid_times(), _machine()
        self.seconds = {g: 0.0 for g in ("client", *GROUPS)}
        for pid, (group, t) in t1.items():
            self.seconds[group] += t - self._t0.get(pid, (group, 0.0))[1]
        self.seconds["machine"] = m1 - self._m0
        return self.seconds

    def per_request_ms(self, n: int) -> dict[str, float]:
        return {g: round(s * 1000 / n, 2) for g, s in self.seconds.items()} if n else {}


def in_all(per_request: dict[str, float], server: str) -> float:
    """CPU per request of the server side in all: the WSGI server's processes, PostgreSQL
    and Redis (not the load client)."""
    return sum(per_request.get(g, 0.0) for g in (server, "postgres", "redis"))
