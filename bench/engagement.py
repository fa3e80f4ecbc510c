"""Interaction benchmarks (docs/benchmarks.md "Interaction (#18)"), PostgreSQL only.

    DATABASE_URL=postgres://…/ehome_h18b REDIS_URL=redis://…/4 \\
        .venv/bin/python -m bench engagement -- [--units 8000] [--members 140000]
        [--http-seconds 15] [--workers 2] [--threads 16] [--batch 20]
        [--fold-events 1000000] [--rollup-rows-per-day 5000] [--skip-http] [--skip-fold]
        [--skip-reports] [--servers gunicorn,granian] [--roads hot,full] [--rounds 3]
        [--skip-single] [--skip-direct]

1. events over HTTP under gunicorn (bench._http raw-socket clients, JWT): members POST
   batches of `--batch` events (70 % reads, 20 % likes/unlikes, 10 % shares) to
   /api/v1/engagement/events/, and single reads to /api/v1/engagement/lesson/<id>/read/;
   accepted events/s, p50/p99 per request and the CPU per request of the server
   processes and of server + PostgreSQL + Redis ("in all"). Same-run baseline: the same
   batches with EHOME_ENGAGEMENT_BUFFER=direct (one upsert statement per event on the
   request path). `--servers` and `--roads` compare WSGI servers and the hot road
   (api.hot_path) against the full stack in the same run, alternating over `--rounds`.
2. fold: `--fold-events` events pushed into the buffer (pipelined RPUSH), then
   `interaction.engagement.fold.fold()` — the time, events/s, and the extrapolation to
   10,000,000.
3. reports over one year of roll-ups (`--rollup-rows-per-day` ItemDay rows a day, COPY)
   for the 8,000-unit / 140,000-member tree: the preference report and the top
   items/channels/tags for the whole tree and a second-level unit, against the naive
   loop over child units (ORM queries per child) in the same run.
4. the content-team assessment for the whole tree and the last whole month over one year
   of `--pages` published news (bench/_engagement_pages.py: cloned with COPY, owned by
   `--editors` editors, with workflow history and `--rows-per-page` ItemDay rows each),
   against the naive loop over editors (four ORM queries each) in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import threading
import time

from bench import _cpu, _http
from bench.learning import (
    SERVERS,
    Server,
    _database_name,
    _ms,
    _pct,
    compare_configs,
    config_label,
    configs_from,
)

ROOT_CODE = "EB"


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/engagement.py needs PostgreSQL: set DATABASE_URL")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ensure_data(units: int, members: int) -> dict:
    from elearning.models import Course, Lesson
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
    course, created = Course.objects.get_or_create(
        title="互动压测课程", defaults={"audience_unit": root, "is_published": True}
    )
    if created or not course.lessons.exists():
        for j in range(20):
            Lesson.objects.create(
                course=course, title=f"压测课时 {j + 1}", kind="article", sort_order=j
            )
    lessons = list(course.lessons.order_by("sort_order").values_list("pk", flat=True))
    return {"root": root, "lessons": lessons}


# --- 1. events over HTTP ------------------------------------------------------------------


def bench_http(
    data, *, seconds, workers, threads, batch, port, env=None, single=False, server="gunicorn"
):
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from organizations.models import Member

    members = list(
        Member.objects.filter(unit__path__startswith=data["root"].path, user__isnull=False)
        .select_related("user")
        .order_by("?")[: threads * 8]
    )
    tokens = {m.pk: str(AccessToken.for_user(m.user)) for m in members}
    connection.close()
    lessons = data["lessons"]
    lat: list[float] = []
    codes: dict[int, int] = {}
    events_ok = [0]
    lock = threading.Lock()
    measure_from = stop = 0.0

    def body_for(rng):
        if single:
            return None
        events = []
        for _ in range(batch):
            r = rng.random()
            kind = "read" if r < 0.7 else ("like" if r < 0.8 else "unlike" if r < 0.9 else "share")
            events.append({"type": kind, "kind": "lesson", "id": rng.choice(lessons)})
        return {"events": events}

    def worker(idx):
        rng = random.Random(idx)
        mine = members[idx::threads]
        i = 0
        while time.perf_counter() < stop:
            m = mine[i % len(mine)]
            i += 1
            if single:
                path = f"/api/v1/engagement/lesson/{rng.choice(lessons)}/read/"
            else:
                path = "/api/v1/engagement/events/"
            raw = _http.build(
                "POST",
                "127.0.0.1",
                port,
                path,
                {"Authorization": f"Bearer {tokens[m.pk]}"},
                body_for(rng),
            )
            t = time.perf_counter()
            r = _http.send("127.0.0.1", port, raw, timeout=30)
            took = time.perf_counter() - t
            if t < measure_from:
                continue
            with lock:
                lat.append(took)
                codes[r.status] = codes.get(r.status, 0) + 1
                if r.status == 202:
                    events_ok[0] += 1 if single else batch

    with Server(port, workers, env=env or {}, kind=server) as srv:
        measure_from = time.perf_counter() + 3.0
        stop = measure_from + seconds
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        time.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu = _cpu.CpuSplit(srv.proc.pid, _database_name()).start()
        for t in ts:
            t.join()
        cpu.stop()
    per = cpu.per_request_ms(len(lat))
    res = {
        "config": config_label(server, env),
        "server_cpu": per.get("server", float("nan")),
        "in_all_cpu": _cpu.in_all(per),
        "events_per_s": events_ok[0] / seconds,
        "requests": len(lat),
        "codes": codes,
        "p50": _pct(lat, 50),
        "p99": _pct(lat, 99),
        "load": os.getloadavg()[0],
    }
    label = "single reads" if single else f"batches of {batch}"
    print(
        f"[events {label}, {res['config']}] {workers} workers, {threads} clients, "
        f"{seconds} s: {res['events_per_s']:.0f} events/s accepted, {len(lat)} requests {codes}, "
        f"p50 {_ms(res['p50'])}, p99 {_ms(res['p99'])}; CPU ms per request: server "
        f"{res['server_cpu']:.2f}, in all {res['in_all_cpu']:.2f}, all groups {per}; "
        f"load {res['load']:.1f}"
    )
    return res


# --- 2. fold --------------------------------------------------------------------------------


def bench_fold(data, *, n: int) -> dict:
    from django.db import connection

    from interaction.engagement.buffer import event_line, get_buffer
    from interaction.engagement.fold import fold
    from interaction.engagement.models import (
        FoldedBatch,
        ItemDay,
        ItemMonth,
        ItemReader,
        Like,
        SharerStat,
    )

    buf = get_buffer()
    if buf.waiting() or buf.pending():
        # clearing would drop another run's events (it shares the buffer's Redis keys)
        sys.exit(
            f"[fold] the buffer is not empty ({buf.waiting()} waiting, {len(buf.pending())} "
            "batches pending): another fold bench on this Redis db? Use another db number."
        )
    for model in (ItemDay, ItemMonth, ItemReader, Like, SharerStat, FoldedBatch):
        model.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT m.id, m.unit_id FROM organizations_member m JOIN organizations_orgunit u "
            "ON u.id = m.unit_id WHERE u.path LIKE %s",
            [data["root"].path + "%"],
        )
        members = cur.fetchall()
    rng = random.Random(3)
    today = dt.date.today()
    items = list(range(1, 501))
    t = time.perf_counter()
    lines = []
    for i in range(n):
        mid, unit = members[rng.randrange(len(members))]
        r = rng.random()
        typ = "R" if r < 0.8 else "L" if r < 0.88 else "U" if r < 0.9 else "S" if r < 0.97 else "C"
        lines.append(
            event_line(
                typ,
                today - dt.timedelta(days=rng.randrange(30)),
                mid,
                unit,
                "story",
                rng.choice(items),
            )
        )
        if len(lines) == 10_000 or i == n - 1:
            if hasattr(buf, "r"):
                buf.r.rpush(buf._k("events"), *lines)
            else:
                for line in lines:
                    buf.append(line)
            lines = []
    print(f"[fold] {n} events buffered in {time.perf_counter() - t:.1f} s")
    result = fold()
    rows = ItemDay.objects.count()
    res = {
        "events": result.events,
        "seconds": result.seconds,
        "per_s": result.events / result.seconds,
        "batches": result.batches,
        "rows": rows,
        "load": os.getloadavg()[0],
    }
    print(
        f"[fold] {result.events} events in {result.batches} batches folded in {result.seconds:.1f} s "
        f"({res['per_s']:.0f} events/s) into {rows} ItemDay rows; 10,000,000 at this rate: "
        f"{10_000_000 / res['per_s'] / 60:.1f} min; load {res['load']:.1f}"
    )
    return res


# --- 3. reports -------------------------------------------------------------------------------


def ensure_rollups(data, *, per_day: int, reuse: bool = False) -> int:
    """One year of ItemDay rows (COPY): `per_day` (unit, item) rows a day over the tree's
    units, 300 items in 6 channels; reads 1–20, occasional likes and shares."""
    from django.db import connection

    from interaction.engagement.models import ItemDay, ItemMonth
    from organizations.models import OrgUnit

    have = ItemDay.objects.count()
    if reuse and have:
        print(f"[reports] reusing {have} ItemDay rows")
        if not ItemMonth.objects.exists():
            _rebuild_months()
        return have
    ItemDay.objects.all().delete()
    units = list(
        OrgUnit.objects.filter(path__startswith=data["root"].path).values_list("pk", flat=True)
    )
    channels = ["headline", "grassroots", "overseas", "notice", "exemplar", "lesson"]
    rng = random.Random(5)
    start = dt.date.today() - dt.timedelta(days=364)
    t = time.perf_counter()
    rows = 0
    with connection.cursor() as cur:
        with cur.cursor.copy(
            "COPY interaction_itemday (day, kind, item_id, unit_id, channel, reads, new_readers, "
            "likes, unlikes, shares, clicks) FROM STDIN"
        ) as copy:
            for d in range(365):
                day = start + dt.timedelta(days=d)
                seen = set()
                for _ in range(per_day):
                    unit, item = rng.choice(units), rng.randrange(1, 301)
                    if (unit, item) in seen:
                        continue
                    seen.add((unit, item))
                    reads = rng.randint(1, 20)
                    shares = rng.randint(0, 2) if rng.random() < 0.3 else 0
                    copy.write_row(
                        (day, "story", item, unit, channels[item % 6], reads, max(1, reads // 2),
                         rng.randint(0, 3), 0, shares, shares * rng.randint(0, 4))
                    )  # fmt: skip
                    rows += 1
        cur.execute("VACUUM ANALYZE interaction_itemday")
    print(f"[reports] {rows} ItemDay rows (one year) with COPY in {time.perf_counter() - t:.0f} s")
    _rebuild_months()
    return rows


def _rebuild_months() -> None:
    """The month roll-ups of the generated days (the fold writes them for folded events)."""
    from django.db import connection

    from interaction.engagement.months import months_rebuild

    t = time.perf_counter()
    n = months_rebuild()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE interaction_itemmonth")
    print(f"[reports] {n} ItemMonth rows rebuilt from the days in {time.perf_counter() - t:.0f} s")


def naive_preferences(unit, date_from, date_to):
    """The loop the one-query report replaces: an ORM query per child unit."""
    from django.db.models import Sum

    from interaction.engagement.models import ItemDay

    out = {}
    for child in unit.get_children():
        rows = (
            ItemDay.objects.filter(
                unit__path__startswith=child.path, day__gte=date_from, day__lte=date_to
            )
            .values("channel")
            .annotate(reads=Sum("reads"))
        )
        out[child.pk] = {r["channel"]: r["reads"] for r in rows}
    own = (
        ItemDay.objects.filter(unit=unit, day__gte=date_from, day__lte=date_to)
        .values("channel")
        .annotate(reads=Sum("reads"))
    )
    out[unit.pk] = {r["channel"]: r["reads"] for r in own}
    return out


def bench_reports(data, *, per_day: int, repeat: int = 5, reuse: bool = False) -> dict:
    from interaction.analytics import reports
    from organizations.models import OrgUnit

    rows = ensure_rollups(data, per_day=per_day, reuse=reuse)
    root = data["root"]
    second = OrgUnit.objects.filter(path__startswith=root.path, depth=root.depth + 1).first()
    date_to = dt.date.today()
    date_from = date_to - dt.timedelta(days=364)
    res = {"rows": rows}

    def timed(fn):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times), max(times)

    for label, unit in (("whole tree", root), ("second level", second)):
        args = {"unit": unit, "date_from": date_from, "date_to": date_to}
        pref = timed(lambda a=args: reports.preferences(**a))
        items = timed(lambda a=args: reports.top_items(**a))
        channels = timed(lambda a=args: reports.top_channels(**a))
        tags = timed(lambda a=args: reports.top_tags(**a))
        naive = timed(lambda u=unit: naive_preferences(u, date_from, date_to))
        res[label] = {"pref": pref, "items": items, "channels": channels, "naive": naive}
        print(
            f"[reports {label}] preferences median {_ms(pref[0])} (max {_ms(pref[1])}); "
            f"top items {_ms(items[0])}, channels {_ms(channels[0])}, tags {_ms(tags[0])}; "
            f"naive per-child loop {_ms(naive[0])} → {naive[0] / pref[0]:.1f}× the one query; "
            f"load {os.getloadavg()[0]:.1f}"
        )
    return res


def naive_assessment(unit, month, owners) -> dict:
    """The loop the one-query assessment replaces: per editor, their pages published in
    the month by a team in the subtree, then those pages' workflow states and roll-ups."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Sum
    from wagtail.models import Page, WorkflowState

    from cms.models import NewsPage
    from interaction.analytics.reports import month_bounds
    from interaction.engagement.models import ItemDay

    start, end = month_bounds(month)
    page_ct = ContentType.objects.get_for_model(Page)
    out = {}
    for owner in owners:
        ids = list(
            NewsPage.objects.filter(
                owner_id=owner,
                first_published_at__gte=start,
                first_published_at__lt=end,
                publishing_unit__path__startswith=unit.path,
            ).values_list("pk", flat=True)
        )
        if not ids:
            continue
        states = WorkflowState.objects.filter(
            base_content_type=page_ct, object_id__in=[str(i) for i in ids]
        )
        sent_back = set(states.filter(status="needs_changes").values_list("object_id", flat=True))
        approved = set(states.filter(status="approved").values_list("object_id", flat=True))
        eng = ItemDay.objects.filter(kind="news", item_id__in=ids).aggregate(
            reads=Sum("reads"), likes=Sum("likes"), shares=Sum("shares")
        )
        out[owner] = {
            "published": len(ids),
            "first_pass": len(approved - sent_back),
            **eng,
        }
    return out


def bench_assessment(data, *, pages: int, editors: int, rows_per_page: int, repeat: int = 5):
    from bench._engagement_pages import ensure_pages
    from interaction.analytics import reports
    from organizations.models import Member

    root = data["root"]
    ensure_pages(root, pages=pages, editors=editors, rows_per_page=rows_per_page)
    today = dt.date.today()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last whole month
    owners = list(
        Member.objects.filter(unit__path__startswith=root.path, user__isnull=False)
        .order_by("pk")
        .values_list("user_id", flat=True)[:editors]
    )
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = reports.assessment(unit=root, month=month)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    naive = naive_assessment(root, month, owners)
    naive_s = time.perf_counter() - t
    one = statistics.median(times)
    published = sum(r["published"] for r in result["rows"])
    print(
        f"[assessment whole tree, {month:%Y-%m}] {len(result['rows'])} editor×team rows, "
        f"{published} pages published (naive loop: {sum(v['published'] for v in naive.values())}); "
        f"one query median {_ms(one)} (max {_ms(max(times))}); naive per-editor loop over "
        f"{len(owners)} editors {_ms(naive_s)} → {naive_s / one:.1f}×; load {os.getloadavg()[0]:.1f}"
    )
    return {"median": one, "naive": naive_s}


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="bench engagement")
    p.add_argument("--units", type=int, default=8000)
    p.add_argument("--members", type=int, default=140000)
    p.add_argument("--http-seconds", type=int, default=15)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--port", type=int, default=8791)
    p.add_argument("--fold-events", type=int, default=1_000_000)
    p.add_argument("--rollup-rows-per-day", type=int, default=5000)
    p.add_argument("--pages", type=int, default=24000, help="news pages over the year")
    p.add_argument("--editors", type=int, default=400)
    p.add_argument("--rows-per-page", type=int, default=8, help="ItemDay rows per page")
    p.add_argument("--skip-http", action="store_true")
    p.add_argument(
        "--servers",
        default="gunicorn",
        help=f"comma-separated, compared in the same run: {','.join(SERVERS)}",
    )
    p.add_argument(
        "--roads",
        default="hot",
        help="comma-separated: hot (api.hot_path, the default), full (EHOME_HOT_PATH=0)",
    )
    p.add_argument("--rounds", type=int, default=1, help="alternating rounds per config")
    p.add_argument("--skip-single", action="store_true", help="no single-read run")
    p.add_argument("--skip-direct", action="store_true", help="no one-row-per-event baseline run")
    p.add_argument("--skip-fold", action="store_true")
    p.add_argument("--skip-reports", action="store_true")
    p.add_argument(
        "--reuse-rollups", action="store_true", help="keep the ItemDay rows of a run before"
    )
    args = p.parse_args(argv)
    _setup()
    print(
        f"machine: nproc={os.cpu_count()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}"
    )
    data = ensure_data(args.units, args.members)
    if not args.skip_http:
        size = {
            "seconds": args.http_seconds,
            "workers": args.workers,
            "threads": args.threads,
            "port": args.port,
        }
        configs = configs_from(args)

        def run(server, env):
            return bench_http(data, batch=args.batch, server=server, env=env, **size)

        summary = compare_configs(run, configs, args.rounds, "events")
        kind = configs[0][0]
        if not args.skip_single:
            bench_http(data, batch=1, single=True, server=kind, **size)
        if not args.skip_direct:
            direct = {"EHOME_ENGAGEMENT_BUFFER": "direct"}
            base = bench_http(data, batch=args.batch, env=direct, server=kind, **size)
            res = summary[0]
            print(
                f"[events] buffered ({res['config']}) vs one row per event: "
                f"{res['events_per_s'] / max(base['events_per_s'], 1):.2f}× the events/s, "
                f"p99 {_ms(res['p99'])} vs {_ms(base['p99'])}"
            )
    if not args.skip_fold:
        bench_fold(data, n=args.fold_events)
    if not args.skip_reports:
        bench_reports(data, per_day=args.rollup_rows_per_day, reuse=args.reuse_rollups)
        bench_assessment(
            data, pages=args.pages, editors=args.editors, rows_per_page=args.rows_per_page
        )
    print("→ docs/benchmarks.md, section “Interaction (#18)”")
