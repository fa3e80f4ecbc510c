"""Elasticsearch backend: the JSON bodies the client sends (snapshots), the rebuild
sequence, and falling back to the database when the cluster is down.

No Elasticsearch server runs on these machines: a recording client (fake_es.FakeES)
captures every request. test_elastic_live.py runs the same flows against a real cluster
when ELASTICSEARCH_URL is set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from search.backends import Criteria, Scope, elastic
from search.models import SearchDocument, SearchIndexState
from search.query import search
from search.services import document_row, documents_upsert
from tests.search.conftest import make_doc
from tests.search.fake_es import FakeES
from tests.search.snapshot import assert_snapshot

FIXED = timezone.make_aware(dt.datetime(2026, 7, 1, 8, 0))


@pytest.fixture
def fake_es(settings):
    settings.ELASTICSEARCH_URL = "http://es.test:9200"
    settings.EHOME_SEARCH_INDEX_PREFIX = "ehome"
    client = FakeES()
    elastic.set_client(client)
    yield client
    elastic.set_client(None)


def test_index_settings_and_mapping_with_smartcn():
    assert_snapshot("index_body_smartcn", elastic.index_body("smartcn", "news"))


def test_index_settings_and_mapping_with_builtin_cjk():
    body = elastic.index_body("cjk", "book")
    assert body["settings"]["analysis"]["analyzer"]["zh"]["filter"][-1] == "cjk_bigram"
    assert_snapshot("index_body_cjk", body)


def test_analyzer_is_detected_from_the_cluster_plugins():
    assert elastic.detect_analyzer(FakeES(plugins=("analysis-smartcn",))) == "smartcn"
    assert elastic.detect_analyzer(FakeES(plugins=())) == "cjk"


def test_search_query_body():
    c = Criteria(
        tokens=["党费", "收缴"],
        scope=Scope(paths=("0001", "00010001"), prefixes=("00010002",)),
        types=["book"],
        date_from=FIXED,
        sort="relevance",
        offset=20,
        limit=10,
    )
    s = elastic.build_search(c, ["news", "book"])
    assert s._index == ["ehome-news", "ehome-book"]
    assert_snapshot("search_query", s.to_dict())


def test_superuser_query_has_no_audience_filter_and_date_sort():
    c = Criteria(tokens=["党建"], scope=Scope(everything=True), sort="date", match="or")
    body = elastic.build_search(c, ["news"]).to_dict()
    filters = body["query"]["bool"]["filter"]
    assert filters == [{"term": {"is_published": True}}]
    assert body["sort"][0] == {"date": {"order": "desc", "missing": "_last"}}


def test_suggest_body():
    s = elastic.build_suggest(
        ["党费", "工"], Scope(paths=("0001",), prefixes=("00010002",)), ["book"], 5
    )
    assert_snapshot("suggest_query", s.to_dict())


def test_document_source_and_bulk_body(org, fake_es):
    row = document_row(
        make_doc(
            "黨費工作手冊",
            "ISBN 978-7-01-012345-6 党费收缴使用管理",
            unit=org.a1,
            doc_type="book",
            object_id=42,
        )
    )
    row.date = FIXED
    source = elastic.doc_source(row)
    assert source["title"] == "党费工作手册" and source["title_display"] == "黨費工作手冊"
    assert "under:0001" in source["suggest"]["contexts"]["audience"]
    assert_snapshot("document_source", source)

    fake_es.calls.clear()
    elastic.sync_documents(rows=[row], deleted=[("book", 7)])
    bulk = fake_es.requests("PUT", "/_bulk") + fake_es.requests("POST", "/_bulk")
    assert len(bulk) == 1
    assert_snapshot("bulk_body", bulk[0]["body"])


def test_unpublished_document_has_no_suggestion(org):
    row = document_row(make_doc("党费草稿", unit=org.root, published=False))
    assert "suggest" not in elastic.doc_source(row)


def test_zero_downtime_rebuild_swaps_the_alias_atomically(org, fake_es, index_docs):
    index_docs(
        *[make_doc(f"党建资讯{i}", "内容", unit=org.root, doc_type="news") for i in range(5)]
    )
    fake_es._fake["aliases"]["ehome-news"] = ["ehome-news-old"]
    fake_es.calls.clear()

    state = elastic.rebuild("news", chunk_size=2)

    steps = [(c["method"], c["path"]) for c in fake_es.calls]
    create = next(
        i for i, s in enumerate(steps) if s[0] == "PUT" and s[1].startswith("/ehome-news-2")
    )
    bulks = [i for i, s in enumerate(steps) if s[1] == "/_bulk"]
    swap = steps.index(("POST", "/_aliases"))
    delete_old = steps.index(("DELETE", "/ehome-news-old"))
    assert create < min(bulks) and max(bulks) < swap < delete_old
    assert len(bulks) == 3  # 5 documents in chunks of 2
    actions = fake_es.calls[swap]["body"]["actions"]
    assert actions[0] == {"remove": {"index": "ehome-news-old", "alias": "ehome-news"}}
    assert (
        actions[1]["add"]["alias"] == "ehome-news"
        and actions[1]["add"]["index"] == state.index_name
    )
    assert fake_es._fake["aliases"]["ehome-news"] == [state.index_name]
    created = fake_es.calls[create]["body"]
    assert created["mappings"]["_meta"]["analyzer"] == "smartcn"
    assert SearchIndexState.objects.get(doc_type="news").analyzer == "smartcn"
    assert state.doc_count == 5


def test_rebuild_without_plugin_records_cjk(org, settings, index_docs):
    settings.ELASTICSEARCH_URL = "http://es.test:9200"
    client = FakeES(plugins=())
    elastic.set_client(client)
    try:
        index_docs(make_doc("党建", unit=org.root, doc_type="book"))
        state = elastic.rebuild("book")
    finally:
        elastic.set_client(None)
    assert state.analyzer == "cjk"


def test_saving_a_document_feeds_es_through_the_alias(org, fake_es):
    documents_upsert(docs=[make_doc("党费通知", unit=org.root, object_id=5)])
    assert SearchDocument.objects.filter(object_id=5).exists()
    # the first write created the index and alias, then one bulk request wrote the doc
    assert fake_es.requests("PUT", "/ehome-news-2")
    bulk = fake_es.requests(path_contains="/_bulk")[-1]["body"]
    assert bulk[0] == {"index": {"_index": "ehome-news", "_id": "5"}}


def test_when_es_is_down_search_answers_from_the_database(org, settings, superuser):
    settings.ELASTICSEARCH_URL = "http://es.test:9200"
    elastic.set_client(FakeES(down=True))
    try:
        documents_upsert(
            docs=[make_doc("关于党费收缴的通知", unit=org.root)]
        )  # ES write fails quietly
        from search.health import search_health

        health = search_health()
        res = search("党费", user=superuser)
    finally:
        elastic.set_client(None)
    assert health["status"] == "degraded"
    assert res.backend == "database" and res.total == 1


def test_when_es_is_up_the_service_uses_it_once_an_index_is_built(org, fake_es, superuser):
    assert search("党费", user=superuser).backend == "database"  # nothing built yet
    elastic.rebuild("news")
    res = search("党费", user=superuser)
    assert res.backend == "elasticsearch"
    assert fake_es.requests("POST", "/_search")[-1]["path"].endswith("/_search")


def test_healthz_reports_search(client, settings):
    settings.ELASTICSEARCH_URL = None
    body = client.get("/healthz").json()
    assert body["checks"]["search"]["status"] == "ok"
    assert body["checks"]["search"]["backend"] == "database"
