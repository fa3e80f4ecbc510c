"""Member records (docs/benchmarks.md, "## Member records (#19)").

`python -m bench records [-- --database ehome_bench_records --members 140000 --units 2000]`

Needs PostgreSQL: the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432)
gets the database named by --database, dropped and recreated; `generate_org` fills it
(members with phones), and every member gets a record with an ID number, an address and
an emergency phone, all encrypted under key A. Then:

1. **Key rotation**: `manage.py rotate_field_keys` with keys "B,A" in its own process,
   timed, while this process reads random members' records (decrypt + mask) as fast as
   it can: rows rotated per second, reads served during the rotation and their p95,
   against the read p95 of the same loop with no rotation running (the baseline).
2. **Secretary's member list**: the API list `/api/v1/members/` (masked phone and ID
   number, 100 per page) walked page by page for a secretary of the unit whose subtree
   holds about --list-members members: queries per page (must not grow with the page
   number) and p95 per page, against the same pages without the record join and the
   masking (the baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _urls(database: str) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/records.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(
        parts._replace(path=f"/{database}")
    )


def _recreate(admin_url: str, database: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def _p95(samples: list[float]) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench records")
    parser.add_argument("--database", default="ehome_bench_records")
    parser.add_argument("--members", type=int, default=140000)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--list-members", type=int, default=3600)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--phase", choices=("populate", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "populate":
        _populate()
        return
    if args.phase == "measure":
        print(json.dumps(_measure(args)))
        return
    from cryptography.fernet import Fernet

    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    admin_url, bench_url = _urls(args.database)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_DEBUG": "0",
        "EHOME_FIELD_ENCRYPTION_KEYS": key_a,
    }
    env.pop("EHOME_TASKS_IMMEDIATE", None)
    py = sys.executable
    print(
        f"database {args.database}: recreate, migrate, generate {args.members} members …",
        flush=True,
    )
    _recreate(admin_url, args.database)
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
    )
    start = time.perf_counter()
    subprocess.run(
        [py, "-m", "bench", "records", "--", "--phase", "populate"], cwd=ROOT, env=env, check=True
    )
    print(f"records written and encrypted in {time.perf_counter() - start:.1f} s", flush=True)
    env["EHOME_FIELD_ENCRYPTION_KEYS"] = f"{key_b},{key_a}"
    out = subprocess.run(
        [py, "-m", "bench", "records", "--", "--phase", "measure", *argv],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    results = json.loads(out.strip().splitlines()[-1])
    _report(args, results)


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _populate() -> None:
    _setup()
    from django.db import connection, transaction

    from organizations.models import Member, MemberRecord
    from organizations.privacy import id_check_char

    rng = random.Random(19)
    ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        rows = []
        for pk in ids[start : start + 5000]:
            first = f"4201{rng.randint(0, 99):02d}19{rng.randint(60, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}{rng.randint(100, 999)}"
            rows.append(
                MemberRecord(
                    member_id=pk,
                    id_number=first + id_check_char(first),
                    address=f"某省某市某区某路{rng.randint(1, 999)}号",
                    emergency_phone=f"13{rng.randint(100000000, 999999999)}",
                    education="bachelor",
                )
            )
        with transaction.atomic():
            MemberRecord.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _read_loop(stop: threading.Event, ids: list[int], samples: list[float]) -> None:
    from django.db import connection

    from organizations.models import Member
    from organizations.privacy import masked_record

    rng = random.Random(5)
    try:
        while not stop.is_set():
            pk = rng.choice(ids)
            t = time.perf_counter()
            member = Member.objects.select_related("record").get(pk=pk)
            masked = masked_record(member)
            samples.append((time.perf_counter() - t) * 1000)
            assert "*" in masked["phone"] or not member.phone
    finally:
        connection.close()


def _measure(args) -> dict:
    _setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from organizations.models import Member, OrgUnit, UnitRole
    from organizations.records.selectors import record_members

    res: dict = {}
    ids = list(Member.objects.values_list("pk", flat=True))
    res["members"] = len(ids)

    # --- 1. reads alone (baseline), then reads during the rotation -----------------------
    base: list[float] = []
    stop = threading.Event()
    reader = threading.Thread(target=_read_loop, args=(stop, ids, base))
    reader.start()
    time.sleep(10)
    stop.set()
    reader.join()
    res["read_baseline"] = {"n": len(base), "p95_ms": _p95(base), "per_s": len(base) / 10}

    during: list[float] = []
    stop = threading.Event()
    reader = threading.Thread(target=_read_loop, args=(stop, ids, during))
    reader.start()
    start = time.perf_counter()
    rot = subprocess.run(
        [sys.executable, "manage.py", "rotate_field_keys", "--batch-size", str(args.batch_size)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    rotate_s = time.perf_counter() - start
    stop.set()
    reader.join()
    if rot.returncode != 0:
        raise SystemExit(rot.stdout + rot.stderr)
    from organizations.records.rotation import encrypted_tables, unrotated_count

    res["rotation"] = {
        "seconds": rotate_s,
        "tables": {t.label: unrotated_count(t) for t in encrypted_tables()},
        "reads": len(during),
        "reads_per_s": len(during) / rotate_s,
        "read_p95_ms": _p95(during),
        "tail": rot.stdout.strip().splitlines()[-1],
    }

    # --- 2. a secretary's member list ----------------------------------------------------
    # the secretary holds the role on units of one level, taken in tree order until their
    # subtrees hold at least --list-members members (the tree has no single unit of 3,600)
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH per AS (SELECT unit_id, count(*) AS n FROM organizations_member GROUP BY unit_id)
            SELECT g.id, g.depth, sum(per.n) AS n
            FROM organizations_orgunit g
            JOIN organizations_orgunit x ON x.path LIKE g.path || '%%'
            JOIN per ON per.unit_id = x.id
            GROUP BY g.id, g.depth, g.path
            HAVING sum(per.n) <= %s
            ORDER BY g.depth, g.path
            """,
            [args.list_members],
        )
        rows = cur.fetchall()
    depth = min(r[1] for r in rows)
    picked, n = [], 0
    for unit_id, d, count in rows:
        if d == depth and n < args.list_members:
            picked.append(unit_id)
            n += int(count)
    units = list(OrgUnit.objects.filter(pk__in=picked).order_by("path"))
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-secretary")
    for unit in units:
        UnitRole.objects.get_or_create(user=user, unit=unit, role=UnitRole.Role.SECRETARY)
    unit = units[0]
    client = APIClient()
    client.force_authenticate(user)
    res["list"] = {"unit": f"{len(units)} units from {unit.name}", "members": n}

    def walk(url: str) -> tuple[list[float], list[int]]:
        times, queries, next_url = [], [], url
        while next_url:
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                body = client.get(next_url).json()
                times.append((time.perf_counter() - t) * 1000)
            queries.append(len(ctx.captured_queries))
            next_url = body["next"]
        return times, queries

    walk("/api/v1/members/?page_size=100")  # warm
    times, queries = [], []
    for _ in range(3):
        t, q = walk("/api/v1/members/?page_size=100")
        times += t
        queries += q
    res["list"].update(
        {
            "pages": len(times) // 3,
            "p95_ms": _p95(times),
            "median_ms": statistics.median(times),
            "queries_min": min(queries),
            "queries_max": max(queries),
        }
    )

    # baseline: the same pages with the same scope, no record join, no decrypt/mask
    qs = record_members(user).values("id", "name", "member_no", "unit__name", "category", "status")
    base_times = []
    for _ in range(3):
        last = 0
        while True:
            t = time.perf_counter()
            rows = list(qs.filter(id__gt=last).order_by("id")[:100])
            base_times.append((time.perf_counter() - t) * 1000)
            if len(rows) < 100:
                break
            last = rows[-1]["id"]
    res["list"]["baseline_p95_ms"] = _p95(base_times)
    return res


def _report(args, r: dict) -> None:
    load = os.getloadavg()
    rot, lst, base = r["rotation"], r["list"], r["read_baseline"]
    rows = r["members"] * 2
    print(f"machine load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"members: {r['members']} (records: {r['members']}; encrypted tables: {', '.join(rot['tables'])})"
    )
    print(
        f"key rotation: {rot['seconds']:.1f} s for {rows} rows ({rows / rot['seconds']:.0f} rows/s); "
        f"left unrotated: {sum(rot['tables'].values())}; {rot['tail']}"
    )
    print(
        f"reads during rotation: {rot['reads']} ({rot['reads_per_s']:.0f}/s), p95 {rot['read_p95_ms']:.2f} ms; "
        f"baseline without rotation: {base['per_s']:.0f}/s, p95 {base['p95_ms']:.2f} ms "
        f"(ratio {rot['read_p95_ms'] / base['p95_ms']:.2f})"
    )
    print(
        f"member list ({lst['unit']}, {lst['members']} members, {lst['pages']} pages of 100): p95 "
        f"{lst['p95_ms']:.1f} ms, median {lst['median_ms']:.1f} ms, queries per page "
        f"{lst['queries_min']}–{lst['queries_max']}; baseline (no record join, no masking) p95 "
        f"{lst['baseline_p95_ms']:.1f} ms"
    )
    print("section: docs/benchmarks.md “Member records (#19)”")
