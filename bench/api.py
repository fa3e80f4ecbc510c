"""`python -m bench api [-- --pages 100000 --requests 600 --concurrency 4 --workers 2]`

/api/v1/news/ against Wagtail's API v2 serving the same news pages, on PostgreSQL under
gunicorn, plus the same v1 request revalidated with If-None-Match (a 304). Results go to
docs/benchmarks.md "## API". Two baselines: stock v2, and a tuned v2 (covers and their
renditions prefetched — bench._api_urls.TunedPagesAPIViewSet); the #23 target is v1 ≥ 5×
the tuned one at 2,000 and at 100,000 pages. What the page count changes: v2 pages with
LIMIT/OFFSET and runs `COUNT(*)` over every live news page on every request (its
`meta.total_count`), so its cost grows with the table; v1 is a keyset (cursor) feed that
reads only the page it returns, so at 100,000 pages the ratio measures mostly that
COUNT(*), at 2,000 mostly the per-item serialisation.

Data (built once into its own database, default ehome_bench_api; `--rebuild` starts over):
- an org unit, a member, a site with one news channel, 5 Pillow-generated cover images
  whose renditions (the list's cover spec) are created up front;
- one NewsPage created the normal Wagtail way (add_child + publish), then CLONED
  `--pages` times with PostgreSQL COPY: wagtailcore_page rows with computed treebeard
  paths (parent path + base-36 step), fresh translation keys, slugs and url_paths, and the
  matching cms_newspage rows (dates spread over three years, covers cycling through the 5
  images); the channel's numchild is then fixed. No per-page signals, revisions or search
  entries: the API reads neither. Every run then ANALYZEs the database (`_analyze`).
Serving: gunicorn (`--workers`, 127.0.0.1, a free port) with DJANGO_SETTINGS_MODULE=
bench._api_settings (project settings + wagtail.api.v2, per-user throttle lifted) and
bench._api_urls (project URLs + /api/v2/ with NewsPage api_fields incl. an
ImageRenditionField cover). Both APIs authenticate the same JWT (IsAuthenticated default).
Load: a threaded raw-socket client (bench._http: prebuilt request bytes, so the load
generator's CPU stays small on 2 cores), a bounded number of requests per scenario; requests/s,
p50/p99; query counts measured in-process with CaptureQueriesContext; worker RSS from
/proc/<pid>/status (VmRSS).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from bench import _http

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ehome_bench_api"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
V1 = "/api/v1/news/?page_size=20"
V2_FIELDS = "subtitle,source,author,date,summary,pinned,cover_image,cover"
V2 = f"/api/v2/pages/?type=cms.NewsPage&fields={V2_FIELDS}&limit=20&order=-date"
# the tuned v2 (bench._api_urls.TunedPagesAPIViewSet): NewsPage rows with their cover
# renditions prefetched, the same fields
V2T = f"/api/v2/tuned/?fields={V2_FIELDS}&limit=20&order=-date"


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench api")
    p.add_argument("--pages", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=600, help="requests per scenario")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--db-url", default=os.environ.get("EHOME_BENCH_API_DB", DEFAULT_DB))
    p.add_argument("--redis-url", default=os.environ.get("EHOME_BENCH_API_REDIS", DEFAULT_REDIS))
    p.add_argument(
        "--var-dir",
        default=os.environ.get("EHOME_BENCH_VAR_DIR"),
        help="media and logs of this database (default /tmp/<database name>)",
    )
    p.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    """Re-run in a child process whose environment selects the bench settings (make
    bench may already have set Django up with the project settings in this process)."""
    args = _args(argv)
    if not args.db_url.startswith("postgres"):
        sys.exit("bench api needs PostgreSQL (--db-url postgres://…)")
    env = {
        **os.environ,
        "DATABASE_URL": args.db_url,
        "REDIS_URL": args.redis_url,
        "EHOME_CACHE_PREFIX": "ehome-bench-api",
        "DJANGO_SETTINGS_MODULE": "bench._api_settings",
        # the cover images live with their database: two databases never share files
        "EHOME_VAR_DIR": args.var_dir or f"/tmp/{args.db_url.rsplit('/', 1)[1]}",
        "DJANGO_DEBUG": "0",
    }
    subprocess.run(
        [sys.executable, "-m", "bench.api", "--inner", *argv],
        env=env,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )


# --- database -----------------------------------------------------------------------------
def _ensure_database(url: str, rebuild: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if rebuild:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _images(n: int = 5):
    from io import BytesIO

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    Image = get_image_model()
    images = list(Image.objects.filter(title__startswith="bench-cover-").order_by("id"))
    colours = [(200, 30, 40), (30, 120, 200), (40, 160, 80), (220, 170, 40), (120, 60, 160)]
    for i in range(len(images), n):
        buf = BytesIO()
        PILImage.new("RGB", (1600, 900), colours[i % len(colours)]).save(buf, "JPEG")
        img = Image(title=f"bench-cover-{i}")
        img.file.save(f"bench-cover-{i}.jpg", ImageFile(buf, name=f"bench-cover-{i}.jpg"))
        img.save()
        images.append(img)
    return images


def _analyze() -> None:
    """Statistics for every table, as a production database has them (autovacuum, and
    `generate_org` for the tree). A table under autovacuum's threshold of 50 changed rows
    is never analyzed by it — here the bench's two units: without their statistics
    PostgreSQL read and sorted all news pages for each v1 list (3.5 ms) instead of
    walking the `(pinned, date)` index for the 21 it returns (0.35 ms)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _build(pages: int) -> dict:
    """Org, site, channel, images and `pages` NewsPage rows (see the module docstring)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from wagtail.models import Page, Site

    from api.caching import SHARED, version_bump
    from cms.models import HomePage, NewsIndexPage, NewsPage
    from cms.rendering import COVER_SPEC
    from organizations.models import Member, OrgUnit

    root = OrgUnit.objects.filter(code="BENCH").first() or OrgUnit.add_root(
        code="BENCH", name="基准测试党委", kind="committee"
    )
    branch = OrgUnit.objects.filter(code="BENCH-01").first()
    if branch is None:
        root.refresh_from_db()
        branch = root.add_child(code="BENCH-01", name="基准测试党支部")
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench_member")
    Member.objects.get_or_create(
        user=user, defaults={"unit": branch, "name": "基准党员", "member_no": "B0000001"}
    )

    channel = NewsIndexPage.objects.filter(channel_code="bench").first()
    if channel is None:
        home = HomePage(title="基准首页", slug="bench-home")
        Page.get_first_root_node().add_child(instance=home)
        home.save_revision().publish()
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
        )
        channel = NewsIndexPage(title="要闻", slug="bench-news", channel_code="bench")
        home.add_child(instance=channel)
        channel.save_revision().publish()
    images = _images()
    for img in images:
        img.get_rendition(COVER_SPEC)

    existing = NewsPage.objects.filter(path__startswith=channel.path).count()
    built = {"existing": existing, "created": 0, "seconds": 0.0}
    if existing >= pages:
        _analyze()
        return built
    t0 = time.perf_counter()
    if existing == 0:
        sample = NewsPage(
            title="样例新闻",
            slug="bench-sample",
            date=date(2026, 11, 1),
            publishing_unit=root,
            audience_unit=root,
            summary="样例摘要",
            source="集团党委宣传部",
            author="通讯员",
            cover_image=images[0],
            body=[("rich_text", "<p>样例正文</p>")],
        )
        channel.add_child(instance=sample)
        sample.save_revision().publish()
        existing = 1
    sample = NewsPage.objects.filter(path__startswith=channel.path).order_by("path").first()
    channel.refresh_from_db()
    todo = pages - existing
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT * FROM wagtailcore_page WHERE id = %s", [sample.pk])
        page_cols = [c.name for c in cur.description]
        page_row = dict(zip(page_cols, cur.fetchone(), strict=True))
        cur.execute("SELECT * FROM cms_newspage WHERE page_ptr_id = %s", [sample.pk])
        news_cols = [c.name for c in cur.description]
        news_row = dict(zip(news_cols, cur.fetchone(), strict=True))
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM wagtailcore_page")
        next_id = cur.fetchone()[0] + 1
        raw = cur.cursor  # psycopg 3 cursor: COPY
        start_child = channel.numchild + 1
        day0 = date(2026, 11, 27)
        page_cols_ins = [c for c in page_cols]
        with raw.copy(f"COPY wagtailcore_page ({', '.join(page_cols_ins)}) FROM STDIN") as copy:
            for i in range(todo):
                row = dict(page_row)
                pid = next_id + i
                slug = f"bench-{pid}"
                row.update(
                    id=pid,
                    path=NewsIndexPage._get_path(channel.path, channel.depth + 1, start_child + i),
                    depth=channel.depth + 1,
                    numchild=0,
                    title=f"基准新闻 {pid}",
                    draft_title=f"基准新闻 {pid}",
                    slug=slug,
                    url_path=f"{channel.url_path}{slug}/",
                    translation_key=uuid.uuid4(),
                    live_revision_id=None,
                    latest_revision_id=None,
                )
                copy.write_row([row[c] for c in page_cols_ins])
        with raw.copy(f"COPY cms_newspage ({', '.join(news_cols)}) FROM STDIN") as copy:
            for i in range(todo):
                row = dict(news_row)
                pid = next_id + i
                row.update(
                    page_ptr_id=pid,
                    date=day0 - timedelta(days=i % 1100),
                    summary=f"第 {pid} 条基准新闻的摘要",
                    cover_image_id=images[i % len(images)].pk,
                )
                copy.write_row([row[c] for c in news_cols])
        cur.execute(
            "UPDATE wagtailcore_page SET numchild = numchild + %s WHERE id = %s",
            [todo, channel.pk],
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('wagtailcore_page', 'id'), "
            "(SELECT MAX(id) FROM wagtailcore_page))"
        )
        version_bump("news", SHARED)
    _analyze()
    built.update(created=todo, seconds=time.perf_counter() - t0)
    return built


# --- serving and load -----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_rss_kb(master_pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return []
    out = []
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]))
        except OSError:
            continue
    return out


def _load(base: str, url: str, headers: dict, n: int, concurrency: int) -> dict:
    """`n` GETs of `url` from `concurrency` threads. The client is raw sockets with
    prebuilt request bytes (~0.1 ms of CPU a request, against ~1 ms for httpx), so on a
    2-core machine the server, not the load generator, is what is measured; the client's
    own CPU time is reported next to the result."""
    host, port = base.removeprefix("http://").split(":")
    raw = _http.build("GET", host, int(port), url, headers)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]

    def run(k: int) -> None:
        local, codes = [], {}
        for _ in range(k):
            t = time.perf_counter()
            status = _http.send(host, int(port), raw).status
            local.append(time.perf_counter() - t)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(local)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=run, args=(k,)) for k in per]
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "rps": n / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
        "client_cpu_ms": (time.process_time() - cpu0) * 1000 / n,
    }


def _query_counts(token: str) -> dict:
    """SQL per answer, in-process: full v1 answers with kept bodies off (what the view
    costs), then the 304 and the kept body with them on."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    out = {}
    settings.EHOME_API_BODY_CACHE = False
    etag = c.get(V1)["ETag"]  # this client's host: its own ETag
    for name, url, extra, kept in (
        ("v1", V1, {}, False),
        ("v1_100", V1.replace("page_size=20", "page_size=100"), {}, False),
        ("v2", V2, {}, False),
        ("v2_100", V2.replace("limit=20", "limit=100"), {}, False),
        ("v2t", V2T, {}, False),
        ("v2t_100", V2T.replace("limit=20", "limit=100"), {}, False),
        ("v1_304", V1, {"HTTP_IF_NONE_MATCH": etag}, True),
        ("v1_kept", V1, {}, True),
    ):
        settings.EHOME_API_BODY_CACHE = kept
        c.get(url, **extra)  # warm (renditions, caches, the kept body)
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(url, **extra)
        out[name] = (r.status_code, len(ctx.captured_queries))
    return out


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@contextlib.contextmanager
def _gunicorn(args, *, body_cache: bool):
    """gunicorn on a free port serving the bench settings; yields its base URL."""
    import httpx

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(os.environ["EHOME_VAR_DIR"]) / "gunicorn.log", "a")  # noqa: SIM115
    env = {**os.environ, "EHOME_API_BODY_CACHE": "1" if body_cache else "0"}
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
        env=env,
    )
    try:
        for _ in range(240):
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            sys.exit("gunicorn did not start (see gunicorn.log)")
        proc.rss = lambda: _worker_rss_kb(proc.pid)
        _GUNICORN[base] = proc
        yield base
    finally:
        _GUNICORN.pop(base, None)
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


_GUNICORN: dict = {}


def _check(base: str, headers: dict) -> str:
    """The two APIs answer the same items; returns v1's ETag."""
    import httpx

    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        v1 = c.get(V1)
        v2 = c.get(V2)
        v2t = c.get(V2T)
        assert v1.status_code == 200, v1.text[:500]
        assert v2.status_code == 200, v2.text[:500]
        assert v2t.status_code == 200, v2t.text[:500]
        assert [x["id"] for x in v2t.json()["items"]] == [x["id"] for x in v2.json()["items"]]
        etag = v1.headers["ETag"]
        v1_ids = [x["id"] for x in v1.json()["results"]]
        v2_ids = [x["id"] for x in v2.json()["items"]]
        assert c.get(V1, headers={"If-None-Match": etag}).status_code == 304
    print(
        f"items: v1 {len(v1_ids)} ({len(v1.content)} bytes), v2 {len(v2_ids)} "
        f"({len(v2.content)} bytes), same ids: {len(set(v1_ids) & set(v2_ids))}/20",
        flush=True,
    )
    return etag


def _workers_cpu_s(master_pid: int) -> float:
    """User + system CPU seconds of the gunicorn workers (from /proc/<pid>/stat)."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _scenario(base: str, url: str, headers: dict, args, name: str) -> dict:
    """Requests/s, latencies and the workers' CPU per request (the figure that holds on
    a machine others are using: it counts only this server's work)."""
    warm = max(20, args.requests // 10)
    _load(base, url, headers, warm, args.concurrency)
    proc = _GUNICORN[base]
    cpu0 = _workers_cpu_s(proc.pid)
    r = _load(base, url, headers, args.requests, args.concurrency)
    r["server_cpu_ms"] = (_workers_cpu_s(proc.pid) - cpu0) * 1000 / args.requests
    r["rss_kb"] = proc.rss()
    print(
        f"{name:8s}: {r['rps']:7.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
        f"p99 {r['p99_ms']:6.1f} ms  worker CPU {r['server_cpu_ms']:.2f} ms/req  "
        f"statuses {r['statuses']}  client CPU "
        f"{r['client_cpu_ms']:.2f} ms/req  worker RSS "
        f"{[kb // 1024 for kb in r['rss_kb']]} MB  load {_loadavg()}",
        flush=True,
    )
    return r


def _inner(argv: list[str]) -> None:
    args = _args(argv)
    _ensure_database(args.db_url, args.rebuild)
    import django

    django.setup()
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - t0:.1f} s", flush=True)
    built = _build(args.pages)
    print(
        f"data: {built['existing']} news pages existed, {built['created']} cloned by COPY in "
        f"{built['seconds']:.1f} s",
        flush=True,
    )

    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import RefreshToken

    user = get_user_model().objects.get(username="bench_member")
    token = str(RefreshToken.for_user(user).access_token)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-hans"}

    results: dict = {}
    # cold: every v1 answer built by the view (kept bodies off), against both v2s and the
    # 304; warm: the same v1 request with kept bodies on (api.caching.body_store)
    with _gunicorn(args, body_cache=False) as base:
        etag = _check(base, headers)
        for name, url, extra in (
            ("v1 full", V1, {}),
            ("v2 full", V2, {}),
            ("v2 tuned", V2T, {}),
            ("v1 304", V1, {"If-None-Match": etag}),
        ):
            results[name] = _scenario(base, url, {**headers, **extra}, args, name)
    with _gunicorn(args, body_cache=True) as base:
        results["v1 kept"] = _scenario(base, V1, headers, args, "v1 kept")

    counts = _query_counts(token)
    print("queries (status, count): " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    full, v2r, nm = results["v1 full"], results["v2 full"], results["v1 304"]
    v2t, kept = results["v2 tuned"], results["v1 kept"]
    nproc = os.cpu_count()
    pages = built["existing"] + built["created"]
    print("\n--- docs/benchmarks.md ## API ---")
    print(
        f"{date.today()}, nproc {nproc}, load average {_loadavg()}, {args.workers} gunicorn "
        f"workers, {args.concurrency} client threads, {args.requests} requests per scenario, "
        f"{pages} news pages"
    )
    print(
        "what the page count changes: v2 runs COUNT(*) over every live news page on each "
        "request (meta.total_count) and pages with OFFSET; v1 is a keyset feed reading only "
        f"the page it returns — at {pages} pages the ratio measures "
        + ("mostly that COUNT(*)" if pages >= 50_000 else "mostly per-item serialisation")
    )
    print(f"v1 / stock v2 requests/s: {full['rps'] / v2r['rps']:.2f}x (cold: every answer built)")
    print(f"v1 / tuned v2 requests/s: {full['rps'] / v2t['rps']:.2f}x (cold; target >= 5x, #23)")
    print(f"v1 kept / tuned v2 requests/s: {kept['rps'] / v2t['rps']:.2f}x (warm: kept bodies)")
    print(f"v1 304 / v1 full requests/s: {nm['rps'] / full['rps']:.2f}x (target >= 5x)")
    cpu = {k: r["server_cpu_ms"] for k, r in results.items()}
    print(
        "gunicorn worker CPU per request (PostgreSQL not included): "
        + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items())
        + f"; tuned v2 / v1 full: {cpu['v2 tuned'] / max(cpu['v1 full'], 1e-9):.2f}x"
    )
    print(
        f"queries per list: v1 {counts['v1'][1]} (page 100: {counts['v1_100'][1]}), "
        f"v2 {counts['v2'][1]} (limit 100: {counts['v2_100'][1]}), "
        f"tuned v2 {counts['v2t'][1]} (limit 100: {counts['v2t_100'][1]}), "
        f"v1 304 {counts['v1_304'][1]}, v1 kept {counts['v1_kept'][1]} "
        "(target: v1 <= 6 at any page size)"
    )


if __name__ == "__main__":
    if "--inner" in sys.argv[1:]:
        _inner([a for a in sys.argv[1:] if a != "--inner"])
    else:
        main(sys.argv[1:])
