"""Organisation at production scale (docs/benchmarks.md, "## Organisation").

`python -m bench org [-- --units 8000 --members 140000 --repeat 200 --db-name ehome_bench_org]`

Needs PostgreSQL: the database named by DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432) gets a dedicated database (`--db-name`, default
`ehome_bench_org`, or EHOME_BENCH_ORG_DB), dropped and recreated. Then:
1. `generate_org` at full size, timed (target ≤ 60 s);
2. median latency of the subtree member count and of "is unit X's content visible to
   member M" — each one SQL query — against naive baselines measured in the same run
   (walking the subtree unit by unit; loading the audience's descendants into Python)."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "ehome_bench_org"


def _urls(db_name: str = BENCH_DB) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/org.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{db_name}"))
    return admin, bench


def _recreate(admin_url: str, db_name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench org")
    parser.add_argument("--units", type=int, default=8000)
    parser.add_argument("--members", type=int, default=140000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--db-name",
        default=os.environ.get("EHOME_BENCH_ORG_DB", BENCH_DB),
        help="the PostgreSQL database to drop, recreate and fill",
    )
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_only:
        print(json.dumps(_measure(args.repeat)))
        return
    if not args.db_name.replace("_", "").isalnum():
        sys.exit("--db-name: letters, digits and underscores only")
    admin_url, bench_url = _urls(args.db_name)
    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_DEBUG": "0"}
    env.pop("EHOME_TASKS_IMMEDIATE", None)
    py = sys.executable
    print(f"database {args.db_name}: recreate and migrate …", flush=True)
    _recreate(admin_url, args.db_name)
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    cmd = [
        py,
        "manage.py",
        "generate_org",
        "--units",
        str(args.units),
        "--members",
        str(args.members),
    ]
    start = time.perf_counter()
    done = subprocess.run(
        [*cmd, "--no-progress"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    generate_s = time.perf_counter() - start
    print(done.stdout.strip(), flush=True)  # the command's own timing, without start-up
    out = subprocess.run(
        [py, "-m", "bench", "org", "--", "--measure-only", "--repeat", str(args.repeat)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    results = json.loads(out.strip().splitlines()[-1])
    _report(args, generate_s, results)


def _timed(fn, repeat: int) -> tuple[float, int]:
    """(median ms, queries per call)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), len(ctx.captured_queries)


def _measure(repeat: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    from organizations.models import Member, OrgUnit
    from organizations.selectors import audience_paths_for_member, subtree_member_total

    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # generate_org vacuums its tables; the rest get statistics
    rng = random.Random(7)
    root = OrgUnit.objects.get(code="S")
    committees = list(OrgUnit.objects.filter(path__startswith=root.path, depth=2).order_by("path"))
    committee = committees[min(3, len(committees) - 1)]
    generals = list(
        OrgUnit.objects.filter(path__startswith=committee.path, depth=3).order_by("path")
    )
    general = generals[min(2, len(generals) - 1)]
    res: dict = {}

    def naive_total(unit):
        total = 0
        for u in [unit, *unit.get_descendants()]:
            total += Member.objects.filter(unit=u, status="active").count()
        return total

    for label, unit, base_repeat in (
        ("root", root, 1),
        ("committee", committee, 5),
        ("general_branch", general, 20),
    ):
        assert naive_total(unit) == subtree_member_total(unit)
        ms, q = _timed(lambda unit=unit: subtree_member_total(unit), repeat)
        base_ms, base_q = _timed(lambda unit=unit: naive_total(unit), base_repeat)
        res[f"count_{label}"] = {
            "units": unit.get_descendant_count() + 1,
            "members": subtree_member_total(unit),
            "ms": ms,
            "queries": q,
            "baseline_ms": base_ms,
            "baseline_queries": base_q,
        }

    ids = list(Member.objects.filter(unit__path__startswith=root.path).values_list("pk", flat=True))
    members = list(Member.objects.select_related("unit").filter(pk__in=rng.sample(ids, 200)))
    units = list(OrgUnit.objects.filter(path__startswith=root.path, depth__lte=3))
    pairs = []
    for m in members:  # half the audiences reach the member (an ancestor), half do not
        anc = [u for u in units if m.unit.path.startswith(u.path)]
        pairs.append((m, rng.choice(anc), True))
        pairs.append((m, rng.choice(units), None))

    def visible(m, aud_id):  # the rule in organizations.selectors: one indexed IN
        return OrgUnit.objects.filter(pk=aud_id, path__in=audience_paths_for_member(m)).exists()

    def naive_visible(m, aud):  # load the audience's subtree and look for the member's unit
        return m.unit_id in set(aud.get_descendants().values_list("pk", flat=True)) | {aud.pk}

    for m, aud, expect in pairs:
        got = visible(m, aud.pk)
        assert got == naive_visible(m, aud) and (expect is None or got is expect)
    fast, slow, queries = [], [], 0
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    for _ in range(max(1, repeat // 100)):
        for m, aud, _expect in pairs:
            t = time.perf_counter()
            with CaptureQueriesContext(conn) as ctx:
                visible(m, aud.pk)
            fast.append((time.perf_counter() - t) * 1000)
            queries = max(queries, len(ctx.captured_queries))
    for m, aud, _expect in pairs[:100]:
        t = time.perf_counter()
        naive_visible(m, aud)
        slow.append((time.perf_counter() - t) * 1000)
    res["visible"] = {
        "pairs": len(pairs),
        "ms": statistics.median(fast),
        "queries": queries,
        "baseline_ms": statistics.median(slow),
        "baseline_mean_ms": statistics.fmean(slow),
    }
    return res


def _report(args, generate_s: float, res: dict) -> None:
    print(f"\n## Organisation — {args.units} units, {args.members} members, nproc={os.cpu_count()}")
    print(f"generate_org: {generate_s:.1f} s wall including Django start-up (target ≤ 60 s)")
    print("| check | scope | one query | median | naive baseline | baseline median | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for key in ("count_root", "count_committee", "count_general_branch"):
        r = res[key]
        print(
            f"| subtree member count | {key[6:]} ({r['units']} units, {r['members']} members) "
            f"| {r['queries']} query | {r['ms']:.2f} ms | {r['baseline_queries']} queries "
            f"| {r['baseline_ms']:.1f} ms | {r['baseline_ms'] / r['ms']:.0f}× |"
        )
    v = res["visible"]
    print(
        f"| is visible to member | {v['pairs']} member/audience pairs | {v['queries']} query "
        f"| {v['ms']:.2f} ms | subtree ids into Python | {v['baseline_ms']:.1f} ms "
        f"(mean {v['baseline_mean_ms']:.1f}) | {v['baseline_ms'] / v['ms']:.1f}× |"
    )
