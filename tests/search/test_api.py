"""/api/v1/search/ and /api/v1/search/suggest/: answers, scope, bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import member_in
from tests.search.conftest import make_doc

URL = "/api/v1/search/"
SUGGEST = "/api/v1/search/suggest/"


@pytest.fixture
def reader_client(org, client_for):
    return client_for(member_in(org.a1).user)


@pytest.fixture
def docs(org, index_docs):
    return index_docs(
        make_doc("关于党费收缴的通知", "全體黨員按時繳納黨費。", unit=org.root, days_ago=3),
        make_doc("党费工作手册", "党费收缴使用管理", unit=org.a, doc_type="book", days_ago=40),
        make_doc("坦桑尼亚党费", "海外党员交党费", unit=org.b1),
        *[make_doc(f"党建动态{i}", "党建", unit=org.root, days_ago=i) for i in range(25)],
    )


def test_search_answers_hits_with_highlights_and_facets(reader_client, docs):
    r = reader_client.get(URL, {"q": "黨費"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    assert {h["title"] for h in body["results"]} == {"关于党费收缴的通知", "党费工作手册"}
    news = next(h for h in body["results"] if h["type"] == "news")
    assert "<mark>黨費</mark>" in news["snippet"] and news["type_label"] == "新闻"
    assert body["facets"] == [
        {"type": "book", "label": "图书", "count": 1},
        {"type": "news", "label": "新闻", "count": 1},
    ]
    assert body["tokens"] == ["党费"] and body["backend"] == "database"


def test_type_date_and_sort_filters(reader_client, docs):
    assert reader_client.get(URL, {"q": "党费", "type": "book"}).json()["count"] == 1
    recent = reader_client.get(URL, {"q": "党费", "from": "2000-01-01"}).json()["count"]
    assert recent == 2
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert reader_client.get(URL, {"q": "党费", "from": today, "to": today}).json()["count"] == 0
    by_date = reader_client.get(URL, {"q": "党建", "sort": "date"}).json()["results"]
    dates = [h["date"] for h in by_date]
    assert dates == sorted(dates, reverse=True)


def test_paging_links_and_constant_query_count(reader_client, docs):
    first = reader_client.get(URL, {"q": "党建", "page_size": 10}).json()
    assert first["count"] == 25 and first["num_pages"] == 3 and first["previous"] is None
    assert "page=2" in first["next"]
    last = reader_client.get(URL, {"q": "党建", "page_size": 10, "page": 3}).json()
    assert len(last["results"]) == 5 and last["next"] is None
    counts = []
    for size in (1, 20):
        with CaptureQueriesContext(connection) as ctx:
            assert reader_client.get(URL, {"q": "党建", "page_size": size}).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    assert reader_client.get(URL, {"q": "党建", "page_size": 10, "page": 4}).status_code == 404


def test_search_requires_login(api_client, docs):
    assert api_client.get(URL, {"q": "党费"}).status_code == 401


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   \t "}, "q"),
        ({"q": "党" * 10_000}, "q"),
        ({"q": "党费", "type": "news,nope"}, "type"),
        ({"q": "党费", "from": "2026-13-40"}, "date_from"),
        ({"q": "党费", "from": "2026-02-01", "to": "2026-01-01"}, "date_to"),
        ({"q": "党费", "sort": "popular"}, "sort"),
        ({"q": "党费", "page": "0"}, "page"),
        ({"q": "党费", "page": "abc"}, "page"),
        ({"q": "党费", "page": "100000"}, "page"),
        ({"q": "党费", "page_size": "1000"}, "page_size"),
    ],
)
def test_bad_input_is_a_clear_400(reader_client, docs, params, field):
    r = reader_client.get(URL, params)
    assert r.status_code == 400
    err = r.json()["error"]
    assert field in err["fields"] and err["message"]


def test_empty_query_message_is_chinese(reader_client, docs):
    assert reader_client.get(URL, {"q": " "}).json()["error"]["fields"]["q"] == ["请输入搜索关键词"]


@pytest.mark.parametrize(
    "q, expect_hits",
    [
        ("😀", False),
        ('"', False),
        ("*", False),
        ("NEAR", False),
        ("AND", False),
        ("-", False),
        (":", False),
        ('党费" OR "', False),  # every word must match: no document has "or"
        ("党费 NEAR/2 AND -通知 title_norm:*", False),  # …nor all of these
        ('"党费" *', True),
        ("'); DROP TABLE search_searchdocument; --", False),
        ("党费😀", True),
    ],
)
def test_syntax_characters_emoji_and_nul_answer_200(reader_client, docs, q, expect_hits):
    r = reader_client.get(URL, {"q": q})
    assert r.status_code == 200, r.content
    assert (r.json()["count"] > 0) is expect_hits


def test_nul_in_the_query_is_a_400_naming_q(reader_client, docs):
    """NUL never comes from a keyboard: the API refuses it in any query parameter
    (api.middleware.ApiInputGuardMiddleware) rather than guessing what was meant."""
    for url in (URL, SUGGEST):
        r = reader_client.get(url, {"q": "党费\x00"})
        assert r.status_code == 400
        assert list(r.json()["error"]["fields"]) == ["q"]


def test_suggest(reader_client, docs):
    r = reader_client.get(SUGGEST, {"q": "党费工"})
    assert r.status_code == 200
    assert [h["title"] for h in r.json()["results"]] == ["党费工作手册"]
    titles = [h["title"] for h in reader_client.get(SUGGEST, {"q": "党"}).json()["results"]]
    assert titles and "坦桑尼亚党费" not in titles
    assert reader_client.get(SUGGEST, {"q": ""}).json() == {"results": []}
    assert reader_client.get(SUGGEST, {"q": '😀*"'}).json() == {"results": []}
    assert reader_client.get(SUGGEST, {"q": "党" * 51}).status_code == 400
    assert reader_client.get(SUGGEST, {"q": "党", "limit": "0"}).status_code == 400
