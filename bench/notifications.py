"""Notifications at organisation scale (docs/benchmarks.md, "## Notifications (#17)").

`python -m bench notifications [-- --database ehome_bench_notifications --units 8000
--members 140000 --sample 2000 --inbox 5000 --repeat 200]`

Needs PostgreSQL: the database named by --database on DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432) is dropped, recreated, migrated and filled with
`generate_org` (8,000 units, 140,000 members). Then, in one process:

1. **Fan-out**: one broadcast to everyone (`broadcast_create` + the worker's task body,
   `notifications.tasks.broadcast_run`, batches of EHOME_BROADCAST_BATCH) — in-app rows
   written and `enqueue_delivery` called for every batch; target ≤ 60 s. Baseline in the
   same run: `Notification.objects.create` one row at a time (each its own commit, as a
   loop over members in a request would) for `--sample` members, extrapolated to the
   audience and labelled as such. A retry with the same key is timed too (no rows).
2. **Inbox**: one member with `--inbox` notifications; GET /api/v1/notifications/ (first
   page and a page deep in the cursor) `--repeat` times: p50/p95 and the query count,
   which must equal the count for a member with 5 notifications.
"""

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


def _urls(database: str) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/notifications.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(
        parts._replace(path=f"/{database}")
    )


def _recreate(admin_url: str, database: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="bench notifications")
    p.add_argument("--database", default="ehome_bench_notifications")
    p.add_argument("--units", type=int, default=8000)
    p.add_argument("--members", type=int, default=140000)
    p.add_argument("--sample", type=int, default=2000, help="one-by-one baseline rows")
    p.add_argument("--inbox", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=200)
    p.add_argument("--reuse", action="store_true", help="keep an already generated database")
    p.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure_only:
        print(json.dumps(_measure(args)))
        return
    admin_url, bench_url = _urls(args.database)
    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_DEBUG": "0"}
    env.pop("EHOME_TASKS_IMMEDIATE", None)
    env.pop("REDIS_URL", None)  # the embedded queue: nothing here waits on Redis
    py = sys.executable
    if not args.reuse:
        print(f"database {args.database}: recreate, migrate, generate_org …", flush=True)
        _recreate(admin_url, args.database)
        subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [py, "manage.py", "generate_org", "--units", str(args.units), "--members",
             str(args.members), "--no-progress"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
    out = subprocess.run(
        [py, "-m", "bench", "notifications", "--", "--measure-only", *argv],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    _report(args, json.loads(out.strip().splitlines()[-1]))


def _measure(args) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from rest_framework.test import APIClient

    from notifications.broadcasts import broadcast_create
    from notifications.models import Broadcast, Notification
    from notifications.tasks import broadcast_run
    from organizations.models import Member, OrgUnit

    setup_test_environment()  # the test client's host is allowed
    res: dict = {"batch": settings.EHOME_BROADCAST_BATCH}
    Notification.objects.all().delete()
    Broadcast.objects.all().delete()
    root = OrgUnit.get_first_root_node()
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    res["audience"] = members.count()

    # 1. the fan-out: create (after commit the job is queued: here run in-process)
    t0 = time.perf_counter()
    with transaction.atomic():
        broadcast = broadcast_create(
            kind="announcement",
            audience_unit=root,
            context={"title": "全体党员通知", "body": "请于本周内完成学习。"},
            idempotency_key="bench-fanout",
        )
    res["create_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    broadcast_run.call(broadcast.pk)
    res["fanout_s"] = time.perf_counter() - t1
    broadcast.refresh_from_db()
    res["total_s"] = res["create_s"] + res["fanout_s"]
    res["written"] = broadcast.written
    res["rows"] = Notification.objects.filter(idempotency_key=broadcast.notification_key).count()
    res["batches"] = broadcast.batches
    t2 = time.perf_counter()
    again = broadcast_create(
        kind="announcement",
        audience_unit=root,
        context={"title": "全体党员通知", "body": "请于本周内完成学习。"},
        idempotency_key="bench-fanout",
    )
    broadcast_run.call(again.pk)
    res["retry_s"] = time.perf_counter() - t2
    res["rows_after_retry"] = Notification.objects.count()

    # baseline: one row at a time, each its own commit
    sample = list(members.order_by("pk").values_list("pk", flat=True)[: args.sample])
    t3 = time.perf_counter()
    for member_id in sample:
        Notification.objects.create(
            kind="announcement",
            recipient_id=member_id,
            title="全体党员通知",
            body="请于本周内完成学习。",
            idempotency_key="bench-one-by-one",
        )
    res["one_by_one_sample_s"] = time.perf_counter() - t3
    res["one_by_one_sample"] = len(sample)
    res["one_by_one_extrapolated_s"] = res["one_by_one_sample_s"] / len(sample) * res["audience"]

    # 2. the inbox of a member with many notifications
    few_member, many_member = members.order_by("pk")[1], members.order_by("-pk")[0]
    Notification.objects.filter(recipient__in=[few_member, many_member]).delete()

    def fill(member, n, prefix):
        Notification.objects.bulk_create(
            [
                Notification(
                    kind="announcement",
                    recipient=member,
                    title=f"通知 {i}",
                    body="内容",
                    api_path="/api/v1/courses/1/",
                    portal_url="/learn/courses/1/",
                    idempotency_key=f"{prefix}-{i}",
                )
                for i in range(n)
            ],
            batch_size=2000,
        )

    fill(few_member, 5, "few")
    fill(many_member, args.inbox, "many")
    url = "/api/v1/notifications/"

    def client(member):
        c = APIClient()
        c.force_authenticate(member.user)
        return c

    few, many = client(few_member), client(many_member)
    with CaptureQueriesContext(connection) as q_few:
        assert few.get(url).status_code == 200
    with CaptureQueriesContext(connection) as q_many:
        first = many.get(url).json()
    res["queries_5"], res["queries_many"] = len(q_few), len(q_many)
    # a page deep in the inbox: follow the cursor 20 pages
    deep, pages = first.get("next") or url, 1
    for _ in range(20):
        nxt = many.get(deep).json().get("next")
        if not nxt:
            break
        deep, pages = nxt, pages + 1
    res["deep_pages"] = pages
    with CaptureQueriesContext(connection) as q_deep:
        assert many.get(deep).status_code == 200
    res["queries_deep"] = len(q_deep)
    for name, target in (("first", url), ("deep", deep)):
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = many.get(target)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        times.sort()
        res[f"inbox_{name}_p50_ms"] = statistics.median(times)
        res[f"inbox_{name}_p95_ms"] = times[int(len(times) * 0.95) - 1]
    res["page_size"] = len(first["results"])
    return res


def _report(args, r: dict) -> None:
    load = os.getloadavg()
    print(f"machine: 2 cores, shared with other work; load average {load[0]:.2f} {load[1]:.2f}")
    print("## Notifications (#17)")
    print(
        f"fan-out to {r['audience']:,} members (batches of {r['batch']}, {r['batches']} batches):"
        f" create {r['create_s']:.2f} s + rows/delivery {r['fanout_s']:.1f} s ="
        f" {r['total_s']:.1f} s (target ≤ 60 s: {'met' if r['total_s'] <= 60 else 'NOT met'});"
        f" rows {r['rows']:,} (written {r['written']:,})"
    )
    print(
        f"retry with the same key: {r['retry_s']:.2f} s, rows after {r['rows_after_retry']:,}"
        f" (+ the baseline's {r['one_by_one_sample']:,})"
    )
    print(
        f"baseline one by one: {r['one_by_one_sample']:,} rows in {r['one_by_one_sample_s']:.1f} s"
        f" → extrapolated to {r['audience']:,}: {r['one_by_one_extrapolated_s']:.0f} s"
        f" (ratio {r['one_by_one_extrapolated_s'] / r['total_s']:.1f}×)"
    )
    print(
        f"inbox of a member with {args.inbox:,} notifications (page of {r['page_size']}):"
        f" first page p50 {r['inbox_first_p50_ms']:.1f} ms p95 {r['inbox_first_p95_ms']:.1f} ms;"
        f" {r['deep_pages'] + 1} pages deep p50 {r['inbox_deep_p50_ms']:.1f} ms p95 {r['inbox_deep_p95_ms']:.1f} ms;"
        f" queries {r['queries_many']} / deep {r['queries_deep']} (5 notifications: {r['queries_5']})"
    )
