"""The labelled relevance set of `bench search_relevance` (docs/benchmarks.md, "## Search
relevance").

Two corpora:
- **demo**: the 104 published search documents `manage.py seed_demo` creates (news,
  exemplar stories, the digest, books, periodicals and their issues, the course and its
  lessons), exported to `_relevance_demo.json` (type, id, title, body as indexed);
- **bench**: `BENCH_DOCS` book- and news-like documents from bench/search.py's generator
  (jieba dictionary words by frequency, domain words, Traditional variants, Latin titles,
  hyphenated ISBNs), seeded, so every run sees the same documents.

Queries: `DEMO_QUERIES` are written by hand; `bench_queries()` picks its queries from the
generated documents with a fixed seed (word pairs, phrases cut from a title or a sentence,
Traditional words, ISBNs with and without hyphens, Latin titles, single characters).

Judgments (graded 0–3) come from one rule over the *original* text — never from the
segmenter or an index, so an engine cannot grade itself. Text is compared after
Traditional → Simplified, lower-casing and dropping everything but letters and digits
(`canon`); the query's segments are its jieba accurate-mode words (what "segment" means in
the issue):
- 3: the title contains the whole query;
- 2: the body contains the whole query;
- 1: title and body together contain every segment, not adjacent;
- 0: anything else (a document with only some segments is not relevant).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

DEMO_FILE = Path(__file__).with_name("_relevance_demo.json")
BENCH_DOCS = 4000

_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Query:
    text: str
    kind: str  # simplified | traditional | mixed | isbn | name | phrase | words | char
    corpus: str  # demo | bench


DEMO_QUERIES = [
    Query(q, kind, "demo")
    for q, kind in [
        ("党费", "simplified"),
        ("党员", "simplified"),
        ("三会一课", "simplified"),
        ("微党课", "simplified"),
        ("党史", "simplified"),
        ("求是", "simplified"),
        ("建筑施工", "simplified"),
        ("亲情档案", "simplified"),
        ("冬季施工", "simplified"),
        ("纪律处分条例", "simplified"),
        ("黨費繳納", "traditional"),
        ("三會一課", "traditional"),
        ("微聽黨章", "traditional"),
        ("黨員先鋒崗", "traditional"),
        ("中國共產黨章程", "traditional"),
        ("BIM 技术", "mixed"),
        ("党建e家", "mixed"),
        ("App 缴纳党费", "mixed"),
        ("2026年第1期", "mixed"),
        ("9787500000013", "isbn"),
        ("978-7-5000-0042-6", "isbn"),
        ("1000-002X", "isbn"),
        ("张建国", "name"),
        ("李秀英", "name"),
        ("王海燕", "name"),
        ("陈立新", "name"),
        ("雅万高铁", "name"),
        ("坦桑尼亚", "name"),
        ("一键交党费", "phrase"),
        ("海外党员党费缴纳方式", "phrase"),
        ("集团党委召开专题会议学习贯彻", "phrase"),
        ("党员教育管理", "phrase"),
        ("港口铁人", "phrase"),
        ("学习强国", "phrase"),
        ("海外工程", "phrase"),
        ("工程书屋", "words"),
        ("安全生产 党员", "words"),
        ("党支部工作", "words"),
        ("坦桑尼亚港口", "words"),
        ("党", "char"),
        ("书", "char"),
        ("铁", "char"),
    ]
]


def canon(text: str) -> str:
    from search.normalize import fold

    return _NON_WORD.sub("", fold(text or ""))


def segments(query: str) -> list[str]:
    from search.normalize import get_jieba

    out = []
    for part in query.split():
        if re.search(r"[\u3400-\u9fff]", part):
            out += [canon(w) for w in get_jieba().cut(part)]
        else:
            out.append(canon(part))
    return [s for s in dict.fromkeys(out) if s]


def grade(query: str, title: str, body: str) -> int:
    whole = canon(query)
    if not whole:
        return 0
    title_c, body_c = canon(title), canon(body)
    if whole in title_c:
        return 3
    if whole in body_c:
        return 2
    both = title_c + "\x00" + body_c
    segs = segments(query)
    return 1 if len(segs) > 1 and all(s in both for s in segs) else 0


def demo_docs() -> list[dict]:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def bench_docs(n: int = BENCH_DOCS) -> list[dict]:
    """`n` documents (60 % book-like, 40 % news-like) from bench/search.py's generator."""
    from bench.search import LATIN, Generator

    gen = Generator(seed=23)
    docs = []
    for i in range(n):
        if i % 5 < 3:
            title = gen.text(3).rstrip("。")[:30]
            if gen.rng.random() < 0.05:
                title = gen.rng.choice(LATIN) + " " + title
            body = f"ISBN {gen.isbn()} " + gen.text(gen.rng.randint(15, 40))
            docs.append({"type": "book", "id": i + 1, "title": title, "body": body})
        else:
            title = gen.text(gen.rng.randint(3, 6)).rstrip("。")[:40]
            body = gen.text(gen.rng.randint(60, 160))
            docs.append({"type": "news", "id": i + 1, "title": title, "body": body})
    return docs


def _sentence_piece(rng: random.Random, text: str, length: int) -> str | None:
    parts = [p for p in re.split(r"[，。；\s]", text) if len(p) >= length]
    if not parts:
        return None
    part = rng.choice(parts)
    start = rng.randrange(len(part) - length + 1)
    return part[start : start + length]


def bench_queries(docs: list[dict]) -> list[Query]:
    from bench.search import DOMAIN, LATIN, TRAD

    rng = random.Random(29)
    out: list[Query] = []
    domain = [w for w in DOMAIN if "+" not in w]
    for _ in range(6):
        a, b = rng.sample(domain, 2)
        out.append(Query(f"{a} {b}", "words", "bench"))
    for _ in range(3):
        out.append(Query(rng.choice(domain) + rng.choice(domain), "words", "bench"))
    while sum(q.kind == "phrase" for q in out) < 6:
        doc = rng.choice(docs)
        piece = _sentence_piece(rng, doc["title"], 5)
        if piece and re.fullmatch(r"[\u4e00-\u9fff]+", piece):
            out.append(Query(piece, "phrase", "bench"))
    while sum(q.kind == "phrase" for q in out) < 10:
        piece = _sentence_piece(rng, rng.choice(docs)["body"], 10)
        if piece and re.fullmatch(r"[\u4e00-\u9fff]+", piece):
            out.append(Query(piece, "phrase", "bench"))
    for word in rng.sample(TRAD, 4):
        out.append(Query(word, "traditional", "bench"))
    out.append(Query(rng.choice(TRAD) + " " + rng.choice(domain), "traditional", "bench"))
    books = [d for d in docs if d["type"] == "book"]
    for i, doc in enumerate(rng.sample(books, 4)):
        isbn = doc["body"].split()[1]
        out.append(Query(isbn if i % 2 else isbn.replace("-", ""), "isbn", "bench"))
    for title in ("The Art of War", "ISO9001", "Red Star"):
        out.append(Query(title, "mixed", "bench"))
    out.append(Query(rng.choice(LATIN[:3]) + " " + rng.choice(domain), "mixed", "bench"))
    for char in ("党", "桥", "铁"):
        out.append(Query(char, "char", "bench"))
    return out
