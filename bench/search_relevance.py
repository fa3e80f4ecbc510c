"""Search relevance: nDCG@10 and recall@10 on a labelled query set (docs/benchmarks.md,
"## Search relevance").

`python -m bench search_relevance [-- --vendor both|sqlite|postgresql --bench-docs 4000
                                      --pg-db ehome_bench_relevance --verbose]`
(`make bench BENCH_ARGS="search_relevance"`; `search-relevance` works too.)

The queries, the two corpora (the demo content, generated catalogue documents) and the
grading rule are in bench/_relevance_set.py. For each database (a fresh SQLite file; the
PostgreSQL database `--pg-db`, dropped and recreated) a worker process indexes each corpus
with the production code (`search.services.documents_upsert`) and runs every query of
that corpus through the one query service `search.query.search()` as a superuser (scope is
not what is measured here), page size 10. The SQLite worker also runs the queries against
the Elasticsearch query body: the service talks to bench/_es_sim.py, an in-memory stand-in
that evaluates the JSON `build_search` sends with Elasticsearch's BM25 and query logic over
the documents the backend would index.

Metrics, per engine, averaged over queries (and per query kind):
- nDCG@10 with gains 2^grade − 1 against the ideal ordering of every judged document;
- recall@10 = relevant documents (grade ≥ 1) in the top 10 / min(10, relevant documents);
- precision of the result set: the share of returned documents (top 10) with grade ≥ 1;
- queries whose top 10 contains a grade-0 document ("noise").
Queries with no relevant document count 1 for nDCG and recall when nothing is returned
and 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.search import _pg_url
from bench.search import _run_worker as run_search_worker

ROOT = Path(__file__).resolve().parent.parent
SQLITE_DIR = Path("/tmp/ehome_bench_relevance")
PG_DB = os.environ.get("EHOME_BENCH_RELEVANCE_DB", "ehome_bench_relevance")
K = 10


def _dcg(gains: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:K]))


def score_query(ranked: list[tuple[str, int]], judged: dict[tuple[str, int], int]) -> dict:
    gains = [judged.get(key, 0) for key in ranked[:K]]
    relevant = sum(1 for g in judged.values() if g > 0)
    if not relevant:
        empty = 1.0 if not ranked else 0.0
        return {"ndcg": empty, "recall": empty, "precision": empty, "noise": bool(ranked)}
    ideal = _dcg(sorted(judged.values(), reverse=True))
    found = sum(1 for g in gains if g > 0)
    return {
        "ndcg": _dcg(gains) / ideal if ideal else 0.0,
        "recall": found / min(K, relevant),
        "precision": found / len(gains) if gains else 0.0,
        "noise": any(g == 0 for g in gains),
    }


def _index(docs: list[dict]) -> None:
    from django.utils import timezone

    from search.models import SearchDocument
    from search.registry import IndexedDoc
    from search.services import documents_upsert

    SearchDocument.objects.all().delete()
    now = timezone.now()
    documents_upsert(
        docs=[
            IndexedDoc(
                doc_type=d["type"],
                object_id=d["id"],
                title=d["title"],
                body=d["body"],
                audience_path="",
                is_published=True,
                # a fixed order for ties: the corpus order, newest first
                date=now - timezone.timedelta(minutes=n),
            )
            for n, d in enumerate(docs)
        ]
    )


def _es_engine():
    """Route search.query through the simulated cluster; returns a restore callable."""
    from django.conf import settings
    from django.utils import timezone

    from bench._es_sim import SimulatedES
    from search.backends import elastic
    from search.models import SearchDocument, SearchIndexState

    rows = list(SearchDocument.objects.all())
    sources = [elastic.doc_source(r) for r in rows]
    index_of = {t: elastic.alias_name(t) for t in {r.doc_type for r in rows}}
    for t, alias in index_of.items():
        SearchIndexState.objects.update_or_create(
            doc_type=t,
            defaults={
                "alias": alias,
                "index_name": alias + "-sim",
                "analyzer": "cjk",
                "built_at": timezone.now(),
            },
        )
    old = getattr(settings, "ELASTICSEARCH_URL", None)
    settings.ELASTICSEARCH_URL = "http://es.sim:9200"
    elastic.set_client(SimulatedES(sources, index_of))

    def restore():
        settings.ELASTICSEARCH_URL = old
        elastic.set_client(None)
        SearchIndexState.objects.all().delete()

    return restore


def _run_queries(queries, docs, user, engine: str, verbose: bool) -> list[dict]:
    from bench._relevance_set import grade
    from search.query import search

    rows = []
    for q in queries:
        judged = {(d["type"], d["id"]): grade(q.text, d["title"], d["body"]) for d in docs}
        judged = {k: g for k, g in judged.items() if g}
        res = search(q.text, user=user, page_size=K)
        if engine == "elasticsearch" and res.backend != "elasticsearch":
            raise RuntimeError(f"expected the simulated cluster to answer, got {res.backend}")
        ranked = [(h.type, h.id) for h in res.hits]
        m = score_query(ranked, judged)
        rows.append({"query": q.text, "kind": q.kind, "corpus": q.corpus, **m})
        if verbose:
            tops = [judged.get(k, 0) for k in ranked]
            sys.stderr.write(
                f"  {engine:13} {q.corpus:5} {q.kind:11} nDCG {m['ndcg']:.2f} "
                f"R {m['recall']:.2f} relevant {len(judged):4} total {res.total:5} "
                f"grades {tops} {q.text}\n"
            )
    return rows


def _measure(args) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench._relevance_set import DEMO_QUERIES, bench_docs, bench_queries, demo_docs
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0, interactive=False)
    user = UserFactory(username="relevance-root", is_superuser=True, is_staff=True)
    vendor = connection.vendor
    corpora = [("demo", demo_docs(), DEMO_QUERIES)]
    generated = bench_docs(args.bench_docs)
    corpora.append(("bench", generated, bench_queries(generated)))
    engines = {vendor: []}
    if vendor == "sqlite":
        engines["elasticsearch"] = []
    for name, docs, queries in corpora:
        started = time.perf_counter()
        _index(docs)
        sys.stderr.write(
            f"  {vendor}: {name} corpus, {len(docs)} documents indexed in "
            f"{time.perf_counter() - started:.1f}s; {len(queries)} queries\n"
        )
        engines[vendor] += _run_queries(queries, docs, user, vendor, args.verbose)
        if "elasticsearch" in engines:
            restore = _es_engine()
            try:
                engines["elasticsearch"] += _run_queries(
                    queries, docs, user, "elasticsearch", args.verbose
                )
            finally:
                restore()
    return {"vendor": vendor, "engines": engines}


def _mean(rows, key) -> float:
    return round(sum(r[key] for r in rows) / len(rows), 3) if rows else 0.0


def summarise(rows: list[dict]) -> dict:
    by_kind = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    return {
        "queries": len(rows),
        "ndcg@10": _mean(rows, "ndcg"),
        "recall@10": _mean(rows, "recall"),
        "precision@10": _mean(rows, "precision"),
        "queries_with_noise": sum(r["noise"] for r in rows),
        "by_corpus": {
            c: {"ndcg@10": _mean(sub, "ndcg"), "recall@10": _mean(sub, "recall")}
            for c in ("demo", "bench")
            if (sub := [r for r in rows if r["corpus"] == c])
        },
        "by_kind": {
            k: {"n": len(v), "ndcg@10": _mean(v, "ndcg"), "recall@10": _mean(v, "recall")}
            for k, v in sorted(by_kind.items())
        },
    }


def _run_worker(env: dict, argv: list[str], timeout: float) -> dict:
    return run_search_worker(env, argv, timeout, bench="search_relevance")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench search_relevance")
    parser.add_argument("--vendor", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--bench-docs", type=int, default=4000)
    parser.add_argument("--pg-db", default=PG_DB, help="PostgreSQL database (recreated)")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--verbose", action="store_true", help="one line per query (stderr)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_measure(args)))
        return
    passthrough = [f"--bench-docs={args.bench_docs}"] + (["--verbose"] if args.verbose else [])
    base_env = {**os.environ, "DJANGO_DEBUG": "0", "EHOME_LOG_LEVEL": "WARNING"}
    for key in ("EHOME_TASKS_IMMEDIATE", "ELASTICSEARCH_URL", "REDIS_URL"):
        base_env.pop(key, None)
    results = []
    started = time.perf_counter()
    if args.vendor in ("both", "sqlite"):
        shutil.rmtree(SQLITE_DIR, ignore_errors=True)
        env = {**base_env, "EHOME_VAR_DIR": str(SQLITE_DIR)}
        env.pop("DATABASE_URL", None)
        print("… SQLite (and the Elasticsearch query body, simulated)", flush=True)
        results.append(_run_worker(env, passthrough, args.timeout))
    if args.vendor in ("both", "postgresql"):
        import psycopg

        admin, url = _pg_url(args.pg_db)
        print(f"… PostgreSQL (database {args.pg_db})", flush=True)
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.pg_db}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{args.pg_db}"')
        except psycopg.Error as exc:
            results.append({"vendor": "postgresql", "error": f"cannot create database: {exc}"})
        else:
            env = {**base_env, "DATABASE_URL": url, "EHOME_VAR_DIR": str(SQLITE_DIR) + "-pg"}
            results.append(_run_worker(env, passthrough, args.timeout))
    print(
        f"machine: nproc={os.cpu_count()}  date={time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"  load average {os.getloadavg()[0]:.2f}  total {time.perf_counter() - started:.0f}s"
    )
    failed = False
    for r in results:
        if "error" in r:
            print(f"--- {r.get('vendor', '?')}: FAILED: {r['error']}")
            failed = True
            continue
        for engine, rows in r["engines"].items():
            s = summarise(rows)
            print(
                f"--- {engine}: {s['queries']} queries  nDCG@10 {s['ndcg@10']}  "
                f"recall@10 {s['recall@10']}  precision@10 {s['precision@10']}  "
                f"queries with noise {s['queries_with_noise']}"
            )
            print("    " + json.dumps({"by_corpus": s["by_corpus"]}, ensure_ascii=False))
            for kind, v in s["by_kind"].items():
                print(
                    f"    {kind:12} n={v['n']:2}  nDCG@10 {v['ndcg@10']}  recall@10 {v['recall@10']}"
                )
    print("→ record in docs/benchmarks.md, section '## Search relevance'")
    if failed:
        raise SystemExit(1)
