"""Supervision at production scale (docs/benchmarks.md, "## Supervision (#21)").

`python -m bench supervision [-- --db ehome_bench_supervision --units 8000 --members 140000
--repeat 20]`

Needs PostgreSQL: the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432)
gets the database named by `--db`, dropped and recreated (`--keep` reuses it when it
already holds the data). Then:
1. `generate_org` (the tree and members, bench/org.py's generator);
2. one year of organisation life, generated inside PostgreSQL by set-based
   INSERT … SELECT (≈ 200,000 meetings, ≈ 2,000,000 ledger reports, ≈ 24,000
   rectifications), then the panels' per-unit roll-ups recounted from them
   (`supervision_tallies_rebuild`) — timed together, target ≤ 2 min;
3. each dashboard panel's roll-up (meeting compliance, ledger completion, rectification)
   for the whole tree and for a second-level subtree, median of `--repeat` runs — one SQL
   query each — against the naive per-unit loop measured in the same run (targets: whole
   tree ≤ 1 s, second level ≤ 100 ms).
The learning panel is the academy's completion report (bench/learning.py measures it)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2026


def _urls(db: str) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/supervision.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{db}"))


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="bench supervision")
    p.add_argument("--db", default="ehome_bench_supervision", help="bench database name")
    p.add_argument("--units", type=int, default=8000)
    p.add_argument("--members", type=int, default=140000)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--keep", action="store_true", help="reuse the database if it has the data")
    p.add_argument("--stage", choices=["generate", "measure"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.stage == "generate":
        print(json.dumps(_generate()))
        return
    if args.stage == "measure":
        print(json.dumps(_measure(args.repeat)))
        return
    admin_url, bench_url = _urls(args.db)
    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_DEBUG": "0"}
    env.pop("EHOME_TASKS_IMMEDIATE", None)
    py = sys.executable
    org_s = None
    if not (args.keep and _has_data(bench_url)):
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.db}"')
        print(f"database {args.db}: migrate …", flush=True)
        subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([py, "manage.py", "ehome_setup"], cwd=ROOT, env=env, check=True)
        t = time.perf_counter()
        subprocess.run(
            [
                py,
                "manage.py",
                "generate_org",
                "--units",
                str(args.units),
                "--members",
                str(args.members),
                "--no-progress",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        org_s = time.perf_counter() - t
        print(f"generate_org: {org_s:.1f} s", flush=True)
        t = time.perf_counter()
        out = _stage(py, env, "generate")
        gen = json.loads(out)
        gen["wall_s"] = time.perf_counter() - t
        print(f"supervision data: {gen}", flush=True)
    else:
        gen = None
    res = json.loads(_stage(py, env, "measure", "--repeat", str(args.repeat)))
    _report(args, org_s, gen, res)


def _stage(py, env, stage, *extra) -> str:
    out = subprocess.run(
        [py, "-m", "bench", "supervision", "--", "--stage", stage, *extra],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def _has_data(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM supervision_ledgerreport").fetchone()[0] > 0
    except psycopg.Error:
        return False


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _generate() -> dict:
    """One year of meetings, ledger reports and rectifications, set-based in SQL."""
    _setup()
    from django.db import connection, transaction

    from supervision.services import setup_ensure

    setup_ensure()
    m0 = YEAR * 12
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT setseed(0.21)")
        # meetings: every rule × month of the year, held with probability 0.65 (a quarterly
        # rule in its quarter's middle month); times on the unit's clock
        cur.execute(
            f"""
            INSERT INTO supervision_meeting
              (unit_id, kind, title, starts_at, ends_at, local_date, local_month, place,
               online_link, agenda, lecturer, topic, status, minutes, minutes_filed_at,
               minutes_late, invited_count, present_count, created_at)
            SELECT u.id, r.kind, '组织生活', s.t AT TIME ZONE u.timezone,
                   (s.t + interval '90 minutes') AT TIME ZONE u.timezone,
                   s.t::date, {m0} + g.m, '会议室', '', '', '', '',
                   CASE WHEN random() < 0.95 THEN 'held' ELSE 'scheduled' END, '记录',
                   (s.t + interval '2 days') AT TIME ZONE u.timezone, random() < 0.05,
                   n.inv, (n.inv * (0.6 + random() * 0.4))::int, now()
            FROM organizations_orgunit u
            JOIN supervision_compliancerule r ON r.unit_kind = u.kind
            CROSS JOIN generate_series(0, 11) AS g(m)
            CROSS JOIN LATERAL (SELECT make_timestamp({YEAR}, g.m + 1,
                                  1 + (random() * 26)::int, 9 + (random() * 8)::int, 0, 0) AS t) s
            CROSS JOIN LATERAL (SELECT 8 + (random() * 20)::int AS inv) n
            WHERE (r.period_months = 1 OR g.m % 3 = 1) AND random() < 0.65
            """
        )
        meetings = cur.rowcount
        # ledger: every applicable item × its periods of the year, reported with p = 0.9
        cur.execute(
            f"""
            WITH periods(kind, key) AS (
                SELECT 'month', '{YEAR}-' || lpad(g::text, 2, '0') FROM generate_series(1, 12) g
                UNION ALL SELECT 'quarter', '{YEAR}-Q' || g FROM generate_series(1, 4) g
                UNION ALL SELECT 'year', '{YEAR}'
            )
            INSERT INTO supervision_ledgerreport
              (unit_id, item_id, period, status, text, submitted_at, reviewed_at, return_reason)
            SELECT u.id, i.id, p.key,
                   (ARRAY['accepted', 'accepted', 'accepted', 'submitted', 'returned'])
                     [1 + (random() * 4)::int],
                   '已完成', now(), NULL, ''
            FROM organizations_orgunit u
            JOIN supervision_ledgeritem i
              ON (u.kind = 'branch' AND i.for_branch) OR (u.kind = 'committee' AND i.for_committee)
              OR (u.kind = 'general_branch' AND i.for_general_branch)
            JOIN periods p ON p.kind = i.period
            WHERE random() < 0.9
            """
        )
        ledger = cur.rowcount
        # rectifications: three per unit, handed down by the parent
        cur.execute(
            f"""
            INSERT INTO supervision_rectification
              (unit_id, issued_by_unit_id, title, description, category, source, deadline,
               responsible_person, status, measures, evidence_text, return_reason,
               escalation_level, created_at, closed_on, closed_at, closed_on_time, close_seconds)
            SELECT u.id, COALESCE(p.id, u.id), '问题', '描述', '组织生活', 'upper',
                   d.deadline, '责任人', s.status, '', '', '', 0, d.created,
                   CASE WHEN s.status = 'closed' THEN d.closed::date END,
                   CASE WHEN s.status = 'closed' THEN d.closed END,
                   CASE WHEN s.status = 'closed' THEN d.closed::date <= d.deadline END,
                   CASE WHEN s.status = 'closed'
                        THEN extract(epoch FROM d.closed - d.created)::bigint END
            FROM organizations_orgunit u
            LEFT JOIN organizations_orgunit p
              ON p.path = substr(u.path, 1, length(u.path) - 4) AND u.depth > 1
            CROSS JOIN generate_series(1, 3) g
            CROSS JOIN LATERAL (
                SELECT make_timestamptz({YEAR}, 1 + (random() * 10)::int, 1 + (random() * 27)::int,
                                        3, 0, 0, 'UTC') AS created) c
            CROSS JOIN LATERAL (
                SELECT c.created AS created,
                       (c.created + (10 + random() * 60) * interval '1 day')::date AS deadline,
                       c.created + (3 + random() * 80) * interval '1 day' AS closed) d
            CROSS JOIN LATERAL (
                SELECT (ARRAY['closed', 'closed', 'open', 'replied', 'returned'])
                         [1 + (random() * 4)::int] AS status) s
            """
        )
        rect = cur.rowcount
    sql_s = time.perf_counter() - t0
    # the bulk INSERTs bypass the services: the panels' roll-ups are recounted once
    from supervision.tallies.services import tallies_rebuild

    t1 = time.perf_counter()
    tallies = tallies_rebuild()
    rebuild_s = time.perf_counter() - t1
    with connection.cursor() as cur:
        for table in (
            "supervision_meeting",
            "supervision_ledgerreport",
            "supervision_rectification",
            "supervision_meetingtally",
            "supervision_ledgertally",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")
    return {
        "meetings": meetings,
        "ledger_reports": ledger,
        "rectifications": rect,
        "tally_rows": tallies,
        "insert_s": round(sql_s, 1),
        "rebuild_s": round(rebuild_s, 1),
        "total_s": round(time.perf_counter() - t0, 1),
    }


def _timed(fn, repeat: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(
        [
            q
            for q in ctx.captured_queries
            if not q["sql"].startswith(("SET LOCAL", "SAVEPOINT", "RELEASE"))
        ]
    )
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), queries


def _measure(repeat: int) -> dict:
    _setup()
    from organizations.models import OrgUnit
    from supervision.common import period_parse
    from supervision.ledger.selectors import ledger_grid, ledger_naive
    from supervision.meetings.selectors import compliance_naive, compliance_report
    from supervision.rectification.selectors import rectification_naive, rectification_report

    root = OrgUnit.objects.get(code="S")
    seconds = list(OrgUnit.objects.filter(path__startswith=root.path, depth=2).order_by("path"))
    second = seconds[min(3, len(seconds) - 1)]
    quarter, year = period_parse(f"{YEAR}-Q2"), period_parse(str(YEAR))
    panels = {
        "meetings (year)": (
            lambda u: compliance_report(unit=u, period=year),
            lambda u: compliance_naive(unit=u, period=year),
        ),
        "meetings (quarter)": (
            lambda u: compliance_report(unit=u, period=quarter),
            lambda u: compliance_naive(unit=u, period=quarter),
        ),
        "ledger (year)": (
            lambda u: ledger_grid(unit=u, period=year, by_item=False),
            lambda u: ledger_naive(unit=u, period=year),
        ),
        "ledger grid by item (quarter)": (
            lambda u: ledger_grid(unit=u, period=quarter),
            lambda u: ledger_naive(unit=u, period=quarter),
        ),
        "rectification (year)": (
            lambda u: rectification_report(unit=u, period=year),
            lambda u: rectification_naive(unit=u),
        ),
    }
    out = {"second_units": second.get_descendant_count() + 1}
    for name, (fast, naive) in panels.items():
        for label, unit, base_repeat in (("whole tree", root, 1), ("second level", second, 3)):
            ms, q = _timed(lambda unit=unit, f=fast: f(unit), repeat)
            base_ms, base_q = _timed(lambda unit=unit, f=naive: f(unit), base_repeat)
            out[f"{name}|{label}"] = {"ms": ms, "q": q, "base_ms": base_ms, "base_q": base_q}
    from django.db import connection

    with connection.cursor() as cur:
        for t in ("supervision_meeting", "supervision_ledgerreport", "supervision_rectification"):
            cur.execute(f"SELECT count(*) FROM {t}")
            out[t] = cur.fetchone()[0]
    return out


def _report(args, org_s, gen, res) -> None:
    load = os.getloadavg()
    print(
        f"\n## Supervision (#21) — {args.units} units, {args.members} members, nproc={os.cpu_count()}"
    )
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"rows: meetings {res['supervision_meeting']}, ledger reports "
        f"{res['supervision_ledgerreport']}, rectifications {res['supervision_rectification']}"
    )
    if org_s is not None:
        print(f"generate_org: {org_s:.1f} s")
    if gen is not None:
        print(
            f"supervision data: {gen['total_s']} s in SQL ({gen['insert_s']} s INSERTs, "
            f"{gen['rebuild_s']} s roll-up rebuild; {gen['wall_s']:.1f} s wall with "
            "Django start-up; target ≤ 120 s)"
        )
    print(
        "| panel | scope | one query | median | naive per-unit loop | baseline | ratio | target |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for key, r in res.items():
        if "|" not in key:
            continue
        name, label = key.split("|")
        target = 1000 if label == "whole tree" else 100
        scope = label if label == "whole tree" else f"second level ({res['second_units']} units)"
        print(
            f"| {name} | {scope} | {r['q']} queries | {r['ms']:.1f} ms | {r['base_q']} queries "
            f"| {r['base_ms']:.0f} ms | {r['base_ms'] / r['ms']:.0f}× "
            f"| ≤ {target} ms {'met' if r['ms'] <= target else 'NOT met'} |"
        )
