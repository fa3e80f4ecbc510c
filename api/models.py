"""api models: what HTTP caching and delta sync need to survive a cache flush.

`ContentVersion` is one row per resource ("news", "books", …): a counter and the time of
the last change, bumped (after commit) by signals on every change of the models behind the
resource. The cache holds a copy; this table is the fallback. `ContentTombstone` remembers
that an object left a resource (unpublished, deleted, or moved out of an audience) so an
app with an offline copy learns what to drop (`GET /api/v1/sync/changes/`)."""

from __future__ import annotations

from django.db import models


class ContentVersion(models.Model):
    resource = models.CharField(
        "资源", max_length=32, primary_key=True, help_text="接口资源名，如 news、books"
    )
    counter = models.BigIntegerField("版本号", default=0, help_text="每次内容变化加一")
    changed_at = models.DateTimeField("最后变化时间", help_text="用作 Last-Modified")

    class Meta:
        verbose_name = "内容版本"
        verbose_name_plural = "内容版本"

    def __str__(self) -> str:
        return f"{self.resource}@{self.counter}"


class ContentTombstone(models.Model):
    class Reason(models.TextChoices):
        UNPUBLISHED = "unpublished", "已撤回"
        DELETED = "deleted", "已删除"
        SCOPE_CHANGED = "scope_changed", "可见范围已改变"

    resource = models.CharField("资源", max_length=32, help_text="接口资源名，如 news、books")
    object_id = models.BigIntegerField("对象 ID", help_text="该资源详情接口中的 id")
    reason = models.CharField("原因", max_length=16, choices=Reason.choices)
    audience_path = models.CharField(
        "原可见范围路径",
        max_length=255,
        blank=True,
        help_text="对象离开时的可见范围（组织路径）；只有该范围内的用户会收到这条记录",
    )
    at = models.DateTimeField("时间", db_index=True, help_text="对象离开该资源的时间")

    class Meta:
        verbose_name = "内容删除记录"
        verbose_name_plural = "内容删除记录"
        indexes = [models.Index(fields=["resource", "at"], name="api_tomb_res_at")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.resource}#{self.object_id} {self.reason} @ {self.at:%Y-%m-%d %H:%M}"
