"""An in-memory stand-in for Elasticsearch's `_search`, for `bench search_relevance` only.

Elasticsearch cannot run on the machines this project is measured on, so the relevance of
the query body `search.backends.elastic.build_search` sends is estimated here: the client
below answers `_search` by evaluating that JSON body against the documents the backend
would have indexed (`elastic.doc_source` of every search row), with Elasticsearch's
documented logic:
- analyzers: `tokens` (whitespace + lowercase) as mapped; `zh` and `zh_bigram` as the
  built-in CJK chain (standard tokenizer: one token per Han character, Latin/digit words;
  `cjk_bigram`: adjacent Han characters → bigrams, a lone one stays a unigram). The
  smartcn variant cannot be reproduced without the plugin;
- BM25 per field (k1 = 1.2, b = 0.75, idf = ln(1 + (N − n + 0.5) / (n + 0.5))) × boost;
- `bool` (must / should / filter / must_not / minimum_should_match), `constant_score`,
  `multi_match`
  (`best_fields`: the best field, `cross_fields`: every term in some field, scored by its
  best field; `operator`), `match`, `match_phrase` (slop 0), `term`, `terms`, `prefix`,
  `range`, `post_filter`, the `doc_type` terms aggregation, sort by `_score` then date.
Cross-field idf blending and per-shard statistics are not modelled. It is a yardstick for
comparing query bodies on the same documents, not a replacement for a live cluster.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig, ObjectApiResponse
from elasticsearch import Elasticsearch

K1, B = 1.2, 0.75
_STD = re.compile(r"[\u3400-\u9fff]|[^\W_\u3400-\u9fff]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def analyze(field: str, text: str) -> list[str]:
    text = (text or "").lower()
    if field.endswith("_tokens"):
        return text.split()
    out: list[str] = []
    run: list[str] = []
    last_end = -1

    def flush():
        if len(run) == 1:
            out.append(run[0])
        else:
            out.extend(run[i] + run[i + 1] for i in range(len(run) - 1))
        run.clear()

    for m in _STD.finditer(text):
        tok = m.group()
        if _HAN.fullmatch(tok):
            if run and m.start() != last_end:
                flush()
            run.append(tok)
        else:
            if run:
                flush()
            out.append(tok)
        last_end = m.end()
    if run:
        flush()
    return out


class _Field:
    def __init__(self, name: str, docs: list[dict]):
        self.name = name
        self.terms: list[list[str]] = []
        self.tf: list[Counter] = []
        df: Counter = Counter()
        for d in docs:
            source = name.split(".")[0]
            toks = analyze(name if "_tokens" in name else "text", d.get(source, ""))
            self.terms.append(toks)
            tf = Counter(toks)
            self.tf.append(tf)
            df.update(tf.keys())
        self.df = df
        self.n = len(docs)
        self.avgdl = (sum(len(t) for t in self.terms) / self.n) if self.n else 1.0

    def bm25(self, i: int, term: str) -> float:
        tf = self.tf[i].get(term, 0)
        if not tf:
            return 0.0
        n = self.df[term]
        idf = math.log(1 + (self.n - n + 0.5) / (n + 0.5))
        norm = K1 * (1 - B + B * len(self.terms[i]) / max(self.avgdl, 1e-9))
        return idf * tf * (K1 + 1) / (tf + norm)

    def phrase(self, i: int, terms: list[str]) -> bool:
        toks = self.terms[i]
        k = len(terms)
        return k > 0 and any(toks[j : j + k] == terms for j in range(len(toks) - k + 1))


class Evaluator:
    def __init__(self, docs: list[dict]):
        self.docs = docs
        self._fields: dict[str, _Field] = {}

    def field(self, name: str) -> _Field:
        if name not in self._fields:
            self._fields[name] = _Field(name, self.docs)
        return self._fields[name]

    # Each returns {doc index: score} of the matching documents.
    def run(self, q: dict, ids: list[int]) -> dict[int, float]:
        ((kind, spec),) = q.items()
        return getattr(self, "q_" + kind)(spec, ids)

    def q_bool(self, spec, ids):
        must = spec.get("must", [])
        should = spec.get("should", [])
        filters = spec.get("filter", [])
        must = must if isinstance(must, list) else [must]
        should = should if isinstance(should, list) else [should]
        filters = filters if isinstance(filters, list) else [filters]
        msm = spec.get("minimum_should_match", 0 if (must or filters) else 1)
        scores = {i: 0.0 for i in ids}
        for clause in must:
            got = self.run(clause, list(scores))
            scores = {i: s + got[i] for i, s in scores.items() if i in got}
        for clause in filters:
            got = self.run(clause, list(scores))
            scores = {i: s for i, s in scores.items() if i in got}
        for clause in spec.get("must_not", []) or []:
            got = self.run(clause, list(scores))
            scores = {i: s for i, s in scores.items() if i not in got}
        if should:
            counts: Counter = Counter()
            for clause in should:
                for i, s in self.run(clause, list(scores)).items():
                    scores[i] += s
                    counts[i] += 1
            scores = {i: s for i, s in scores.items() if counts[i] >= int(msm)}
        return scores

    def _fields_boosts(self, fields):
        out = []
        for f in fields:
            name, _, boost = f.partition("^")
            out.append((name, float(boost or 1)))
        return out

    def q_multi_match(self, spec, ids):
        fields = self._fields_boosts(spec["fields"])
        op = spec.get("operator", "or").lower()
        kind = spec.get("type", "best_fields")
        boost = float(spec.get("boost", 1))
        out = {}
        if kind == "cross_fields":
            terms = list(dict.fromkeys(analyze("x_tokens", spec["query"])))
            for i in ids:
                per_term = [max(b * self.field(f).bm25(i, t) for f, b in fields) for t in terms]
                hit = [s > 0 for s in per_term]
                if terms and (all(hit) if op == "and" else any(hit)):
                    out[i] = boost * sum(per_term)
            return out
        for i in ids:
            best = 0.0
            for f, b in fields:
                terms = analyze(f, spec["query"])
                scores = [self.field(f).bm25(i, t) for t in terms]
                hit = [s > 0 for s in scores]
                if terms and (all(hit) if op == "and" else any(hit)):
                    best = max(best, b * sum(scores))
            if best > 0:
                out[i] = boost * best
        return out

    def q_match(self, spec, ids):
        ((f, opts),) = spec.items()
        opts = opts if isinstance(opts, dict) else {"query": opts}
        return self.q_multi_match({**opts, "fields": [f]}, ids)

    def q_match_phrase(self, spec, ids):
        ((f, opts),) = spec.items()
        opts = opts if isinstance(opts, dict) else {"query": opts}
        terms = analyze(f, opts["query"])
        fld = self.field(f)
        boost = float(opts.get("boost", 1))
        return {i: boost * sum(fld.bm25(i, t) for t in terms) for i in ids if fld.phrase(i, terms)}

    def q_constant_score(self, spec, ids):
        boost = float(spec.get("boost", 1))
        return {i: boost for i in self.run(spec["filter"], ids)}

    def q_match_all(self, spec, ids):
        return {i: 1.0 for i in ids}

    def _value(self, i, f):
        return self.docs[i].get(f)

    def q_term(self, spec, ids):
        ((f, v),) = spec.items()
        v = v["value"] if isinstance(v, dict) else v
        return {i: 0.0 for i in ids if self._value(i, f) == v}

    def q_terms(self, spec, ids):
        ((f, vs),) = spec.items()
        return {i: 0.0 for i in ids if self._value(i, f) in vs}

    def q_prefix(self, spec, ids):
        ((f, v),) = spec.items()
        v = v["value"] if isinstance(v, dict) else v
        return {i: 0.0 for i in ids if str(self._value(i, f) or "").startswith(v)}

    def q_range(self, spec, ids):
        ((f, r),) = spec.items()
        out = {}
        for i in ids:
            v = self._value(i, f)
            if v is None:
                continue
            if "gte" in r and v < r["gte"] or "lt" in r and v >= r["lt"]:
                continue
            out[i] = 0.0
        return out


class SimulatedES(Elasticsearch):
    """Answers `_search` with `Evaluator`; everything else is acknowledged."""

    def __init__(self, sources: list[dict], index_of: dict[str, str]):
        super().__init__("http://es.sim:9200")
        self.transport._sim = (Evaluator(sources), index_of)

    def perform_request(self, method, path, *, params=None, headers=None, body=None, **kw):
        evaluator, index_of = self.transport._sim
        meta = ApiResponseMeta(
            status=200,
            http_version="1.1",
            headers=HttpHeaders({"x-elastic-product": "Elasticsearch"}),
            duration=0.0,
            node=NodeConfig("http", "es.sim", 9200),
        )
        if not path.endswith("/_search"):
            return ObjectApiResponse(body={"acknowledged": True}, meta=meta)
        aliases = set(path.split("/")[1].split(","))
        docs = evaluator.docs
        ids = [i for i, d in enumerate(docs) if index_of[d["doc_type"]] in aliases]
        scores = evaluator.run(body.get("query", {"match_all": {}}), ids)
        facets: dict[str, int] = defaultdict(int)
        for i in scores:
            facets[docs[i]["doc_type"]] += 1
        if body.get("post_filter"):
            kept = evaluator.run(body["post_filter"], list(scores))
            scores = {i: s for i, s in scores.items() if i in kept}
        order = sorted(scores, key=lambda i: (-scores[i], -_ts(docs[i].get("date")), -i))
        start, size = int(body.get("from", 0)), int(body.get("size", 10))
        hits = [
            {"_id": str(docs[i]["object_id"]), "_score": scores[i], "_source": docs[i]}
            for i in order[start : start + size]
        ]
        return ObjectApiResponse(
            body={
                "took": 1,
                "timed_out": False,
                "hits": {"total": {"value": len(scores), "relation": "eq"}, "hits": hits},
                "aggregations": {
                    "types": {"buckets": [{"key": k, "doc_count": n} for k, n in facets.items()]}
                },
            },
            meta=meta,
        )


def _ts(value) -> float:
    from django.utils.dateparse import parse_datetime

    d = parse_datetime(value) if value else None
    return d.timestamp() if d else float("-inf")
