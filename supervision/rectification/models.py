"""Problem transfer lists (问题移交单) and their rectification: an upper unit (or an
inspection) hands a problem to a unit; the unit replies with measures and evidence; the
upper unit verifies and closes it or returns it; overdue items escalate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.registry import scoped


@scoped(unit="unit", routes=("rectification",))
class Rectification(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        REPLIED = "replied", _("待核验")
        RETURNED = "returned", _("已退回")
        CLOSED = "closed", _("已销号")

    class Source(models.TextChoices):
        UPPER = "upper", _("上级交办")
        INSPECTION = "inspection", _("巡视巡察")
        AUDIT = "audit", _("审计检查")
        OTHER = "other", _("其他")

    unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("整改单位"),
    )
    issued_by_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("移交单位"),
    )
    title = models.CharField(_("问题"), max_length=200)
    description = models.TextField(_("问题描述"))
    category = models.CharField(_("问题类别"), max_length=64)
    source = models.CharField(
        _("来源"), max_length=16, choices=Source.choices, default=Source.UPPER
    )
    deadline = models.DateField(_("整改期限"), help_text=_("截止到当天 24:00，按整改单位时区计算"))
    responsible_person = models.CharField(_("责任人"), max_length=64)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    measures = models.TextField(_("整改措施"), blank=True)
    evidence_text = models.TextField(_("整改佐证"), blank=True)
    replied_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期（整改单位时区）"), null=True, blank=True)
    closed_on_time = models.BooleanField(_("按期销号"), null=True, blank=True)
    close_seconds = models.BigIntegerField(_("整改用时（秒）"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("督办级别"), default=0, help_text=_("0 未督办；1 已提醒本单位书记；2 已报上一级")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("移交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("问题移交单")
        verbose_name_plural = _("问题移交单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="supervision_rect_open"),
            models.Index(fields=["unit", "status"], name="supervision_rect_unit"),
        ]

    def __str__(self) -> str:
        return self.title


@scoped(unit="rectification__unit", routes=("rectification-evidence",))
class RectificationEvidence(models.Model):
    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to="supervision/rectification/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("整改佐证材料")
        verbose_name_plural = _("整改佐证材料")

    def __str__(self) -> str:
        return self.name
