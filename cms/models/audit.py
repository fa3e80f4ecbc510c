"""The audit log (审核发布记录): one append-only entry per action on content and outlets.

Each entry names the action, when, the operator (always a person where one exists: for
an automatic action such as a publication on schedule, the person who scheduled it —
see `cms.audit_log`), the unit it belongs to (the content's publishing unit or the
outlet's owning unit), the item (page id, revision, title) and the outlets concerned,
with snapshots of their names and accountable owners at that moment
(`AuditEntryOutlet`). A `publish` entry's outlets are the record of what the published
revision went out through.

Entries are never changed or deleted by the application: `save()` of an existing entry,
`delete()` and queryset `update()`/`delete()` raise `AuditLogImmutable`, the admin has no
edit or delete view, and on PostgreSQL a trigger refuses UPDATE and DELETE of the rows
(migration `cms.0004_audit_log_append_only_triggers`; on SQLite UPDATE only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.errors import DomainError
from organizations.registry import scoped


class AuditLogImmutable(DomainError):
    """An attempt to change or delete an audit entry (refused: 409, `audit_log_immutable`)."""

    code = "audit_log_immutable"
    status = 409

    def __init__(self, message: str = "审核发布记录只能追加，不能修改或删除", **kwargs):
        super().__init__(message, **kwargs)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogImmutable

    def delete(self):
        raise AuditLogImmutable

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditLogImmutable

    def update_or_create(self, *args, **kwargs):
        raise AuditLogImmutable


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogImmutable
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable


@scoped(unit="unit", routes=("audit-entry",))
class AuditEntry(AppendOnlyModel):
    class Action(models.TextChoices):
        SUBMIT = "submit", "提交审核"
        APPROVE = "approve", "审核通过"
        REJECT = "reject", "退回修改"
        WITHDRAW = "withdraw", "撤回审核"
        SCHEDULE = "schedule", "定时发布"
        UNSCHEDULE = "unschedule", "取消定时发布"
        PUBLISH = "publish", "发布"
        UNPUBLISH = "unpublish", "撤下"
        EXPIRE = "expire", "到期撤下"
        WIDEN_AUDIENCE = "widen_audience", "扩大可见范围"
        OUTLET_REGISTER = "outlet_register", "登记阵地"
        OUTLET_APPROVE = "outlet_approve", "批准阵地"
        OUTLET_CHANGE = "outlet_change", "变更阵地"

    timestamp = models.DateTimeField("时间", default=timezone.now, db_index=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices, db_index=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    operator_name = models.CharField("操作人姓名", max_length=150)
    unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="所属单位",
    )
    unit_name = models.CharField("单位名称", max_length=200, blank=True)
    page_id = models.PositiveBigIntegerField("页面 ID", null=True, blank=True)
    revision_id = models.PositiveBigIntegerField("版本 ID", null=True, blank=True)
    object_type = models.CharField("对象类型", max_length=40)
    object_label = models.CharField("对象", max_length=300)
    comment = models.TextField("意见/说明", blank=True)
    data = models.JSONField("详情", default=dict, blank=True)
    source_log_id = models.PositiveBigIntegerField(
        "来源日志 ID", null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = "审核发布记录"
        verbose_name_plural = "审核发布记录"
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["page_id", "revision_id", "action"], name="cms_audit_page_rev"),
            models.Index(fields=["operator", "timestamp"], name="cms_audit_operator"),
        ]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_label}"


class AuditEntryOutlet(AppendOnlyModel):
    """An outlet an entry concerns, as it was at that moment (name, kind, owner)."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.CASCADE, related_name="outlet_rows")
    outlet = models.ForeignKey(
        "cms.Outlet", on_delete=models.PROTECT, related_name="audit_rows", verbose_name="阵地"
    )
    outlet_name = models.CharField("阵地名称", max_length=100)
    outlet_kind = models.CharField("阵地类型", max_length=12)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="责任人",
    )
    owner_name = models.CharField("责任人姓名", max_length=150, blank=True)

    class Meta:
        verbose_name = "记录涉及的阵地"
        verbose_name_plural = "记录涉及的阵地"
        constraints = [
            models.UniqueConstraint(fields=["entry", "outlet"], name="cms_audit_entry_outlet")
        ]
        indexes = [models.Index(fields=["outlet", "entry"], name="cms_audit_outlet_entry")]

    def __str__(self) -> str:
        return self.outlet_name
