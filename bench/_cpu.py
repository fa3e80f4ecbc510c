"""Where the CPU went during a load run (Linux /proc): the server's processes, the
database, Redis, the load client itself and the whole machine, in CPU seconds.

On a 2-core machine an HTTP benchmark is CPU-bound and shares the cores with everything
else; the split says which part a change has to make cheaper. On a machine shared with
other people's test runs, name what is ours: `CpuSplit(server_pid=…, database=…)` counts
as "server" only the process tree of the server the benchmark started, and as "postgres"
only the backends connected to the benchmark's database (their command line names it);
other servers and PostgreSQL's other processes go to "other". Without them, every
process whose command line says gunicorn, granian or postgres is counted."""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK")
SERVERS = ("gunicorn", "granian")
GROUPS = ("server", "postgres", "redis", "other")


def _stat(pid: str) -> tuple[int, float] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK  # ppid, utime + stime


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class CpuSplit:
    """`start()` before the load, `stop()` while the server is still up (its processes'
    counters vanish when they exit); `seconds` maps group → CPU seconds in between."""

    def __init__(self, server_pid: int | None = None, database: str | None = None):
        self.server_pid = server_pid
        self.database = database

    def _snapshot(self) -> dict[str, tuple[str, float]]:
        stats = {pid: s for pid in os.listdir("/proc") if pid.isdigit() and (s := _stat(pid))}
        ours = set()
        if self.server_pid is not None:
            ours.add(str(self.server_pid))
            changed = True
            while changed:  # descendants of the server process
                changed = False
                for pid, (ppid, _t) in stats.items():
                    if pid not in ours and str(ppid) in ours:
                        ours.add(pid)
                        changed = True
        out = {}
        me = str(os.getpid())
        for pid, (_ppid, t) in stats.items():
            if pid == me:
                out[pid] = ("client", t)
                continue
            if pid in ours:
                out[pid] = ("server", t)
                continue
            cmd = _cmdline(pid)
            if "postgres" in cmd:
                mine = self.database is None or f" {self.database} " in cmd
                out[pid] = ("postgres" if mine else "other", t)
            elif "redis" in cmd:
                out[pid] = ("redis", t)
            elif any(s in cmd for s in SERVERS):
                out[pid] = ("server" if self.server_pid is None else "other", t)
        return out

    def start(self):
        self._t0, self._m0 = self._snapshot(), _machine()
        return self

    def stop(self) -> dict[str, float]:
        t1, m1 = self._snapshot(), _machine()
        self.seconds = {g: 0.0 for g in ("client", *GROUPS)}
        for pid, (group, t) in t1.items():
            self.seconds[group] += t - self._t0.get(pid, (group, 0.0))[1]
        self.seconds["machine"] = m1 - self._m0
        return self.seconds

    def per_request_ms(self, n: int) -> dict[str, float]:
        return {g: round(s * 1000 / n, 2) for g, s in self.seconds.items()} if n else {}


def _machine() -> float:
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]  # idle + iowait
    return (sum(parts[:8]) - idle) / _TICK


def in_all(per_request: dict[str, float]) -> float:
    """CPU per request of the server side in all: the WSGI server's processes, PostgreSQL
    and Redis (not the load client)."""
    return sum(per_request.get(g, 0.0) for g in ("server", "postgres", "redis"))
