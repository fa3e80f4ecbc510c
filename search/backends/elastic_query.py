"""The JSON bodies the Elasticsearch backend sends for a search and for suggestions
(search/backends/elastic.py runs them): every segment must match (`operator: and`), the
whole phrase of a several-word query forms the first tiers (`phrase_boosts`), the caller's
audience scope and published-only are filters. Tested against the JSON
(tests/search/test_elastic.py, test_match_semantics.py); bench/search_relevance.py measures
its ranking with an in-memory stand-in for the cluster."""

from __future__ import annotations

from django.conf import settings
from elasticsearch import dsl

from search.backends import Criteria, Scope

SOURCE_FIELDS = ["doc_type", "object_id", "title_display", "snippet_text", "date", "url"]
PHRASE_BOOST = 1000.0


def prefix() -> str:
    return getattr(settings, "EHOME_SEARCH_INDEX_PREFIX", "ehome")


def alias_name(doc_type: str) -> str:
    return f"{prefix()}-{doc_type.replace('_', '-')}"


def scope_filter(scope: Scope) -> dsl.query.Query | None:
    if scope.everything:
        return None
    should = []
    if scope.paths:
        should.append(dsl.Q("terms", audience_path=list(scope.paths)))
    for p in scope.prefixes:
        should.append(dsl.Q("prefix", audience_path=p))
    return dsl.Q("bool", should=should, minimum_should_match=1)


def phrase_boosts(c: Criteria) -> list[dsl.query.Query]:
    """Documents that contain the whole query (a several-word query) form the first
    tiers: a constant boost far above any BM25 score (title PHRASE_BOOST × 2, body
    PHRASE_BOOST), so phrase documents rank first whatever their length; the word score
    orders each tier. `title`/`body` hold the folded text, as `phrases[0]` is folded."""
    if not c.phrases or len(c.tokens) < 2:
        return []
    return [
        dsl.Q(
            "constant_score",
            filter=dsl.Q("match_phrase", **{name: {"query": c.phrases[0]}}),
            boost=boost,
        )
        for name, boost in (("title", PHRASE_BOOST * 2), ("body", PHRASE_BOOST))
    ]


def build_search(c: Criteria, doc_types: list[str], client=None) -> dsl.Search:
    op = "or" if c.match == "or" else "and"
    text = " ".join(c.tokens)
    s = dsl.Search(using=client, index=[alias_name(t) for t in doc_types])
    s = s.params(ignore_unavailable=True)
    query = dsl.Q(
        "bool",
        should=[
            dsl.Q(
                "multi_match",
                query=text,
                fields=["title_tokens^3", "body_tokens"],
                type="cross_fields",
                operator=op,
            ),
            dsl.Q(
                "multi_match",
                query=text,
                fields=["title^3", "body", "title.cjk^2", "body.cjk"],
                type="best_fields",
                operator=op,
            ),
        ],
        minimum_should_match=1,
    )
    filters = [dsl.Q("term", is_published=True)]
    scope = scope_filter(c.scope)
    if scope is not None:
        filters.append(scope)
    if c.date_from or c.date_to:
        rng = {}
        if c.date_from:
            rng["gte"] = c.date_from.isoformat()
        if c.date_to:
            rng["lt"] = c.date_to.isoformat()
        filters.append(dsl.Q("range", date=rng))
    phrases = phrase_boosts(c)
    s = s.query(
        dsl.Q("bool", must=[query], filter=filters, **({"should": phrases} if phrases else {}))
    )
    if c.types:
        s = s.post_filter("terms", doc_type=list(c.types))
    s.aggs.bucket("types", "terms", field="doc_type", size=50)
    if c.sort == "date":
        s = s.sort({"date": {"order": "desc", "missing": "_last"}}, "_score")
    else:
        s = s.sort("_score", {"date": {"order": "desc", "missing": "_last"}})
    s = s.source(SOURCE_FIELDS).extra(track_total_hits=True)
    return s[c.offset : c.offset + c.limit]


def build_suggest(tokens: list[str], scope: Scope, doc_types: list[str], limit: int, client=None):
    s = dsl.Search(using=client, index=[alias_name(t) for t in doc_types])
    s = s.params(ignore_unavailable=True).source(SOURCE_FIELDS)
    completion: dict = {"field": "suggest", "size": limit, "skip_duplicates": True}
    if not scope.everything:
        contexts = [f"eq:{p}" for p in scope.paths] + [f"under:{p}" for p in scope.prefixes]
        completion["contexts"] = {"audience": contexts}
    return s.suggest("titles", "".join(tokens), completion=completion).extra(size=0)
