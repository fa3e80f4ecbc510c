"""Academy benchmarks (docs/benchmarks.md "Academy"), PostgreSQL only.

    DATABASE_URL=postgres://…/ehome_learning_bench REDIS_URL=redis://…/4 \\
        .venv/bin/python -m bench learning -- [--units 8000] [--members 140000] [--courses 10]
        [--skip-http] [--skip-exam] [--http-seconds 20] [--threads 32] [--workers 4]
        [--progress-workers 2] [--progress-threads 16] [--skip-progress-baseline]
        [--servers gunicorn,granian] [--roads hot,full] [--rounds 3]
        [--skip-inprocess] [--profile-roads]

1. data: `organizations.generating.org_generate` (8,000 units / 140,000 members under a
   root coded "LB"), 10 compulsory courses with an assignment each, and one CourseProgress
   row per member and course (≈ 1.4 M rows, written with COPY). Re-runs reuse the data.
2. completion report: full tree and a second-level unit (the ONE-query selector), against
   a naive loop (a few ORM queries per child unit) measured in the same run.
3. progress reports through HTTP: threaded raw-socket clients (bench._http) POST
   interval batches (each with its own idempotency key) against 127.0.0.1; after 3 s of
   the same load as warm-up, the requests started in the next `--http-seconds`:
   accepted/s, lost reports (answered 200 but not in the database: every member's row
   and receipts checked after the run), p50/p99 and the CPU per request of the server's
   own processes, of the
   PostgreSQL backends of this database, and of both + Redis ("in all"; bench._cpu).
   Each of `--servers` (gunicorn sync workers, granian WSGI) × `--roads` (hot:
   api.hot_path with its progress lane; nolane: EHOME_PROGRESS_LANE=0; full:
   EHOME_HOT_PATH=0) is measured, alternating over `--rounds`, with
   the medians and the ratios to the first; unless --skip-progress-baseline, also the
   DRF view (EHOME_PROGRESS_FAST_PATH=0) and the DRF view with the statements unprepared
   (+ EHOME_DB_PREPARE=0). In-process, alternating in one process: CPU per report through
   the WSGI application on the hot road vs the full stack (`--profile-roads`: with a
   cProfile of each), the fast path vs the DRF view, and the store's PostgreSQL
   statement vs its portable locked form.
4. exam burst: 2,000 members start and submit over HTTP (10 % send their submit twice,
   concurrently); server errors, lost and double-graded submissions, p99.
5. leaderboards: a contest result and a points balance for every member (COPY), then
   top 20 + "my rank" for the first, a middle and the last member, against ranking all
   rows with a window function.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench import _cpu, _http

ROOT_CODE = "LB"
BASE = Path(__file__).resolve().parent.parent


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/learning.py needs PostgreSQL: set DATABASE_URL")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)  # a fresh bench database works


def _pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def _ms(s):
    return f"{s * 1000:.1f} ms"


# --- data -------------------------------------------------------------------------------


def ensure_data(units: int, members: int, courses: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from elearning.models import Assignment, Course, CourseProgress, Lesson
    from media_pipeline.models import MediaAsset
    from organizations.models import OrgUnit

    root = OrgUnit.objects.filter(code=ROOT_CODE).first()
    if root is None:
        from tqdm import tqdm

        from organizations.generating import org_generate

        t = time.perf_counter()
        org_generate(units=units, members=members, prefix=ROOT_CODE, progress=tqdm)
        print(
            f"generated org: {units} units / {members} members in {time.perf_counter() - t:.0f} s"
        )
        root = OrgUnit.objects.get(code=ROOT_CODE)
    asset, _ = MediaAsset.objects.get_or_create(
        title="压测视频", defaults={"kind": "video", "status": "ready", "duration": 36000.0}
    )
    course_objs = []
    for i in range(courses):
        c, created = Course.objects.get_or_create(
            title=f"压测必修课 {i + 1:02d}",
            defaults={"audience_unit": root, "is_published": True, "kind": "compulsory"},
        )
        if created:
            for j in range(3):
                Lesson.objects.create(
                    course=c, title=f"第 {j + 1} 课", kind="video", media=asset, sort_order=j
                )
            Assignment.objects.create(
                course=c, audience_unit=root, due_date=timezone.localdate() + dt.timedelta(days=5)
            )
        course_objs.append(c)
    have = CourseProgress.objects.filter(course__in=course_objs).count()
    if have == 0:
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                "SELECT m.id FROM organizations_member m JOIN organizations_orgunit u "
                "ON u.id = m.unit_id WHERE u.path LIKE %s ORDER BY m.id",
                [root.path + "%"],
            )
            member_ids = [r[0] for r in cur.fetchall()]
        rng = random.Random(7)
        now = timezone.now()
        rows = 0
        with connection.cursor() as cur:
            pg = cur.cursor  # the psycopg cursor, for COPY
            with pg.copy(
                "COPY elearning_courseprogress (member_id, course_id, started_at, "
                "lessons_completed, lessons_done_at, best_score, exam_passed_at, completed_at) "
                "FROM STDIN"
            ) as copy:
                for c in course_objs:
                    for mid in member_ids:
                        r = rng.random()
                        started = now - dt.timedelta(days=rng.randint(1, 20)) if r < 0.85 else None
                        done = started is not None and r < 0.55
                        score = (
                            float(rng.choice((55, 60, 70, 80, 90, 100)))
                            if done or r < 0.6
                            else None
                        )
                        copy.write_row(
                            (
                                mid,
                                c.pk,
                                started,
                                3 if done else (rng.randint(0, 2) if started else 0),
                                started if done else None,
                                score,
                                started if done else None,
                                started if done else None,
                            )
                        )
                        rows += 1
        cur = connection.cursor()
        cur.execute("VACUUM ANALYZE elearning_courseprogress")
        cur.execute("ANALYZE organizations_member")
        cur.execute("ANALYZE organizations_orgunit")
        print(f"inserted {rows} CourseProgress rows with COPY in {time.perf_counter() - t:.0f} s")
        have = rows
    return {"root": root, "courses": course_objs, "progress_rows": have, "asset": asset}


# --- 2. reports -------------------------------------------------------------------------


def naive_report(assignment, unit):
    """What a loop over child units looks like: a few ORM queries per child."""
    from django.db.models import Avg

    from elearning.models import CourseProgress
    from organizations.models import Member

    rows = []
    for child in unit.get_children():
        members = Member.objects.filter(unit__path__startswith=child.path, status="active")
        cps = CourseProgress.objects.filter(
            course_id=assignment.course_id, member__in=members.values("pk")
        )
        rows.append(
            (
                child.pk,
                members.count(),
                cps.filter(started_at__isnull=False).count(),
                cps.filter(completed_at__isnull=False).count(),
                cps.aggregate(a=Avg("best_score"))["a"],
            )
        )
    return rows


def bench_reports(data) -> dict:
    from django.contrib.auth import get_user_model

    from elearning.models import Assignment
    from elearning.reports import selectors as reports
    from organizations.models import Member, OrgUnit

    root = data["root"]
    assignment = (
        Assignment.objects.filter(course=data["courses"][0])
        .select_related("course", "audience_unit")
        .first()
    )
    admin = get_user_model()(username="bench", is_superuser=True)
    second = (
        OrgUnit.objects.filter(path__startswith=root.path, depth=root.depth + 1)
        .order_by("path")
        .first()
    )
    n_units = OrgUnit.objects.filter(path__startswith=root.path).count()
    n_members = Member.objects.filter(unit__path__startswith=root.path).count()
    n_second = Member.objects.filter(unit__path__startswith=second.path).count()
    children = root.get_children().count()

    def timed(fn, n):
        out = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
        return out

    full = timed(lambda: reports.completion_report(user=admin, assignment=assignment, unit=root), 5)
    sec = timed(
        lambda: reports.completion_report(user=admin, assignment=assignment, unit=second), 20
    )
    naive_full = timed(lambda: naive_report(assignment, root), 2)
    naive_sec = timed(lambda: naive_report(assignment, second), 3)
    rep = reports.completion_report(user=admin, assignment=assignment, unit=root)
    res = {
        "units": n_units,
        "members": n_members,
        "children_of_root": children,
        "second_level_members": n_second,
        "second_level_children": second.get_children().count(),
        "full_median": statistics.median(full),
        "full_max": max(full),
        "second_median": statistics.median(sec),
        "second_p95": _pct(sec, 95),
        "naive_full_median": statistics.median(naive_full),
        "naive_second_median": statistics.median(naive_sec),
        "total_row": rep["total"],
    }
    print(
        f"[report] tree: {n_units} units, {n_members} members, {data['progress_rows']} progress rows"
    )
    print(
        f"[report] full tree: median {_ms(res['full_median'])} (max {_ms(res['full_max'])}); "
        f"naive per-child loop ({children} children): {_ms(res['naive_full_median'])} → "
        f"{res['naive_full_median'] / res['full_median']:.1f}× slower"
    )
    print(
        f"[report] second-level unit ({n_second} members, {res['second_level_children']} children): "
        f"median {_ms(res['second_median'])}, p95 {_ms(res['second_p95'])}; naive "
        f"{_ms(res['naive_second_median'])} → "
        f"{res['naive_second_median'] / res['second_median']:.1f}× slower"
    )
    return res


# --- HTTP helpers -----------------------------------------------------------------------


SERVERS = ("gunicorn", "granian")


class Server:
    """The site under a WSGI server on 127.0.0.1, as production runs it
    (docs/operations.md): gunicorn sync workers, or granian in WSGI mode (one blocking
    thread per worker process, one Rust runtime thread). `env` is added to the workers'
    environment (EHOME_HOT_PATH=0, EHOME_PROGRESS_FAST_PATH=0, … for the baselines)."""

    def __init__(
        self, port: int, workers: int, threads: int = 1, env: dict | None = None, kind="gunicorn"
    ):
        if kind not in SERVERS:
            raise ValueError(f"server {kind!r}: one of {SERVERS}")
        self.port = port
        self.workers = workers
        self.threads = threads
        self.env = env or {}
        self.kind = kind
        self.proc = None

    def command(self) -> list[str]:
        if self.kind == "granian":
            return [
                str(BASE / ".venv/bin/granian"),
                "--interface", "wsgi",
                "--host", "127.0.0.1",
                "--port", str(self.port),
                "--workers", str(self.workers),
                "--blocking-threads", str(self.threads),
                "--runtime-threads", "1",
                "--backlog", "2048",
                "--log-level", "warning",
                "--no-ws",
                "config.wsgi:application",
            ]  # fmt: skip
        return [
            str(BASE / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--threads", str(self.threads),
            "--log-level", "warning",
            "--backlog", "2048",
        ]  # fmt: skip

    def __enter__(self):
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        env["EHOME_LOG_LEVEL"] = "WARNING"
        env["EHOME_THROTTLE_USER"] = "100000/min"
        env.update(self.env)
        self.proc = subprocess.Popen(self.command(), cwd=BASE, env=env)
        for _ in range(200):
            try:
                _http.request("GET", f"http://127.0.0.1:{self.port}", "/healthz", timeout=1)
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            time.sleep(0.5)  # the port free again for the next server


Gunicorn = Server  # the exam burst and bench/engagement.py's default


def config_label(kind: str, env: dict | None) -> str:
    return kind + "".join(f" {k}={v}" for k, v in (env or {}).items())


def _database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def _tokens(members) -> dict[int, str]:
    from rest_framework_simplejwt.tokens import AccessToken

    return {m.pk: str(AccessToken.for_user(m.user)) for m in members}


# --- 3. progress over HTTP --------------------------------------------------------------


def bench_progress_http(
    data,
    *,
    seconds: int,
    threads: int,
    workers: int,
    port: int,
    env: dict | None = None,
    warmup: float = 3.0,
    server: str = "gunicorn",
) -> dict:
    from django.db import connection
    from django.utils import timezone

    from elearning.courses import progress
    from elearning.models import Lesson, LessonProgress, WatchAllowance
    from organizations.models import Member

    lesson = Lesson.objects.filter(course=data["courses"][1]).order_by("sort_order").first()
    members = list(
        Member.objects.filter(unit__path__startswith=data["root"].path)
        .select_related("user", "unit")
        .order_by("?")[: threads * 8]
    )
    LessonProgress.objects.filter(lesson=lesson, member__in=members).delete()
    for m in members:
        progress.progress_open(member=m, lesson=lesson)
    # as if each member had opened the lesson an hour ago (the allowance is wall time)
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    LessonProgress.objects.filter(lesson=lesson, member__in=members).update(opened_at=hour_ago)
    WatchAllowance.objects.filter(member__in=members).update(refilled_at=hour_ago)
    connection.close()
    tokens = _tokens(members)
    path = f"/api/v1/lessons/{lesson.pk}/progress/"
    lat: list[float] = []
    codes: dict[int, int] = {}
    answered = {m.pk: 0 for m in members}  # 200s per member, warm-up included
    lock = threading.Lock()
    stop = measure_from = time.perf_counter() + seconds
    run = uuid.uuid4().hex[:8]

    def worker(idx):
        mine = members[idx::threads]
        pos = {m.pk: 0 for m in mine}
        i = 0
        while time.perf_counter() < stop:
            m = mine[i % len(mine)]
            i += 1
            a = pos[m.pk]
            body = {"event": "intervals", "intervals": [{"from_s": a, "to_s": a + 5, "rate": 1.0}]}
            raw = _http.build(
                "POST",
                "127.0.0.1",
                port,
                path,
                {"Authorization": f"Bearer {tokens[m.pk]}", "Idempotency-Key": f"{run}-{m.pk}-{a}"},
                body,
            )
            t = time.perf_counter()
            r = _http.send("127.0.0.1", port, raw, timeout=10)
            dt_ = time.perf_counter() - t
            pos[m.pk] = a + 5
            with lock:
                answered[m.pk] += r.status == 200
            if t < measure_from:
                continue  # warm-up: every worker, connection and cache busy first
            with lock:
                lat.append(dt_)
                codes[r.status] = codes.get(r.status, 0) + 1

    with Server(port, workers, env=env, kind=server) as srv:
        for m in members[: workers * 2]:  # warm-up
            _http.request(
                "GET", f"http://127.0.0.1:{port}", path,
                headers={"Authorization": f"Bearer {tokens[m.pk]}"},
            )  # fmt: skip
        measure_from = time.perf_counter() + warmup
        stop = measure_from + seconds
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        time.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu = _cpu.CpuSplit(srv.proc.pid, _database_name()).start()
        for t in ts:
            t.join()
        wall = seconds  # requests started in the window, which is this long
        cpu.stop()
    accepted = codes.get(200, 0)
    lost = _lost_reports(lesson, answered, run)
    per = cpu.per_request_ms(len(lat))
    res = {
        "config": config_label(server, env),
        "server": server,
        "requests": len(lat),
        "accepted": accepted,
        "codes": codes,
        "wall": wall,
        "accepted_per_s": accepted / wall,
        "lost": lost,
        "p50": _pct(lat, 50),
        "p99": _pct(lat, 99),
        "threads": threads,
        "workers": workers,
        "members": len(members),
        "cpu_ms_per_request": per,
        "server_cpu": per.get("server", float("nan")),
        "in_all_cpu": _cpu.in_all(per),
        "load": os.getloadavg()[0],
    }
    print(
        f"[progress {res['config']}] {workers} workers, {threads} client threads, "
        f"{len(members)} members, {wall:.0f} s: {accepted} accepted "
        f"({res['accepted_per_s']:.0f}/s), codes {codes}, lost {lost}, p50 {_ms(res['p50'])}, "
        f"p99 {_ms(res['p99'])}; CPU ms per request: server {res['server_cpu']:.2f}, "
        f"in all (server + PostgreSQL + Redis) {res['in_all_cpu']:.2f}, all groups {per}; "
        f"load {res['load']:.1f}"
    )
    return res


def _lost_reports(lesson, answered: dict[int, int], run: str) -> int:
    """Reports answered 200 that the database does not hold: each member's reports were
    disjoint 5-second ranges with their own keys, so its row must count exactly its
    accepted reports, 5 s each, and hold one receipt per report."""
    from django.db.models import Count

    from elearning.models import LessonProgress, ProgressReceipt

    rows = {
        r.member_id: r
        for r in LessonProgress.objects.filter(lesson=lesson, member_id__in=list(answered))
    }
    receipts = dict(
        ProgressReceipt.objects.filter(
            lesson=lesson, member_id__in=list(answered), key__startswith=f"{run}-"
        )
        .values_list("member_id")
        .annotate(n=Count("id"))
    )
    lost = 0
    for member_id, n in answered.items():
        row = rows.get(member_id)
        held = min(row.reports, row.unique_seconds // 5) if row else 0
        lost += max(0, n - min(held, receipts.get(member_id, 0)))
    return lost


def compare_configs(run, configs: list[tuple[str, dict]], rounds: int, tag: str) -> list[dict]:
    """Each (server, env) of `configs` measured by `run(server=…, env=…)`, alternating
    over `rounds` rounds so that all see the same phases of a shared machine; the median
    per config, and each config's ratio to the first."""
    results: dict[str, list[dict]] = {config_label(k, e): [] for k, e in configs}
    for r in range(rounds):
        order = configs if r % 2 == 0 else configs[::-1]
        for kind, env in order:
            results[config_label(kind, env)].append(run(server=kind, env=env))
    summary = []
    for label, runs in results.items():
        summary.append(
            {
                "config": label,
                "runs": runs,
                **{
                    k: statistics.median(x[k] for x in runs)
                    for k in runs[0]
                    if isinstance(runs[0][k], float) and k != "wall"
                },
            }
        )
    base = summary[0]
    for s_ in summary:
        print(
            f"[{tag} median of {rounds}] {s_['config']}: "
            + ", ".join(
                f"{k} {s_[k]:.2f}" + (f" ({s_[k] / base[k]:.2f}× {base['config']})" if s_ is not base and base[k] else "")
                for k in ("server_cpu", "in_all_cpu", "p99", "accepted_per_s", "events_per_s")
                if k in s_
            )
        )  # fmt: skip
    return summary


# --- 3b. progress in-process: the fast path and the store's report forms ------------------


def bench_progress_inprocess(data, *, rounds: int = 8, batch: int = 200) -> dict:
    """CPU per report in one process, alternating batches so both sides see the same
    machine: (a) the fast path vs the DRF view (the whole Django stack, test client),
    (b) the store's one PostgreSQL statement vs its portable locked form (the same
    report, called directly). Over HTTP on a shared 2-core machine a 10 % CPU difference
    drowns in the swings between runs; here it does not."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from elearning.courses import progress
    from elearning.courses import progress_store as store
    from elearning.models import Lesson, LessonProgress, WatchAllowance
    from organizations.models import Member

    lesson = Lesson.objects.filter(course=data["courses"][2]).order_by("sort_order").first()
    members = list(
        Member.objects.filter(unit__path__startswith=data["root"].path)
        .select_related("user", "unit")
        .order_by("id")[5000:5064]
    )
    LessonProgress.objects.filter(lesson=lesson, member__in=members).delete()
    for m in members:
        progress.progress_open(member=m, lesson=lesson)
    long_ago = timezone.now() - dt.timedelta(days=3)
    LessonProgress.objects.filter(lesson=lesson, member__in=members).update(opened_at=long_ago)
    WatchAllowance.objects.filter(member__in=members).update(refilled_at=long_ago, budget=14400)
    tokens = _tokens(members)
    clients = {m.pk: Client(HTTP_AUTHORIZATION=f"Bearer {tokens[m.pk]}") for m in members}
    pos = {m.pk: 0 for m in members}
    run = uuid.uuid4().hex[:8]
    url = f"/api/v1/lessons/{lesson.pk}/progress/"
    fast_setting = settings.EHOME_PROGRESS_FAST_PATH

    def next_range(m):
        a = pos[m.pk]
        pos[m.pk] = a + 2
        return a

    def http_batch(fast: bool) -> float:
        settings.EHOME_PROGRESS_FAST_PATH = fast
        t = time.process_time()
        for i in range(batch):
            m = members[i % len(members)]
            a = next_range(m)
            body = {"event": "intervals", "intervals": [{"from_s": a, "to_s": a + 2}]}
            r = clients[m.pk].post(
                url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"{run}-{m.pk}-{a}"
            )
            assert r.status_code == 200, r.content
        return (time.process_time() - t) / batch

    def store_batch(form) -> tuple[float, float]:
        t, w = time.process_time(), time.perf_counter()
        for i in range(batch):
            m = members[i % len(members)]
            a = next_range(m)
            ranges = [[a * 1000, (a + 2) * 1000]]
            got = form(m, lesson, ranges, f"{run}-s-{m.pk}-{a}", 10**9)
            assert got.outcome == store.ACCEPTED, got
        return (time.process_time() - t) / batch, (time.perf_counter() - w) / batch

    try:
        http_batch(True), http_batch(False)  # warm-up
        fast, drf = [], []
        for _ in range(rounds):
            fast.append(http_batch(True))
            drf.append(http_batch(False))
        store_batch(store._report_statement), store_batch(store._report_locked)
        stmt, locked = [], []
        for _ in range(rounds):
            stmt.append(store_batch(store._report_statement))
            locked.append(store_batch(store._report_locked))
    finally:
        settings.EHOME_PROGRESS_FAST_PATH = fast_setting

    def ms2(seconds: float) -> str:
        return f"{seconds * 1000:.2f} ms"

    res = {
        "fast_cpu": statistics.median(fast),
        "drf_cpu": statistics.median(drf),
        "statement_cpu": statistics.median(x[0] for x in stmt),
        "statement_wall": statistics.median(x[1] for x in stmt),
        "locked_cpu": statistics.median(x[0] for x in locked),
        "locked_wall": statistics.median(x[1] for x in locked),
        "load": os.getloadavg()[0],
    }
    print(
        f"[progress in-process] CPU per report, median of {rounds} × {batch}: fast path "
        f"{ms2(res['fast_cpu'])}, DRF view {ms2(res['drf_cpu'])} → "
        f"{100 * (res['fast_cpu'] - res['drf_cpu']) / res['drf_cpu']:+.0f} %; the report "
        f"in the store, CPU / wall: one statement {ms2(res['statement_cpu'])} / "
        f"{ms2(res['statement_wall'])}, portable locked form {ms2(res['locked_cpu'])} / "
        f"{ms2(res['locked_wall'])} → {res['locked_wall'] / res['statement_wall']:.1f}× the "
        f"wall time; load {res['load']:.1f}"
    )
    return res


def wsgi_environ(method, path, headers: dict, body: bytes) -> dict:
    """The environ a WSGI server hands the application for one request."""
    import io

    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for k, v in headers.items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    return env


def wsgi_call(app, environ) -> int:
    status = []
    response = app(environ, lambda s, h: status.append(s))
    b"".join(response)
    if hasattr(response, "close"):  # optional in WSGI (the progress lane answers a list)
        response.close()
    return int(status[0][:3])


def bench_roads_inprocess(data, *, rounds: int = 8, batch: int = 200, profile: bool = False):
    """CPU per progress report in one process, through the WSGI application as a server
    calls it: the hot road (api.hot_path) vs Django's full stack, alternating batches.
    With `profile`, a cProfile of each road's batches, cumulative, printed."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.utils import timezone

    from api.hot_path import HotPathDispatch, HotPathHandler
    from elearning.courses import progress
    from elearning.models import Lesson, LessonProgress, WatchAllowance
    from organizations.models import Member

    lesson = Lesson.objects.filter(course=data["courses"][3]).order_by("sort_order").first()
    members = list(
        Member.objects.filter(unit__path__startswith=data["root"].path)
        .select_related("user", "unit")
        .order_by("id")[6000:6064]
    )
    LessonProgress.objects.filter(lesson=lesson, member__in=members).delete()
    for m in members:
        progress.progress_open(member=m, lesson=lesson)
    long_ago = timezone.now() - dt.timedelta(days=3)
    LessonProgress.objects.filter(lesson=lesson, member__in=members).update(opened_at=long_ago)
    WatchAllowance.objects.filter(member__in=members).update(refilled_at=long_ago, budget=14400)
    tokens = _tokens(members)
    hot = HotPathHandler()
    roads = {
        "lane": HotPathDispatch(WSGIHandler(), hot, lane=True),
        "hot": hot,
        "full": WSGIHandler(),
    }
    pos = {m.pk: 0 for m in members}
    run = uuid.uuid4().hex[:8]
    path = f"/api/v1/lessons/{lesson.pk}/progress/"
    profiles = {}

    def batch_of(road) -> float:
        app = roads[road]
        envs = []
        for i in range(batch):
            m = members[i % len(members)]
            a = pos[m.pk]
            pos[m.pk] = a + 2
            body = {"event": "intervals", "intervals": [{"from_s": a, "to_s": a + 2}]}
            headers = {
                "Authorization": f"Bearer {tokens[m.pk]}",
                "Idempotency-Key": f"{run}-{m.pk}-{a}",
            }
            envs.append(wsgi_environ("POST", path, headers, json.dumps(body).encode()))
        prof = None
        if profile:
            import cProfile

            prof = profiles.setdefault(road, cProfile.Profile(time.process_time))
            prof.enable()
        t = time.process_time()
        for env in envs:
            assert wsgi_call(app, env) == 200
        took = (time.process_time() - t) / batch
        if prof is not None:
            prof.disable()
        return took

    order = ("lane", "hot", "full")
    for road in order:
        batch_of(road)  # warm-up (the lane learns its headers)
    out = {road: [] for road in order}
    for r in range(rounds):
        for road in order if r % 2 == 0 else order[::-1]:
            out[road].append(batch_of(road))
    lane, hot, full = (statistics.median(out[road]) for road in order)
    print(
        f"[progress roads in-process] CPU per report through the WSGI app, median of "
        f"{rounds} × {batch}: lane {lane * 1000:.3f} ms, hot road {hot * 1000:.3f} ms, "
        f"full stack {full * 1000:.3f} ms → lane {100 * (lane - full) / full:+.0f} %, "
        f"hot {100 * (hot - full) / full:+.0f} %; load {os.getloadavg()[0]:.1f}"
    )
    if profile:
        import pstats

        for road, prof in profiles.items():
            print(f"--- profile, {road} road (cumulative) ---")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(70)
    return {"lane_cpu": lane, "hot_cpu": hot, "full_cpu": full, "load": os.getloadavg()[0]}


# --- 4. exam burst ----------------------------------------------------------------------


def bench_exam_burst(data, *, n: int, threads: int, workers: int, port: int) -> dict:
    from django.db import connection

    from elearning.models import Attempt, Exam, ExamRule, Question
    from organizations.models import Member

    root = data["root"]
    if Question.objects.filter(category="压测题库").count() < 40:
        Question.objects.bulk_create(
            [
                Question(
                    type="single",
                    stem=f"压测题 {i}",
                    options=[{"key": k, "text": k} for k in "ABCD"],
                    answer=["A"],
                    category="压测题库",
                    owner_unit=root,
                )
                for i in range(40)
            ]
        )
    exam = Exam.objects.create(
        title=f"压测考试 {uuid.uuid4().hex[:6]}",
        audience_unit=root,
        time_limit_minutes=30,
        attempts_allowed=1,
        is_published=True,
    )
    ExamRule.objects.create(exam=exam, category="压测题库", count=20, points=5)
    members = list(
        Member.objects.filter(unit__path__startswith=root.path)
        .select_related("user", "unit")
        .order_by("?")[:n]
    )
    connection.close()
    tokens = _tokens(members)
    lat_start: list[float] = []
    lat_submit: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    base = f"http://127.0.0.1:{port}"

    def note(kind, code):
        with lock:
            errors[f"{kind}:{code}"] = errors.get(f"{kind}:{code}", 0) + 1

    def one(m, dup):
        h = {"Authorization": f"Bearer {tokens[m.pk]}"}
        t = time.perf_counter()
        r = _http.request("POST", base, f"/api/v1/exams/{exam.pk}/attempts/", headers=h)
        with lock:
            lat_start.append(time.perf_counter() - t)
        if r.status_code != 201:
            note("start", r.status_code)
            return
        att = r.json()
        answers = {str(q["id"]): q["options"][0]["key"] for q in att["questions"]}
        key = uuid.uuid4().hex

        def submit():
            t2 = time.perf_counter()
            s = _http.request(
                "POST",
                base,
                f"/api/v1/attempts/{att['id']}/submit/",
                json_body={"answers": answers},
                headers={**h, "Idempotency-Key": key},
            )
            with lock:
                lat_submit.append(time.perf_counter() - t2)
            if s.status_code != 200:
                note("submit", s.status_code)

        if dup:  # the same submit twice at once, as a phone retrying on a flaky link
            th = threading.Thread(target=submit)
            th.start()
            submit()
            th.join()
        else:
            submit()

    def worker(idx):
        for j, m in enumerate(members[idx::threads]):
            one(m, dup=(j % 10 == 0))

    with Server(port, workers):
        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.perf_counter() - t0
    attempts = Attempt.objects.filter(exam=exam)
    submitted = attempts.filter(status="submitted").count()
    double = attempts.filter(grade_count__gt=1).count()
    ungraded = attempts.filter(score__isnull=True).count()
    server_errors = sum(v for k, v in errors.items() if k.split(":")[1].startswith("5"))
    res = {
        "members": n,
        "wall": wall,
        "attempts": attempts.count(),
        "submitted": submitted,
        "lost": n - submitted,
        "double_graded": double,
        "ungraded": ungraded,
        "errors": errors,
        "server_errors": server_errors,
        "start_p50": _pct(lat_start, 50),
        "start_p99": _pct(lat_start, 99),
        "submit_p50": _pct(lat_submit, 50),
        "submit_p99": _pct(lat_submit, 99),
        "duplicate_submits": sum(len(members[k::threads][::10]) for k in range(threads)),
    }
    print(
        f"[exam] {n} members start+submit in {wall:.0f} s ({threads} threads, {workers} workers): "
        f"submitted {submitted}, lost {res['lost']}, double-graded {double}, "
        f"server errors {server_errors}, other codes {errors}; start p50 {_ms(res['start_p50'])} "
        f"p99 {_ms(res['start_p99'])}; submit p50 {_ms(res['submit_p50'])} "
        f"p99 {_ms(res['submit_p99'])}"
    )
    return res


# --- 5. leaderboards --------------------------------------------------------------------


def bench_leaderboards(data, *, repeat: int = 50) -> dict:
    """Contest and study-points leaderboards with every member of the tree ranked: the
    top 20 plus "my rank" for the best, a middle and the last member — each an index scan
    plus one COUNT of better rows. Baseline in the same run: rank by scanning all results
    (``ROW_NUMBER() OVER (ORDER BY …)`` over every row, the naive "aggregate per request")."""
    import statistics as st

    from django.db import connection
    from django.utils import timezone

    from elearning.contests import selectors
    from elearning.models import Contest, ContestBest, ContestUnitScore, PointBalance
    from organizations.models import Member, OrgUnit

    root = data["root"]
    contest = Contest.objects.filter(title="压测竞赛").first()
    rng = random.Random(7)
    if contest is None:
        now = timezone.now()
        contest = Contest.objects.create(
            title="压测竞赛", audience_unit=root, starts_at=now, ends_at=now + dt.timedelta(days=30),
            is_published=True,
        )  # fmt: skip
        members = list(
            Member.objects.filter(unit__path__startswith=root.path).values_list(
                "id", "unit_id", "unit__path"
            )
        )
        t = time.perf_counter()
        with (
            connection.cursor() as cur,
            cur.cursor.copy(
                "COPY elearning_contestbest (contest_id, member_id, unit_id, score, elapsed_ms) "
                "FROM STDIN"
            ) as copy,
        ):
            for mid, uid, _path in members:
                copy.write_row(
                    (contest.pk, mid, uid, rng.randint(0, 100), rng.randint(5_000, 600_000))
                )
        totals: dict = {}
        for _mid, uid, _path in members:
            totals[uid] = totals.get(uid, 0) + 1
        ContestUnitScore.objects.bulk_create(
            [
                ContestUnitScore(contest=contest, unit_id=u, participants=n, total_score=n * 50 + rng.randint(0, 99))
                for u, n in totals.items()
            ],
            batch_size=5000,
        )  # fmt: skip
        PointBalance.objects.all().delete()
        with (
            connection.cursor() as cur,
            cur.cursor.copy(
                "COPY elearning_pointbalance (member_id, unit_path, total) FROM STDIN"
            ) as copy,
        ):
            for mid, _uid, path in members:
                copy.write_row((mid, path, rng.randint(0, 5_000)))
        with connection.cursor() as cur:
            for table in (
                "elearning_contestbest",
                "elearning_contestunitscore",
                "elearning_pointbalance",
            ):
                cur.execute(f"VACUUM ANALYZE {table}")
        print(
            f"[leaderboard] {len(members)} contest results and point balances in {time.perf_counter() - t:.0f} s"
        )

    ranked = list(
        ContestBest.objects.filter(contest=contest)
        .order_by("-score", "elapsed_ms")
        .values_list("member_id", flat=True)
    )
    picks = {"first": ranked[0], "middle": ranked[len(ranked) // 2], "last": ranked[-1]}
    by_id = Member.objects.select_related("unit").in_bulk(list(picks.values()))
    committee = OrgUnit.objects.filter(path__startswith=root.path, depth=root.depth + 1).first()

    def timed(fn):
        fn()
        out = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return st.median(out)

    res = {}
    for label, mid in picks.items():
        m = by_id[mid]
        res[f"contest_{label}"] = timed(
            lambda m=m: selectors.contest_leaderboard(contest=contest, member=m)
        )
        res[f"points_root_{label}"] = timed(
            lambda m=m: selectors.points_leaderboard(unit=root, member=m)
        )
    last = by_id[picks["last"]]
    if committee is not None and last.unit.path.startswith(committee.path):
        res["points_committee_last"] = timed(
            lambda: selectors.points_leaderboard(unit=committee, member=last)
        )

    def naive():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT r FROM (SELECT member_id, ROW_NUMBER() OVER (ORDER BY score DESC, elapsed_ms) r "
                "FROM elearning_contestbest WHERE contest_id = %s) x WHERE member_id = %s",
                [contest.pk, picks["last"]],
            )
            cur.fetchone()

    res["naive_contest_rank_last"] = (
        timed(
            naive,
        )
        if repeat
        else 0
    )
    print(
        f"[leaderboard] {len(ranked)} ranked; contest top 20 + my rank (median of {repeat}): "
        + ", ".join(f"{k[8:]} {_ms(v)}" for k, v in res.items() if k.startswith("contest_"))
        + f"; naive full ranking for the last member {_ms(res['naive_contest_rank_last'])}; "
        + "points (root subtree) "
        + ", ".join(f"{k[12:]} {_ms(v)}" for k, v in res.items() if k.startswith("points_root_"))
        + (f", committee subtree last {_ms(res['points_committee_last'])}" if "points_committee_last" in res else "")
    )  # fmt: skip
    return res


def configs_from(args) -> list[tuple[str, dict]]:
    """(server, env) for each of --servers × --roads, the first being the baseline."""
    roads = {
        "hot": {},
        "nolane": {"EHOME_PROGRESS_LANE": "0"},
        "full": {"EHOME_HOT_PATH": "0"},
    }
    out = []
    for kind in args.servers.split(","):
        if kind not in SERVERS:
            sys.exit(f"--servers: {kind!r} is not one of {SERVERS}")
        for road in args.roads.split(","):
            if road not in roads:
                sys.exit(f"--roads: {road!r} is not one of {tuple(roads)}")
            out.append((kind, dict(roads[road])))
    return out


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="bench learning")
    p.add_argument("--units", type=int, default=8000)
    p.add_argument("--members", type=int, default=140000)
    p.add_argument("--courses", type=int, default=10)
    p.add_argument("--skip-reports", action="store_true")
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--skip-exam", action="store_true")
    p.add_argument("--skip-leaderboards", action="store_true")
    p.add_argument("--http-seconds", type=int, default=20)
    # progress reports saturate 2 cores with 2 sync workers; more only add switching
    p.add_argument("--progress-workers", type=int, default=2)
    p.add_argument("--progress-threads", type=int, default=16)
    p.add_argument("--skip-progress-baseline", action="store_true")
    p.add_argument(
        "--servers",
        default="gunicorn",
        help=f"comma-separated, compared in the same run: {','.join(SERVERS)}",
    )
    p.add_argument(
        "--roads",
        default="hot",
        help="comma-separated: hot (api.hot_path with the progress lane, the default), "
        "nolane (the hot road without it: EHOME_PROGRESS_LANE=0), full (EHOME_HOT_PATH=0)",
    )
    p.add_argument("--rounds", type=int, default=1, help="alternating rounds per config")
    p.add_argument("--skip-inprocess", action="store_true")
    p.add_argument(
        "--profile-roads", action="store_true", help="cProfile the in-process road comparison"
    )
    p.add_argument("--threads", type=int, default=32)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--exam-members", type=int, default=2000)
    p.add_argument("--port", type=int, default=8765)
    args = p.parse_args(argv)
    _setup()
    print(f"machine: nproc={os.cpu_count()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    data = ensure_data(args.units, args.members, args.courses)
    if not args.skip_reports:
        bench_reports(data)
    if not args.skip_http:
        size = {"threads": args.progress_threads, "workers": args.progress_workers}
        configs = configs_from(args)
        if not args.skip_progress_baseline:
            # baselines in the same run: the DRF view for every report, then that with
            # the statements unprepared too (the request path before both changes)
            kind = configs[0][0]
            configs += [
                (kind, {"EHOME_HOT_PATH": "0", "EHOME_PROGRESS_FAST_PATH": "0"}),
                (
                    kind,
                    {
                        "EHOME_HOT_PATH": "0",
                        "EHOME_PROGRESS_FAST_PATH": "0",
                        "EHOME_DB_PREPARE": "0",
                    },
                ),
            ]

        def run(server, env):
            return bench_progress_http(
                data, seconds=args.http_seconds, port=args.port, env=env, server=server, **size
            )

        compare_configs(run, configs, args.rounds, "progress")
    if not args.skip_inprocess:
        bench_roads_inprocess(data, profile=args.profile_roads)
        bench_progress_inprocess(data)
    if not args.skip_exam:
        bench_exam_burst(
            data, n=args.exam_members, threads=args.threads, workers=args.workers, port=args.port
        )
    if not args.skip_leaderboards:
        bench_leaderboards(data)
    print("→ docs/benchmarks.md, section “Academy”")
