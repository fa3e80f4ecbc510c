"""`manage.py search_index --rebuild [--type T ...]`: rebuild the search index.

The database index is rebuilt from the models (stale rows removed); then, when
ELASTICSEARCH_URL is set, each type's Elasticsearch index is rebuilt from those rows
with no downtime (new index → bulk load → alias swap). `--status` prints what is indexed.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from tqdm import tqdm

from search import registry
from search.models import SearchDocument, SearchIndexState
from search.services import type_rebuild_database


class Command(BaseCommand):
    help = "重建搜索索引（数据库索引，以及配置了 ELASTICSEARCH_URL 时的 Elasticsearch 索引）"

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="重建索引")
        parser.add_argument(
            "--type",
            dest="types",
            action="append",
            default=[],
            help="只重建这一类型（可重复）；可选：" + ", ".join(registry.doc_types()),
        )
        parser.add_argument("--skip-database", action="store_true", help="不重建数据库索引")
        parser.add_argument(
            "--skip-elasticsearch", action="store_true", help="不重建 Elasticsearch"
        )
        parser.add_argument("--status", action="store_true", help="显示各类型已索引的文档数")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **opts):
        unknown = [t for t in opts["types"] if registry.get_adapter(t) is None]
        if unknown:
            raise CommandError(
                f"未知的类型：{', '.join(unknown)}；可选：{', '.join(registry.doc_types())}"
            )
        adapters = [registry.get_adapter(t) for t in opts["types"]] or registry.all_adapters()
        if opts["status"] or not opts["rebuild"]:
            self._status()
            if not opts["rebuild"]:
                return
        disable = opts["no_progress"]
        for adapter in adapters:
            started = time.monotonic()
            if not opts["skip_database"]:
                total = adapter.queryset().count()
                with tqdm(
                    total=total, desc=f"数据库 {adapter.label}", unit="条", disable=disable
                ) as bar:
                    n = type_rebuild_database(adapter=adapter, progress=bar.update)
                self.stdout.write(
                    f"{adapter.doc_type}: 数据库索引 {n} 条，用时 {time.monotonic() - started:.1f}s"
                )
            if settings.ELASTICSEARCH_URL and not opts["skip_elasticsearch"]:
                self._rebuild_es(adapter, disable)
        self.stdout.write(self.style.SUCCESS("索引重建完成"))

    def _rebuild_es(self, adapter, disable):
        from search.backends import elastic

        if not elastic.ping():
            self.stderr.write(
                f"{adapter.doc_type}: Elasticsearch 不可达（{settings.ELASTICSEARCH_URL}），"
                "跳过；数据库索引已是最新，恢复后再运行本命令"
            )
            return
        total = SearchDocument.objects.filter(doc_type=adapter.doc_type).count()
        with tqdm(
            total=total, desc=f"Elasticsearch {adapter.label}", unit="条", disable=disable
        ) as bar:
            state = elastic.rebuild(adapter.doc_type, progress=bar.update)
        self.stdout.write(
            f"{adapter.doc_type}: Elasticsearch {state.alias} → {state.index_name}"
            f"（{state.analyzer}，{state.doc_count} 条）"
        )

    def _status(self):
        counts = dict(
            SearchDocument.objects.values_list("doc_type").annotate(n=Count("id")).order_by()
        )
        states = {s.doc_type: s for s in SearchIndexState.objects.all()}
        for adapter in registry.all_adapters():
            line = f"{adapter.doc_type:18} {adapter.label:6} 数据库 {counts.get(adapter.doc_type, 0)} 条"
            state = states.get(adapter.doc_type)
            if state:
                line += f"；ES {state.index_name}（{state.analyzer}，{state.doc_count} 条）"
            self.stdout.write(line)
