"""The query service on the database backend (SQLite FTS5 or PostgreSQL tsvector)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from search.query import search, suggest
from tests.factories import member_in, user_with_role
from tests.search.conftest import make_doc


@pytest.fixture
def corpus(org, index_docs):
    return {
        "root": index_docs(
            make_doc("集团党委关于党费收缴的通知", "各级党组织要按时收缴党费。", unit=org.root)
        )[0],
        "a1": index_docs(
            make_doc("北京项目支部学习", "支部组织党员交党费并学习党章。", unit=org.a1, days_ago=5)
        )[0],
        "b1": index_docs(
            make_doc("坦桑尼亚项目动态", "海外党员通过手机交党费。", unit=org.b1, days_ago=1)
        )[0],
        "draft": index_docs(
            make_doc("党费草稿", "未发布的党费文章", unit=org.root, published=False)
        )[0],
        "book": index_docs(
            make_doc(
                "党费工作手册", "党费收缴使用管理", unit=org.root, doc_type="book", days_ago=30
            )
        )[0],
    }


def ids(results):
    return {(h.type, h.id) for h in results.hits}


def key(doc):
    return (doc.doc_type, doc.object_id)


def test_member_finds_a_word_inside_a_sentence_within_their_audience(org, corpus):
    member = member_in(org.a1).user
    res = search("党费", user=member)
    assert ids(res) == {key(corpus["root"]), key(corpus["a1"]), key(corpus["book"])}
    assert res.total == 3
    assert res.facets == {"news": 2, "book": 1}


def test_overseas_member_does_not_see_another_branchs_content(org, corpus):
    member = member_in(org.b1).user
    assert key(corpus["a1"]) not in ids(search("党费", user=member))
    assert key(corpus["b1"]) in ids(search("党费", user=member))


def test_secretary_sees_their_subtree(org, corpus):
    secretary = user_with_role(org.b, "secretary")
    found = ids(search("党费", user=secretary))
    assert key(corpus["b1"]) in found and key(corpus["root"]) in found
    assert key(corpus["a1"]) not in found


def test_unpublished_documents_are_never_found(org, corpus, superuser):
    found = ids(search("党费", user=superuser))
    assert key(corpus["draft"]) not in found
    assert len(found) == 4


def test_anonymous_user_finds_nothing(corpus):
    from django.contrib.auth.models import AnonymousUser

    assert search("党费", user=AnonymousUser()).total == 0


def test_traditional_query_finds_simplified_text_and_highlights_it(org, corpus, superuser):
    res = search("黨費收繳", user=superuser)
    assert key(corpus["root"]) in ids(res)
    hit = next(h for h in res.hits if h.id == corpus["root"].object_id)
    assert "<mark>党费</mark>" in hit.snippet
    assert "<mark>党费</mark>" in hit.title_highlighted


def test_simplified_query_finds_traditional_text_highlighted_in_traditional(
    org, index_docs, superuser
):
    (doc,) = index_docs(make_doc("黨員學習", "全體黨員按時繳納黨費。", unit=org.root))
    res = search("党费", user=superuser)
    hit = next(h for h in res.hits if h.id == doc.object_id)
    assert "<mark>黨費</mark>" in hit.snippet


def test_title_matches_rank_first(org, index_docs, superuser):
    body_only, title = index_docs(
        make_doc("支部工作", "这里提到一次党章学习。", unit=org.root),
        make_doc("党章学习辅导", "辅导材料", unit=org.root, days_ago=10),
    )
    res = search("党章", user=superuser)
    assert [h.id for h in res.hits][:2] == [title.object_id, body_only.object_id]


def test_sort_by_date_and_date_filters(org, corpus, superuser):
    res = search("党费", user=superuser, sort="date")
    dates = [h.date for h in res.hits]
    assert dates == sorted(dates, reverse=True)
    week_ago = timezone.now() - dt.timedelta(days=7)
    recent = search("党费", user=superuser, filters={"date_from": week_ago})
    assert key(corpus["book"]) not in ids(recent) and recent.total == 3


def test_type_filter_keeps_facets_for_every_type(org, corpus, superuser):
    res = search("党费", user=superuser, types=["book"])
    assert ids(res) == {key(corpus["book"])}
    assert res.total == 1
    assert res.facets["news"] == 3


def test_paging(org, index_docs, superuser):
    index_docs(
        *[make_doc(f"党建资讯第{i}期", "党建", unit=org.root, days_ago=i) for i in range(25)]
    )
    first = search("党建", user=superuser, page=1, page_size=10)
    third = search("党建", user=superuser, page=3, page_size=10)
    assert first.total == 25 and len(first.hits) == 10 and len(third.hits) == 5
    assert not ({h.id for h in first.hits} & {h.id for h in third.hits})


def test_every_word_must_match_with_no_any_word_fallback(org, index_docs, superuser):
    a, b = index_docs(
        make_doc("党费收缴", "", unit=org.root), make_doc("党章学习", "", unit=org.root)
    )
    assert {h.id for h in search("党费 收缴", user=superuser).hits} == {a.object_id}
    res = search("党费 党章", user=superuser)
    assert (res.total, res.hits) == (0, [])


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "NEAR",
        "AND",
        "-",
        ":",
        "党费\x00",
        "😀",
        '党费" OR "x',
        "title_norm:党费",
        "(((",
        "'; DROP TABLE x; --",
        "党" * 10_000,
    ],
)
def test_syntax_characters_never_raise(org, corpus, superuser, query):
    res = search(query, user=superuser)
    assert res.total >= 0


def test_suggest_completes_title_prefixes_within_scope(org, corpus):
    member = member_in(org.a1).user
    titles = [h.title for h in suggest("党", user=member)]
    assert "党费工作手册" in titles
    assert all("坦桑尼亚" not in t for t in titles)
    assert "党费草稿" not in titles
    assert [h.title for h in suggest("黨費工", user=member)] == ["党费工作手册"]


def test_very_common_words_still_rank_title_matches_first(org, index_docs, superuser, monkeypatch):
    from search.backends import database

    monkeypatch.setattr(database, "RANK_CANDIDATES", 5)
    index_docs(
        *[make_doc(f"动态{i}", "推进党建工作", unit=org.root, days_ago=i) for i in range(20)]
    )
    (old_title,) = index_docs(make_doc("党建工作要点", "内容", unit=org.root, days_ago=400))
    res = search("党建", user=superuser, page_size=10)
    assert res.total == 21
    assert res.hits[0].id == old_title.object_id
    assert len(res.hits) == 10
    page3 = search("党建", user=superuser, page=3, page_size=10)
    assert len(page3.hits) == 1


def test_date_ranges_are_exact_across_year_ends_and_scope(org, index_docs):
    """A date range (the portal's and the API's from/to, in Beijing time) is exact at a New
    Year in UTC+8, keeps the caller's scope and never returns undated documents — on
    SQLite the full-text index also narrows by year, which must not cut anything off."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    bj = ZoneInfo("Asia/Shanghai")

    def at(y, m, d, h, mi=0):
        return dt.datetime(y, m, d, h, mi, tzinfo=bj)

    def doc(title, when, unit):
        return replace(make_doc(title, "党费收缴", unit=unit), date=when)

    before = doc("旧年党费通知", at(2024, 12, 31, 23, 30), org.a1)  # 15:30 UTC, 2024
    first = doc("新年党费通知", at(2025, 1, 1, 0, 30), org.a1)  # 16:30 UTC, still 2024
    later = doc("年中党费通知", at(2025, 6, 30, 12), org.a1)
    other = doc("别处党费通知", at(2025, 6, 30, 12), org.b1)  # outside an A1 member's scope
    newest = doc("明年党费通知", at(2026, 1, 1, 0, 0), org.a1)  # exactly the end: excluded
    undated = replace(make_doc("无日期党费通知", "党费", unit=org.a1), date=None)
    index_docs(before, first, later, other, newest, undated)
    member = member_in(org.a1).user

    year_2025 = {"date_from": at(2025, 1, 1, 0), "date_to": at(2026, 1, 1, 0)}
    res = search("党费", user=member, filters=year_2025)
    assert ids(res) == {key(first), key(later)} and res.total == 2
    by_date = search("党费", user=member, filters=year_2025, sort="date")
    assert [h.id for h in by_date.hits] == [later.object_id, first.object_id]
    until = search("党费", user=member, filters={"date_to": at(2025, 1, 1, 0)})
    assert ids(until) == {key(before)}
    since = search("党费", user=member, filters={"date_from": at(2025, 6, 1, 0)})
    assert ids(since) == {key(later), key(newest)}
    backwards = {"date_from": at(2026, 1, 1, 0), "date_to": at(2025, 1, 1, 0)}
    assert search("党费", user=member, filters=backwards).total == 0
