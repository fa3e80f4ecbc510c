"""Search at catalogue scale (docs/benchmarks.md, "## Search").

`python -m bench search [-- --books 100000 --news 50000 --queries 300 --vendor both
                            --pg-db ehome_bench_search --baseline-queries 60]`

For each database (SQLite file under a fresh EHOME_VAR_DIR; PostgreSQL database
`--pg-db` (default $EHOME_BENCH_SEARCH_DB or `ehome_bench_search`), dropped and recreated
on the server of DATABASE_URL or postgres://postgres@127.0.0.1:5432) a worker process:
1. generates 150,000 documents (100k book-like, 50k news-like) of Chinese text drawn from
   jieba's dictionary by word frequency, with domain words, Traditional variants, ISBNs
   and Latin titles mixed in; audience units spread over a small org tree;
2. indexes them with the production code path (`search.services.documents_bulk_load`:
   normalise in worker processes + bulk upsert) and reports documents/s and index size;
3. runs a query mix through the one query service `search.query.search()` as a member
   (scope applied) — by relevance, by date, and restricted to the last year — plus
   suggestions, and the same mix through a naive baseline — an
   ORM `icontains` scan over title and text with the same scope — reporting p50/p95 and
   the ratio baseline/ours. The baseline cannot find Traditional↔Simplified or words
   split by segmentation; it is there for speed only. It scans the whole table (~0.5–1 s
   a query at 150k), so it runs on the first `--baseline-queries` of the mix only.

Each worker prints its progress on stderr and has a time limit (`--timeout`, seconds); a
failed or timed-out worker is reported and the other database still runs. At the end a
summary table and the full JSON of each database are printed, with the load average.
Full size, both databases, takes about 4 minutes on 2 cores (231 s at load average 2.6–4.7).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("EHOME_BENCH_SEARCH_DB", "ehome_bench_search")
SQLITE_DIR = Path("/tmp/ehome_bench_search")

DOMAIN = [
    "党建",
    "党员",
    "党费",
    "党支部",
    "党委",
    "学习",
    "教育",
    "主题教育",
    "三会一课",
    "党章",
    "党史",
    "廉洁",
    "纪律",
    "先锋",
    "模范",
    "海外",
    "项目",
    "安全生产",
    "互联网+",
    "志愿者",
    "组织关系",
    "转接",
    "政治生日",
    "结对帮扶",
    "知识竞答",
    "手机报",
    "微党课",
    "社会主义",
    "新时代",
    "高质量发展",
    "基层",
    "书记",
    "青年",
    "工会",
    "隧道",
    "铁路",
    "桥梁",
    "施工",
]
TRAD = ["黨建", "黨員", "黨費", "黨支部", "學習", "教育", "廉潔", "紀律", "鐵路", "橋樑", "歷史"]
LATIN = ["BIM", "ISO9001", "5G", "Python", "The Art of War", "Red Star", "PPP", "EPC", "GDP"]


def _vocabulary(n: int = 30000) -> tuple[list[str], list[float]]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            word, freq, *_ = line.split()
            if len(word) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in word):
                rows.append((word, int(freq)))
    rows.sort(key=lambda r: -r[1])
    rows = rows[:n]
    cum, total = [], 0.0
    for _, f in rows:
        total += f**0.7
        cum.append(total)
    return [w for w, _ in rows], cum


class Generator:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.words, self.cum_weights = _vocabulary()

    def text(self, n_words: int) -> str:
        rng = self.rng
        words = rng.choices(self.words, cum_weights=self.cum_weights, k=n_words)
        for i in range(0, n_words, 15):  # a domain word every ~15 words
            words[i] = rng.choice(DOMAIN)
        if rng.random() < 0.05:
            words[rng.randrange(n_words)] = rng.choice(TRAD)
        if rng.random() < 0.05:
            words[rng.randrange(n_words)] = " " + rng.choice(LATIN) + " "
        out, sentence = [], 0
        for w in words:
            out.append(w)
            sentence += 1
            if sentence >= self.rng.randint(6, 12):
                out.append(self.rng.choice("，。；"))
                sentence = 0
        return "".join(out) + "。"

    def isbn(self) -> str:
        digits = "978" + "".join(str(self.rng.randrange(10)) for _ in range(10))
        return f"{digits[:3]}-{digits[3]}-{digits[4:7]}-{digits[7:12]}-{digits[12]}"


def _pick_units(n_units: int):
    from organizations.models import OrgUnit

    root = OrgUnit.add_root(code="B", name="集团党委", kind="committee")
    units = [root]
    for i in range(n_units):
        parent = units[0] if i < 10 else units[1 + (i % 10)]
        parent.refresh_from_db()
        units.append(parent.add_child(code=f"B{i:03d}", name=f"单位{i}", kind="branch"))
    return units


def _generate(args, units) -> list:
    from django.utils import timezone

    from search.registry import IndexedDoc

    gen = Generator()
    now = timezone.now()
    paths = [u.path for u in units]
    # most content is addressed group-wide or to a committee, some to branches
    weights = [30] + [5] * 10 + [1] * (len(paths) - 11)
    cum = [sum(weights[: i + 1]) for i in range(len(weights))]
    docs = []
    for i in range(args.books):
        lang_title = gen.rng.random() < 0.03
        title = gen.text(3).rstrip("。")[:30]
        if lang_title:
            title = gen.rng.choice(LATIN) + " " + title
        docs.append(
            IndexedDoc(
                doc_type="book",
                object_id=i + 1,
                title=title,
                body=f"ISBN {gen.isbn()} " + gen.text(gen.rng.randint(15, 40)),
                audience_path=gen.rng.choices(paths, cum_weights=cum)[0],
                is_published=gen.rng.random() > 0.02,
                date=now - timezone.timedelta(days=gen.rng.randrange(3650)),
            )
        )
    for i in range(args.news):
        docs.append(
            IndexedDoc(
                doc_type="news",
                object_id=i + 1,
                title=gen.text(gen.rng.randint(3, 6)).rstrip("。")[:40],
                body=gen.text(gen.rng.randint(60, 160)),
                audience_path=gen.rng.choices(paths, cum_weights=cum)[0],
                is_published=gen.rng.random() > 0.02,
                date=now - timezone.timedelta(days=gen.rng.randrange(1500)),
            )
        )
    return docs


def _query_mix(n: int, docs) -> list[str]:
    gen = Generator(seed=11)
    rng = random.Random(13)
    mid = gen.words[500:5000]
    queries = []
    for i in range(n):
        kind = i % 10
        if kind < 3:
            queries.append(rng.choice(DOMAIN))  # very common words
        elif kind < 6:
            queries.append(rng.choice(mid))  # mid-frequency words
        elif kind < 8:
            queries.append(rng.choice(DOMAIN) + " " + rng.choice(mid))  # two words
        elif kind == 8:
            queries.append(rng.choice(TRAD))  # Traditional
        else:
            doc = rng.choice(docs[: len(docs) // 2])
            queries.append(
                rng.choice([rng.choice(LATIN), doc.body.split()[1], doc.title[:6]])
            )  # Latin, ISBN with hyphens, a title prefix
    return queries


_KINDS = ["common"] * 3 + ["mid"] * 3 + ["two_words"] * 2 + ["traditional", "latin_isbn_title"]


def _percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 2),
        "p95_ms": round(samples[max(0, -(-len(samples) * 95 // 100) - 1)] * 1000, 2),
        "max_ms": round(samples[-1] * 1000, 2),
    }


def _index_size(vendor: str) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute(
                "SELECT pg_total_relation_size('search_searchdocument'), "
                "pg_relation_size('search_doc_vectors_gin'), pg_relation_size('search_searchdocument')"
            )
            total, gin, heap = cur.fetchone()
            return {
                "table_and_indexes_mb": round(total / 2**20, 1),
                "gin_mb": round(gin / 2**20, 1),
                "heap_mb": round(heap / 2**20, 1),
            }
        try:
            cur.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'search_%' GROUP BY name"
            )
            sizes = dict(cur.fetchall())
        except Exception:
            sizes = {}
        fts = sum(v for k, v in sizes.items() if k.startswith("search_fts"))
        table = sum(v for k, v in sizes.items() if not k.startswith("search_fts"))
        return {"fts5_mb": round(fts / 2**20, 1), "table_and_indexes_mb": round(table / 2**20, 1)}


def _baseline(q: str, scope, page_size: int = 20):
    """Naive scan: icontains over title and text, same scope, newest first, + count."""
    from django.db.models import Q

    from search.models import SearchDocument

    qs = SearchDocument.objects.filter(is_published=True)
    if not scope.everything:
        cond = Q(audience_path__in=scope.paths)
        for p in scope.prefixes:
            cond |= Q(audience_path__startswith=p)
        qs = qs.filter(cond)
    words = q.split() or [q]
    for w in words:
        qs = qs.filter(Q(title__icontains=w) | Q(snippet_text__icontains=w))
    total = qs.count()
    rows = list(qs.order_by("-date").values("doc_type", "object_id", "title")[:page_size])
    return total, rows


_T0 = time.perf_counter()


def _progress(msg: str) -> None:
    sys.stderr.write(f"  [{time.perf_counter() - _T0:6.1f}s] {msg}\n")
    sys.stderr.flush()


def _measure(args) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from search.normalize import get_jieba
    from search.query import scope_for_user, search, suggest
    from search.services import documents_bulk_load
    from tests.factories import member_in

    load_start = os.getloadavg()
    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    segmenter = getattr(get_jieba(), "name", "jieba")
    _progress(f"{vendor}: migrated; segmenter {segmenter}")
    units = _pick_units(50)
    docs = _generate(args, units)
    size_before = _index_size(vendor)
    _progress(f"{vendor}: generated {len(docs)} documents; indexing")

    started = time.perf_counter()
    stats = documents_bulk_load(docs=docs, processes=args.processes)
    elapsed = time.perf_counter() - started
    _progress(
        f"{vendor}: indexed in {elapsed:.1f}s ({len(docs) / elapsed:.0f} docs/s; "
        f"waiting for normalisation {stats['normalise_seconds']:.1f}s, "
        f"writing {stats['insert_seconds']:.1f}s)"
    )
    started = time.perf_counter()
    if vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE search_searchdocument")
    else:
        with connection.cursor() as cur:
            cur.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cur.execute("ANALYZE")
    maintenance = time.perf_counter() - started
    _progress(
        f"{vendor}: {'VACUUM ANALYZE' if vendor == 'postgresql' else 'FTS5 optimize + ANALYZE'} {maintenance:.1f}s; querying"
    )

    user = member_in(units[12]).user  # a branch member: sees root + committee + branch
    scope = scope_for_user(user)
    queries = _query_mix(args.queries, docs)
    for q in queries[:20]:  # warm caches
        search(q, user=user)
        search(q, user=user, sort="date")
    _baseline(queries[0], scope)

    ours, ours_date, ours_range, sugg, found_ours, found_list = [], [], [], [], 0, []
    # the last year, as the portal's "时间" filter sends it (to is exclusive)
    from django.utils import timezone

    now = timezone.now()
    year = {"date_from": now - timezone.timedelta(days=365), "date_to": now}
    by_kind: dict[str, list[float]] = {}
    for i, q in enumerate(queries):
        t = time.perf_counter()
        res = search(q, user=user)
        ours.append(time.perf_counter() - t)
        by_kind.setdefault(_KINDS[i % 10], []).append(ours[-1])
        found_ours += res.total > 0
        found_list.append(res.total > 0)
        t = time.perf_counter()
        search(q, user=user, sort="date")
        ours_date.append(time.perf_counter() - t)
        t = time.perf_counter()
        search(q, user=user, filters=year)
        ours_range.append(time.perf_counter() - t)
        t = time.perf_counter()
        suggest(q[:3], user=user)
        sugg.append(time.perf_counter() - t)
    _progress(f"{vendor}: {len(queries)} queries done; baseline on {args.baseline_queries}")
    base, base_ours, found_base = [], [], 0
    for q in queries[: args.baseline_queries]:
        t = time.perf_counter()
        total, _ = _baseline(q, scope)
        base.append(time.perf_counter() - t)
        found_base += total > 0
    base_ours = ours[: len(base)]
    ours_p, base_p = _percentiles(ours), _percentiles(base)
    same_p = _percentiles(base_ours)
    _progress(f"{vendor}: done")
    return {
        "vendor": vendor,
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "segmenter": segmenter,
        "processes": args.processes,
        "documents": len(docs),
        "index_seconds": round(elapsed, 1),
        "docs_per_second": round(len(docs) / elapsed),
        "maintenance_seconds": round(maintenance, 1),
        "docs_per_second_incl_maintenance": round(len(docs) / (elapsed + maintenance)),
        "normalise_seconds": round(stats["normalise_seconds"], 1),
        "insert_seconds": round(stats["insert_seconds"], 1),
        "index_size": _index_size(vendor),
        "size_before": size_before,
        "queries": len(queries),
        "search_relevance": ours_p,
        "search_date": _percentiles(ours_date),
        "search_last_year": _percentiles(ours_range),
        "search_relevance_by_kind": {k: _percentiles(v) for k, v in by_kind.items()},
        "suggest": _percentiles(sugg),
        "baseline_queries": len(base),
        "baseline_icontains": base_p,
        "ours_on_baseline_queries": same_p,
        "p95_ratio_baseline_over_ours": round(base_p["p95_ms"] / max(same_p["p95_ms"], 0.01), 1),
        "p50_ratio_baseline_over_ours": round(base_p["p50_ms"] / max(same_p["p50_ms"], 0.01), 1),
        "queries_with_hits": {
            "ours": found_ours,
            "ours_on_baseline_queries": sum(found_list[: len(base)]),
            "baseline": found_base,
        },
    }


def _pg_url(db: str) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not base.startswith("postgres"):
        parts = urlsplit("postgres://postgres@127.0.0.1:5432/postgres")
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{db}"))


def _run_worker(env: dict, argv: list[str], timeout: float, *, bench: str = "search") -> dict:
    """Run one database's measurement of `bench` in its own process; its progress goes to
    our stderr, its JSON result is the last line of its stdout."""
    cmd = [sys.executable, "-m", "bench", bench, "--", "--worker", *argv]
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    lines = (proc.stdout or "").strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"worker exited with status {proc.returncode}"}
    return json.loads(lines[-1])


def _summary(results: list[dict]) -> str:
    rows = [
        ("search p50 / p95, relevance (ms)", lambda r: _pair(r["search_relevance"])),
        ("search p50 / p95, by date (ms)", lambda r: _pair(r["search_date"])),
        ("search p50 / p95, last year only (ms)", lambda r: _pair(r["search_last_year"])),
        ("suggest p50 / p95 (ms)", lambda r: _pair(r["suggest"])),
        (
            "baseline icontains p50 / p95 (ms)",
            lambda r: _pair(r["baseline_icontains"]) + f" ({r['baseline_queries']} queries)",
        ),
        (
            "ours on the same queries p50 / p95 (ms)",
            lambda r: _pair(r["ours_on_baseline_queries"]),
        ),
        (
            "baseline / ours p50, p95",
            lambda r: f"{r['p50_ratio_baseline_over_ours']}×, {r['p95_ratio_baseline_over_ours']}×",
        ),
        (
            "indexing docs/s",
            lambda r: (
                f"{r['docs_per_second']} ({r['docs_per_second_incl_maintenance']} incl. "
                f"{r['maintenance_seconds']} s VACUUM/optimize; waiting for normalisation "
                f"{r['normalise_seconds']} s, writing {r['insert_seconds']} s; "
                f"{r['processes']} processes, {r['segmenter']})"
            ),
        ),
        ("index size (MB)", lambda r: ", ".join(f"{k} {v}" for k, v in r["index_size"].items())),
        (
            "load average start → end",
            lambda r: f"{r['load_average_start'][0]} → {r['load_average_end'][0]}",
        ),
    ]
    out = []
    for r in results:
        out.append(f"--- {r.get('vendor', '?')} ({r.get('documents', '?')} documents)")
        if "error" in r:
            out.append(f"  FAILED: {r['error']}")
            continue
        for label, fn in rows:
            out.append(f"  {label:42} {fn(r)}")
    return "\n".join(out)


def _pair(p: dict) -> str:
    return f"{p['p50_ms']} / {p['p95_ms']}"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench search")
    parser.add_argument("--books", type=int, default=100_000)
    parser.add_argument("--news", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--baseline-queries",
        type=int,
        default=60,
        help="how many of the queries also run through the icontains baseline",
    )
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--vendor", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--pg-db", default=BENCH_DB, help="PostgreSQL database (recreated)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per database")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_measure(args)))
        return
    passthrough = [
        f"--books={args.books}",
        f"--news={args.news}",
        f"--queries={args.queries}",
        f"--baseline-queries={args.baseline_queries}",
        f"--processes={args.processes}",
    ]
    base_env = {**os.environ, "DJANGO_DEBUG": "0", "EHOME_LOG_LEVEL": "WARNING"}
    for key in ("EHOME_TASKS_IMMEDIATE", "ELASTICSEARCH_URL", "REDIS_URL"):
        base_env.pop(key, None)
    results = []
    started = time.perf_counter()
    if args.vendor in ("both", "sqlite"):
        shutil.rmtree(SQLITE_DIR, ignore_errors=True)
        env = {**base_env, "EHOME_VAR_DIR": str(SQLITE_DIR)}
        env.pop("DATABASE_URL", None)
        print("… SQLite", flush=True)
        results.append({"vendor": "sqlite", **_run_worker(env, passthrough, args.timeout)})
    if args.vendor in ("both", "postgresql"):
        import psycopg

        admin, bench_url = _pg_url(args.pg_db)
        print(f"… PostgreSQL (database {args.pg_db})", flush=True)
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.pg_db}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{args.pg_db}"')
        except psycopg.Error as exc:
            results.append({"vendor": "postgresql", "error": f"cannot create database: {exc}"})
        else:
            env = {**base_env, "DATABASE_URL": bench_url, "EHOME_VAR_DIR": str(SQLITE_DIR) + "-pg"}
            results.append({"vendor": "postgresql", **_run_worker(env, passthrough, args.timeout)})
    print(
        f"machine: nproc={os.cpu_count()}  date={time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"  load average now {os.getloadavg()[0]:.2f}  total {time.perf_counter() - started:.0f}s"
    )
    print(_summary(results))
    for r in results:
        print(json.dumps(r, ensure_ascii=False, indent=2))
    print("→ record in docs/benchmarks.md, section '## Search'")
    if any("error" in r for r in results):
        raise SystemExit(1)
