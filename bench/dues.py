"""Dues at production scale (docs/benchmarks.md "## Dues (#20)").

`python -m bench dues [-- --db-url postgres://…/ehome_bench_dues --members 140000
 --units 8000 --payers 2000 --baseline-sample 3000 --workers 3 --concurrency 8]`

Needs PostgreSQL; the database named by --db-url (default ehome_bench_dues) is created
if missing (`--rebuild` drops it first), migrated and filled by `generate_org` once.
Every member gets a 2026 base (mixed categories). Then, in one run:
1. the monthly obligation job (`dues.services.obligations_generate`, one INSERT … SELECT)
   for all members, timed (target ≤ 30 s), and run again (idempotent: creates nothing);
   the baseline is the same rule one member at a time (read the base, the transfers,
   pick the rate, INSERT the row) on a sample, extrapolated to every member;
2. the collection report over the whole tree (one SQL query), median of 5 (≤ 1 s);
3. a month-end rush over HTTP against gunicorn: `--payers` members each open an order
   (POST /api/v1/dues/orders/) and pay in the sandbox sheet (POST
   /api/v1/dues/sandbox/pay/<no>/, whose notification is delivered and credited), from
   `--concurrency` client threads (target ≤ 120 s); then every notification is sent AGAIN
   over HTTP (the provider repeats) — and the ledger is checked: 0 double credits, 0 lost
   payments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ehome_bench_dues"


def _args(argv):
    p = argparse.ArgumentParser(prog="bench dues")
    p.add_argument("--db-url", default=os.environ.get("EHOME_BENCH_DUES_DB", DEFAULT_DB))
    p.add_argument("--members", type=int, default=140_000)
    p.add_argument("--units", type=int, default=8_000)
    p.add_argument("--payers", type=int, default=2_000)
    p.add_argument("--baseline-sample", type=int, default=3_000)
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _args(argv)
    if not args.db_url.startswith("postgres"):
        sys.exit("bench dues needs PostgreSQL (--db-url postgres://…)")
    _ensure_database(args.db_url, args.rebuild)
    env = {
        **os.environ,
        "DATABASE_URL": args.db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EHOME_VAR_DIR": os.environ.get("EHOME_BENCH_VAR_DIR", "/tmp/ehome_bench_dues"),
        "DJANGO_DEBUG": "0",
        "EHOME_TASKS_IMMEDIATE": "1",  # the sandbox delivers its notification at once
        "DUES_SANDBOX": "1",
    }
    env.pop("REDIS_URL", None)
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "-m", "bench.dues", "--inner", *argv], cwd=ROOT, env=env, check=True)


def _ensure_database(url: str, rebuild: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if rebuild:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- inner (Django set up) -----------------------------------------------------------------
def _inner(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from organizations.models import Member

    print(f"load average at start: {_load()}", flush=True)
    if Member.objects.count() < args.members:
        t = time.perf_counter()
        call_command("generate_org", units=args.units, members=args.members, no_progress=True)
        print(f"generate_org: {time.perf_counter() - t:.1f} s", flush=True)
    from dues.services import setup_ensure

    setup_ensure()
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO dues_duesbase (member_id, unit_id, year, category, base_fen, updated_at)
               SELECT m.id, m.unit_id, 2026,
                      CASE WHEN m.id % 20 < 14 THEN 'employed' WHEN m.id % 20 < 18 THEN 'retired'
                           WHEN m.id % 20 = 18 THEN 'student' ELSE 'subsistence' END,
                      150000 + (m.id * 7919) % 1500000, now()
               FROM organizations_member m
               WHERE NOT EXISTS (SELECT 1 FROM dues_duesbase b WHERE b.member_id = m.id AND b.year = 2026)"""
        )
        cur.execute("ANALYZE")
    members = Member.objects.filter(status="active").count()
    print(f"members {members}", flush=True)
    job = _obligations(args, members)
    report = _report()
    rush = _rush(args)
    _summary(args, members, job, report, rush)


def _one_by_one(member_ids: list[int], month: dt.date) -> int:
    """The baseline: the same rule, one member at a time."""
    from django.utils import timezone

    from dues.amounts import percent_of
    from dues.ledger import LedgerEntry
    from dues.rules import DuesBase, DuesRate
    from organizations.models import Member, Transfer

    rates = list(DuesRate.objects.all())
    start = dt.datetime.combine(month, dt.time(), tzinfo=timezone.get_default_timezone())
    created = 0
    for mid in member_ids:
        member = Member.objects.get(pk=mid)
        if LedgerEntry.objects.filter(member=member, month=month, kind="obligation").exists():
            continue
        base = (
            DuesBase.objects.filter(member=member, year__lte=month.year).order_by("-year").first()
        )
        if base is None:
            continue
        rate = next(
            (r for r in rates if r.category == base.category and r.applies_to(base.base_fen)), None
        )
        if rate is None:
            continue
        amount = rate.fixed_fen + percent_of(base.base_fen, rate.rate_bp)
        moved = (
            Transfer.objects.filter(member=member, transferred_at__gte=start)
            .order_by("transferred_at")
            .first()
        )
        unit_id = moved.from_unit_id if moved else member.unit_id
        LedgerEntry.objects.create(
            member=member, unit_id=unit_id, month=month, kind="obligation", amount_fen=amount
        )
        created += 1
    return created


def _obligations(args, members: int) -> dict:
    from dues.services import obligations_generate

    nov, dec = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    from organizations.models import Member

    ids = list(
        Member.objects.filter(status="active")
        .order_by("id")
        .values_list("id", flat=True)[: args.baseline_sample]
    )
    print(f"baseline: one member at a time, {len(ids)} members (month {nov:%Y-%m}) …", flush=True)
    t = time.perf_counter()
    base_created = _one_by_one(ids, nov)
    base_s = time.perf_counter() - t
    print(f"  {base_created} rows in {base_s:.1f} s", flush=True)
    print(f"bulk job for {dec:%Y-%m}, load {_load()} …", flush=True)
    t = time.perf_counter()
    created = obligations_generate(month=dec)
    bulk_s = time.perf_counter() - t
    t = time.perf_counter()
    again = obligations_generate(month=dec)
    again_s = time.perf_counter() - t
    print(
        f"  {created} rows in {bulk_s:.2f} s; second run {again} rows in {again_s:.2f} s",
        flush=True,
    )
    per_row = base_s / max(base_created, 1)
    return {
        "created": created,
        "bulk_s": bulk_s,
        "again": again,
        "again_s": again_s,
        "baseline_rows": base_created,
        "baseline_s": base_s,
        "baseline_extrapolated_s": per_row * created,
        "load": _load(),
    }


def _report() -> dict:
    from dues.selectors import collection_report
    from organizations.models import OrgUnit

    root = OrgUnit.get_first_root_node()
    out = {}
    for label, month in (("month", 12), ("year", None)):
        samples = []
        for _ in range(5):
            t = time.perf_counter()
            rep = collection_report(unit=root, year=2026, month=month)
            samples.append(time.perf_counter() - t)
        out[label] = {
            "median_s": statistics.median(samples),
            "rows": len(rep["rows"]),
            "expected": rep["total"]["expected_fen"],
        }
    out["load"] = _load()
    print(f"collection report (whole tree): {out}", flush=True)
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rush(args) -> dict:
    from django.db import connection
    from rest_framework_simplejwt.tokens import RefreshToken

    from bench import _http
    from dues.gateways.sandbox import notification_for
    from dues.gateways.sandbox_models import SandboxTrade
    from dues.ledger import LedgerEntry
    from dues.orders import PaymentOrder
    from organizations.models import Member

    dec = dt.date(2026, 12, 1)
    open_ids = list(
        LedgerEntry.objects.filter(month=dec, kind="obligation")
        .exclude(member__dues_orders__isnull=False)
        .values_list("member_id", flat=True)[: args.payers * 5]
    )
    random.Random(20).shuffle(open_ids)
    payers = list(Member.objects.filter(pk__in=open_ids[: args.payers]).select_related("user"))
    tokens = [str(RefreshToken.for_user(m.user).access_token) for m in payers]
    port = _free_port()
    Path(os.environ["EHOME_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    log = open(Path(os.environ["EHOME_VAR_DIR"]) / "gunicorn-dues.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
        cwd=ROOT,
    )
    host = "127.0.0.1"
    try:
        for _ in range(100):
            try:
                _http.send(host, port, _http.build("GET", host, port, "/healthz"))
                break
            except OSError:
                time.sleep(0.2)
        errors: list[str] = []
        lock = threading.Lock()
        queue = list(range(len(payers)))

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop()
                auth = {"Authorization": f"Bearer {tokens[i]}"}
                r = _http.send(
                    host,
                    port,
                    _http.build(
                        "POST", host, port, "/api/v1/dues/orders/", auth, {"provider": "sandbox"}
                    ),
                )
                if r.status != 201:
                    with lock:
                        errors.append(f"order {r.status} {r.content[:200]!r}")
                    continue
                no = r.json()["order"]["out_trade_no"]
                r = _http.send(
                    host,
                    port,
                    _http.build("POST", host, port, f"/api/v1/dues/sandbox/pay/{no}/", auth, {}),
                )
                if r.status != 202 or r.json()["status"] != "paid":
                    with lock:
                        errors.append(f"pay {r.status} {r.content[:200]!r}")

        print(
            f"rush: {len(payers)} members, {args.concurrency} clients, {args.workers} gunicorn workers, load {_load()} …",
            flush=True,
        )
        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        rush_s = time.perf_counter() - t
        load_after = _load()
        print(f"  {rush_s:.1f} s, errors {len(errors)} {errors[:3]}", flush=True)

        # the provider repeats every notification
        orders = list(PaymentOrder.objects.filter(member__in=payers))
        trades = {
            tr.out_trade_no: tr
            for tr in SandboxTrade.objects.filter(out_trade_no__in=[o.out_trade_no for o in orders])
        }
        repeats = [
            notification_for(trades[o.out_trade_no]) for o in orders if o.out_trade_no in trades
        ]
        connection.close()
        statuses: dict[int, int] = {}
        t = time.perf_counter()

        def replay(chunk):
            for headers, body in chunk:
                r = _http.send(
                    host,
                    port,
                    _http.build(
                        "POST", host, port, "/api/v1/dues/callbacks/sandbox/", headers, body
                    ),
                )
                with lock:
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        chunks = [repeats[i :: args.concurrency] for i in range(args.concurrency)]
        threads = [threading.Thread(target=replay, args=(c,)) for c in chunks]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        replay_s = time.perf_counter() - t
    finally:
        proc.terminate()
        proc.wait(30)
    # the books
    with connection.cursor() as cur:
        cur.execute(
            """SELECT COUNT(*) FILTER (WHERE o.status = 'paid'),
                      COUNT(*) FILTER (WHERE o.status <> 'paid'),
                      COUNT(*) FILTER (WHERE p.n > jsonb_array_length(o.months::jsonb)),
                      COUNT(*) FILTER (WHERE o.status = 'paid' AND -COALESCE(p.s, 0) <> o.amount_fen)
               FROM dues_paymentorder o
               LEFT JOIN (SELECT order_id, COUNT(*) AS n, SUM(amount_fen) AS s FROM dues_ledgerentry
                          WHERE kind = 'payment' GROUP BY order_id) p ON p.order_id = o.id
               WHERE o.member_id = ANY(%s)""",
            [[m.pk for m in payers]],
        )
        paid, unpaid, double, wrong = cur.fetchone()
        cur.execute(
            """SELECT COUNT(*) FROM dues_sandboxtrade t JOIN dues_paymentorder o ON o.out_trade_no = t.out_trade_no
               WHERE t.state = 'SUCCESS' AND o.status <> 'paid' AND o.member_id = ANY(%s)""",
            [[m.pk for m in payers]],
        )
        lost = cur.fetchone()[0]
    out = {
        "payers": len(payers),
        "rush_s": rush_s,
        "errors": len(errors),
        "paid": paid,
        "unpaid": unpaid,
        "double_credits": double + wrong,
        "lost": lost,
        "replay_s": replay_s,
        "replay_statuses": statuses,
        "load": load_after,
    }
    print(f"books: {out}", flush=True)
    return out


def _summary(args, members, job, report, rush) -> None:
    ratio = job["baseline_extrapolated_s"] / job["bulk_s"] if job["bulk_s"] else 0
    print("\n## Dues (#20) — results")
    print(
        f"- obligation job: {job['created']} rows in {job['bulk_s']:.2f} s (target ≤ 30 s: "
        f"{'met' if job['bulk_s'] <= 30 else 'NOT met'}); second run {job['again']} rows in {job['again_s']:.2f} s; "
        f"baseline one-at-a-time {job['baseline_rows']} rows in {job['baseline_s']:.1f} s → extrapolated "
        f"{job['baseline_extrapolated_s']:.0f} s for {job['created']} rows; ratio {ratio:.0f}×; load {job['load']}"
    )
    m, y = report["month"], report["year"]
    print(
        f"- collection report, whole tree: month {m['median_s'] * 1000:.0f} ms, year {y['median_s'] * 1000:.0f} ms "
        f"(target ≤ 1 s: {'met' if max(m['median_s'], y['median_s']) <= 1 else 'NOT met'}); load {report['load']}"
    )
    print(
        f"- rush: {rush['payers']} members order + pay in {rush['rush_s']:.1f} s (target ≤ 120 s: "
        f"{'met' if rush['rush_s'] <= 120 else 'NOT met'}); paid {rush['paid']}, unpaid {rush['unpaid']}, "
        f"double credits {rush['double_credits']}, lost {rush['lost']}, errors {rush['errors']}; "
        f"{rush['payers']} repeated notifications in {rush['replay_s']:.1f} s {rush['replay_statuses']}; load {rush['load']}"
    )


if __name__ == "__main__":
    if "--inner" in sys.argv:
        _inner(_args(sys.argv[1:]))
    else:
        main(sys.argv[1:])
