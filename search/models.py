"""The search table: one row per indexed object, kept by every configuration.

`SearchDocument` holds the original title and snippet text (for display and highlighting)
and the normalised, segmented text (search/normalize.py) that the database full-text index
is built on. The full-text index itself is not a Django field: migration 0002 adds it for
the vendor in use —
- PostgreSQL: a generated ``search_vector tsvector`` column
  (``setweight(to_tsvector('simple', title_norm), 'A') || setweight(…body_norm, 'B')``)
  with a GIN index;
- SQLite: an external-content FTS5 table ``search_fts(title_norm, body_norm,
  filter_tokens)`` kept in step by triggers.
``filter_tokens`` (search/backends/database.py `filter_tokens()`) lets the full-text index
itself apply scope, published-only and type filters (PostgreSQL: the generated
``filter_vector`` in the same GIN index; SQLite: the third FTS5 column).
Elasticsearch (when configured) is fed from these rows, so a rebuild can always catch it up.
"""

from __future__ import annotations

from django.db import models


class SearchDocument(models.Model):
    # Small filter columns first: SQLite reads a row's columns in order, so the scope /
    # published / type / date checks never touch the (overflow) pages of the long texts.
    doc_type = models.CharField("类型", max_length=32)
    object_id = models.BigIntegerField("对象 ID")
    audience_path = models.CharField("可见范围路径", max_length=255, db_index=True)
    is_published = models.BooleanField("已发布", default=True)
    date = models.DateTimeField("日期", null=True, blank=True)
    updated_at = models.DateTimeField("索引时间", auto_now=True)
    url = models.CharField("链接", max_length=500, blank=True)
    title = models.CharField("标题", max_length=500)
    title_norm = models.TextField("标题（分词）", blank=True)
    snippet_text = models.TextField(
        "摘要原文", blank=True, help_text="用于显示和高亮的原文（截断）"
    )
    body_norm = models.TextField("正文（分词）", blank=True)
    filter_tokens = models.TextField(
        "过滤词",
        blank=True,
        default="",
        help_text="类型、可见范围路径及其上级前缀、年份、未发布标记（全文索引内过滤用）",
    )

    class Meta:
        verbose_name = "搜索文档"
        verbose_name_plural = "搜索文档"
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "object_id"], name="search_doc_unique")
        ]
        indexes = [
            models.Index(fields=["doc_type", "date"], name="search_doc_type_date"),
            models.Index(fields=["date"], name="search_doc_date"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_type}:{self.object_id} {self.title}"


class SearchIndexState(models.Model):
    """What an Elasticsearch index (behind the alias for one type) was built with."""

    doc_type = models.CharField("类型", max_length=32, unique=True)
    alias = models.CharField("别名", max_length=200)
    index_name = models.CharField("索引名", max_length=200)
    analyzer = models.CharField("中文分析器", max_length=32, help_text="smartcn 或 cjk")
    doc_count = models.PositiveIntegerField("文档数", default=0)
    built_at = models.DateTimeField("重建时间")

    class Meta:
        verbose_name = "Elasticsearch 索引状态"
        verbose_name_plural = "Elasticsearch 索引状态"

    def __str__(self) -> str:
        return f"{self.alias} → {self.index_name} ({self.analyzer})"
