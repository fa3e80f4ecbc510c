"""Against a real Elasticsearch 8 cluster — only when ELASTICSEARCH_URL is set.

    ELASTICSEARCH_URL=http://127.0.0.1:9200 pytest tests/search/test_elastic_live.py

Indexes go under a throw-away prefix and are deleted afterwards."""

from __future__ import annotations

import os
import uuid

import pytest

from search.backends import elastic
from search.query import search, suggest
from search.services import documents_upsert
from tests.search.conftest import make_doc

ES_URL = os.environ.get("ELASTICSEARCH_URL")
pytestmark = pytest.mark.skipif(
    not ES_URL, reason="ELASTICSEARCH_URL is not set: no Elasticsearch cluster to test against"
)


@pytest.fixture
def live_es(settings):
    settings.ELASTICSEARCH_URL = ES_URL
    settings.EHOME_SEARCH_INDEX_PREFIX = f"ehometest-{uuid.uuid4().hex[:8]}"
    elastic.set_client(None)
    client = elastic.get_client()
    yield client
    client.indices.delete(index=f"{settings.EHOME_SEARCH_INDEX_PREFIX}-*", ignore_unavailable=True)
    elastic.set_client(None)


def test_rebuild_then_search_and_suggest_chinese(org, live_es, superuser):
    documents_upsert(
        docs=[
            make_doc("关于党费收缴的通知", "全体党员按时缴纳党费", unit=org.root),
            make_doc("黨員學習手冊", "學習黨章", unit=org.root),
            make_doc("项目进度", "海外项目进展顺利", unit=org.b1),
        ]
    )
    state = elastic.rebuild("news")
    assert state.analyzer in ("smartcn", "cjk")
    meta = live_es.indices.get_mapping(index=state.index_name)[state.index_name]["mappings"][
        "_meta"
    ]
    assert meta["analyzer"] == state.analyzer

    res = search("黨費", user=superuser)
    assert res.backend == "elasticsearch"
    assert [h.title for h in res.hits] == ["关于党费收缴的通知"]
    assert "<mark>" in res.hits[0].snippet
    assert any("学习" in h.title or "學習" in h.title for h in search("学习", user=superuser).hits)
    assert [h.title for h in suggest("党员", user=superuser)] == ["黨員學習手冊"]


def test_rebuild_twice_keeps_one_index_behind_the_alias(org, live_es):
    documents_upsert(docs=[make_doc("党建", unit=org.root)])
    first = elastic.rebuild("news")
    second = elastic.rebuild("news")
    indices = live_es.indices.get_alias(name=elastic.alias_name("news")).body
    assert list(indices) == [second.index_name] != [first.index_name]
