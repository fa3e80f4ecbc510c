"""The database backend's index-side filtering (filter tokens in FTS5 / the GIN index):
the paths taken for very common words — counting, ranking and sorting by date inside the
full-text index — give the same answers a reader expects from the plain query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from search.backends import database
from search.query import search, suggest
from search.registry import IndexedDoc
from tests.factories import member_in, user_with_role
from tests.search.conftest import make_doc


def _doc(title, body, *, unit, years_ago=0, days=0, published=True, doc_type="news", date=...):
    when = timezone.now() - dt.timedelta(days=365 * years_ago + days)
    return IndexedDoc(
        doc_type=doc_type,
        object_id=abs(hash((title, body, years_ago, days, doc_type))) % 10**9,
        title=title,
        body=body,
        audience_path=unit.path,
        is_published=published,
        date=when if date is ... else date,
    )


@pytest.fixture
def spread(org, index_docs):
    """党建 in news and books over five years, in and out of a branch member's scope."""
    docs = []
    for year in range(5):
        for d in range(3):
            docs.append(
                _doc(f"动态{year}-{d}", "推进党建工作", unit=org.root, years_ago=year, days=d)
            )
            docs.append(
                _doc(
                    f"书{year}-{d}",
                    "党建读本",
                    unit=org.a1,
                    years_ago=year,
                    days=d,
                    doc_type="book",
                )
            )
            docs.append(_doc(f"他处{year}-{d}", "党建简报", unit=org.b1, years_ago=year, days=d))
    docs.append(_doc("草稿", "党建草稿", unit=org.root, published=False))
    docs.append(_doc("无日期", "党建无日期", unit=org.root, date=None))
    return index_docs(*docs)


def _expected(docs, visible):
    seen = [d for d in docs if d.is_published and visible(d)]
    dated = sorted((d for d in seen if d.date), key=lambda d: d.date, reverse=True)
    return [(d.doc_type, d.object_id) for d in dated + [d for d in seen if not d.date]]


@pytest.mark.parametrize("date_direct", [database.DATE_DIRECT, 2])
def test_sort_by_date_pages_through_every_visible_match_newest_first(
    org, spread, monkeypatch, date_direct
):
    monkeypatch.setattr(database, "DATE_DIRECT", date_direct)  # 2: the walk over years
    member = member_in(org.a1).user
    paths = {org.root.path, org.a.path, org.a1.path}
    expected = _expected(spread, lambda d: d.audience_path in paths)
    got = []
    for page in range(1, 6):
        res = search("党建", user=member, sort="date", page=page, page_size=7)
        assert res.total == len(expected) == 31
        got += [(h.type, h.id) for h in res.hits]
    assert got == expected
    assert got[-1] == ("news", next(d.object_id for d in spread if d.title == "无日期"))


def test_facets_count_every_type_in_scope_whatever_the_type_filter(org, spread):
    member = member_in(org.a1).user
    res = search("党建", user=member, types=["book"])
    assert res.facets == {"news": 16, "book": 15}
    assert res.total == 15 and {h.type for h in res.hits} == {"book"}


def test_secretary_subtree_scope_is_applied_by_the_index(org, spread):
    secretary = user_with_role(org.b, "secretary")
    res = search("党建", user=secretary, page_size=50)
    titles = {h.title for h in res.hits}
    assert any(t.startswith("他处") for t in titles) and any(t.startswith("动态") for t in titles)
    assert not any(t.startswith("书") for t in titles) and "草稿" not in titles


@pytest.mark.parametrize("slack", [database.RANK_SLACK, 1])
def test_relevance_pages_agree_with_one_full_ordering(
    org, index_docs, superuser, monkeypatch, slack
):
    # equal scores across page edges: with slack 1 the exact join query settles them
    monkeypatch.setattr(database, "RANK_SLACK", slack)
    index_docs(
        *[make_doc(f"动态{i:02d}", "推进党建工作", unit=org.root, days_ago=i) for i in range(12)],
        make_doc("党建工作要点", "内容", unit=org.root, days_ago=400),
    )
    pages = [search("党建", user=superuser, page=p, page_size=5) for p in (1, 2, 3)]
    titles = [h.title for page in pages for h in page.hits]
    assert titles[0] == "党建工作要点"
    assert titles[1:] == [f"动态{i:02d}" for i in range(12)]  # equal scores: newest first


def test_filter_words_are_not_searchable_text(org, spread, superuser):
    assert search("unpub", user=superuser).total == 0
    assert search(f"y{timezone.now().year}", user=superuser).total == 0
    assert search(database.type_token("news"), user=superuser).total == 0


def test_suggest_uses_the_same_scope(org, index_docs):
    index_docs(
        make_doc("党建工作手册", "", unit=org.root),
        make_doc("党建他处", "", unit=org.b1),
        make_doc("党建草稿本", "", unit=org.root, published=False),
    )
    member = member_in(org.a1).user
    assert [h.title for h in suggest("党建", user=member)] == ["党建工作手册"]


def test_bulk_load_with_worker_processes_indexes_like_one_by_one(org, superuser):
    from search.models import SearchDocument
    from search.services import document_row, documents_bulk_load

    docs = [
        make_doc(f"黨費通知{i}", f"第{i}期：海外项目党员一键交党费", unit=org.a1, days_ago=i)
        for i in range(30)
    ]
    stats = documents_bulk_load(docs=docs, processes=2, batch_size=5)  # 6 batches, 2 workers
    assert stats["documents"] == 30
    stored = {
        r.object_id: (r.title_norm, r.body_norm, r.filter_tokens)
        for r in SearchDocument.objects.filter(doc_type="news")
    }
    one_by_one = {d.object_id: document_row(d) for d in docs}
    assert stored == {
        k: (r.title_norm, r.body_norm, r.filter_tokens) for k, r in one_by_one.items()
    }
    res = search("党费", user=member_in(org.a1).user, page_size=50)
    assert res.total == 30 and res.hits[0].title == "黨費通知0"
