"""Search quality on the labelled corpus (tests/search/corpus.py): recall@10 and
Traditional ↔ Simplified in both directions, on whichever database the suite runs on."""

from __future__ import annotations

import pytest

from search.normalize import to_simplified
from search.query import search
from tests.search.conftest import make_doc
from tests.search.corpus import DOCS, QUERIES

RECALL_AT_10_MIN = 0.9


@pytest.fixture
def corpus_index(org, index_docs):
    ids = {}
    docs = []
    for n, (key, (doc_type, title, body)) in enumerate(DOCS.items(), start=1):
        docs.append(
            make_doc(
                title, body, unit=org.root, doc_type=doc_type, object_id=10_000 + n, days_ago=n
            )
        )
        ids[(doc_type, 10_000 + n)] = key
    index_docs(*docs)
    return ids


def _top10(query, user, ids):
    res = search(query, user=user, page_size=10)
    return [ids[(h.type, h.id)] for h in res.hits]


def test_recall_at_10(corpus_index, superuser):
    per_query = []
    for query, expected in QUERIES:
        got = set(_top10(query, superuser, corpus_index))
        per_query.append((query, len(got & expected) / len(expected), expected - got))
    recall = sum(r for _, r, _ in per_query) / len(per_query)
    misses = [(q, sorted(m)) for q, r, m in per_query if m]
    assert recall >= RECALL_AT_10_MIN, f"recall@10 = {recall:.3f}; misses: {misses}"


def test_every_query_finds_its_best_document_first_or_second(corpus_index, superuser):
    """Precision at the top: the first two hits are relevant for almost every query."""
    bad = []
    for query, expected in QUERIES:
        top = _top10(query, superuser, corpus_index)[:2]
        if not top or not (set(top) & expected):
            bad.append((query, top))
    assert len(bad) <= len(QUERIES) // 20, bad


def test_traditional_queries_find_simplified_text_and_vice_versa(corpus_index, superuser):
    # Traditional query → Simplified documents
    assert "n_dues_notice" in _top10("黨費收繳", superuser, corpus_index)
    assert "b_constitution" in _top10("中國共產黨章程", superuser, corpus_index)
    assert "n_three_meetings" in _top10("三會一課", superuser, corpus_index)
    # Simplified query → Traditional documents
    assert "n_dues_trad" in _top10("党费收缴情况", superuser, corpus_index)
    assert "e_trad" in _top10("优秀党务工作者", superuser, corpus_index)
    assert "l_discipline_trad" in _top10("纪律处分条例解读", superuser, corpus_index)


def test_traditional_and_simplified_forms_of_every_query_agree(corpus_index, superuser):
    for query, _ in QUERIES:
        simp = to_simplified(query)
        assert _top10(query, superuser, corpus_index) == _top10(simp, superuser, corpus_index), (
            query
        )
