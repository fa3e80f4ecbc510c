"""Read receipts at production scale (docs/benchmarks.md, "## Publications").

`python -m bench documents [-- --units 8000 --members 140000 --repeat 20 --db-name ehome_bench_documents]`

Needs PostgreSQL (DATABASE_URL's server): the database `--db-name` is dropped, recreated,
migrated and filled by `generate_org`; one document is addressed to the whole tree and
60 % of the members (by a hash of the id, spread over every unit) get a receipt. Then the receipt report
(`publications.documents.selectors.receipt_report`, one query per report) is timed for
the root, a committee (second level) and a general branch, against the naive report in
the same run: two COUNT queries per child unit. Target (#22): ≤ 1 s per level."""

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


def _args(argv):
    p = argparse.ArgumentParser(prog="bench documents")
    p.add_argument("--units", type=int, default=8000)
    p.add_argument("--members", type=int, default=140000)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument(
        "--db-name", default=os.environ.get("EHOME_BENCH_DOCUMENTS_DB", "ehome_bench_documents")
    )
    p.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _args(argv)
    if args.measure_only:
        print(json.dumps(_measure(args.repeat)))
        return
    if not args.db_name.replace("_", "").isalnum():
        sys.exit("--db-name: letters, digits and underscores only")
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench documents needs PostgreSQL: set DATABASE_URL=postgres://…")
    admin = urlunsplit(parts._replace(path="/postgres"))
    url = urlunsplit(parts._replace(path=f"/{args.db_name}"))
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0"}
    env.pop("REDIS_URL", None)
    py = sys.executable
    print(f"database {args.db_name}: migrate, generate_org …", flush=True)
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
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
    out = subprocess.run(
        [py, "-m", "bench", "documents", "--", "--measure-only", "--repeat", str(args.repeat)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    res = json.loads(out.strip().splitlines()[-1])
    load = os.getloadavg()
    print(f"\n## Publications — read receipts, {args.units} units, {args.members} members")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, nproc {os.cpu_count()}")
    print("| level | units | audience | report (1 query) | naive per-unit | ratio | target ≤ 1 s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in res:
        print(
            f"| {r['level']} | {r['children']} child units | {r['members']} members "
            f"| {r['ms']:.1f} ms ({r['queries']} queries) | {r['baseline_ms']:.1f} ms "
            f"({r['baseline_queries']} queries) | {r['baseline_ms'] / r['ms']:.1f}× "
            f"| {'met' if r['ms'] <= 1000 else 'NOT met'} |"
        )


def _timed(fn, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return result, statistics.median(samples), len(ctx.captured_queries)


def _measure(repeat: int) -> list[dict]:
    import datetime as dt

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    from organizations.models import Member, OrgUnit
    from publications.documents.models import Document, DocumentReceipt
    from publications.documents.selectors import audience_members, receipt_report

    root = OrgUnit.get_first_root_node()
    doc = Document.objects.create(
        title="关于开展学习的通知",
        number="基准〔2026〕1号",
        issuing_unit=root,
        audience_unit=root,
        issued_on=dt.date(2026, 12, 1),
        is_published=True,
    )
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {DocumentReceipt._meta.db_table} (document_id, member_id, read_at) "
            f"SELECT %s, id, now() FROM {Member._meta.db_table} "
            "WHERE abs(hashtext(id::text)) %% 10 < 6",
            [doc.pk],
        )
        cur.execute("ANALYZE")
    committee = OrgUnit.objects.filter(depth=2).order_by("path")[3]
    general = OrgUnit.objects.filter(depth=3, path__startswith=committee.path).order_by("path")[0]

    def naive(unit):
        rows = []
        for child in [unit, *unit.get_children()]:
            own = child.pk == unit.pk
            members = audience_members(doc).filter(
                **({"unit": child} if own else {"unit__path__startswith": child.path})
            )
            rows.append((members.count(), members.filter(document_receipts__document=doc).count()))
        return rows

    out = []
    for level, unit, base_repeat in (
        ("root", root, 1),
        ("committee", committee, 3),
        ("general branch", general, 10),
    ):
        rows, ms, q = _timed(lambda unit=unit: receipt_report(doc, unit), repeat)
        base, base_ms, base_q = _timed(lambda unit=unit: naive(unit), base_repeat)
        assert sum(r["members"] for r in rows) == sum(b[0] for b in base)
        assert sum(r["read"] for r in rows) == sum(b[1] for b in base)
        out.append(
            {
                "level": level,
                "children": unit.get_children_count(),
                "members": sum(r["members"] for r in rows),
                "ms": ms,
                "queries": q,
                "baseline_ms": base_ms,
                "baseline_queries": base_q,
            }
        )
    return out
