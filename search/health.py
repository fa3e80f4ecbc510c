"""Search status for /healthz (called as `search.health.search_health`)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def search_health() -> dict:
    """{"status": "ok"|"degraded", "backend": "database"|"elasticsearch", ...}.

    Degraded when ELASTICSEARCH_URL is set but the cluster does not answer: queries are
    then served from the database index (which is always kept)."""
    if not getattr(settings, "ELASTICSEARCH_URL", None):
        return {"status": "ok", "backend": "database", "vendor": connection.vendor}
    from search.backends import elastic

    if elastic.ping():
        return {"status": "ok", "backend": "elasticsearch"}
    return {
        "status": "degraded",
        "backend": "database",
        "error": "Elasticsearch 不可达，搜索暂由数据库索引提供",
    }
