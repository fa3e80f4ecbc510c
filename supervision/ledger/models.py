"""The work ledger (电子台账): the basic work items (templates, an editable default set
loaded by set-up), each unit's report per period with its evidence, and the upper level's
review."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin import display as admin_display
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.registry import scoped


class LedgerItem(models.Model):
    """A basic work item every applicable unit reports on each period."""

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("每月")
        QUARTER = "quarter", _("每季度")
        YEAR = "year", _("每年")

    code = models.CharField(_("编号"), max_length=16, unique=True)
    title = models.CharField(_("工作事项"), max_length=200)
    category = models.CharField(_("类别"), max_length=64, blank=True)
    description = models.TextField(_("要求"), blank=True)
    period = models.CharField(
        _("报告周期"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.QUARTER
    )
    for_committee = models.BooleanField(_("适用于党委"), default=False)
    for_general_branch = models.BooleanField(_("适用于党总支"), default=True)
    for_branch = models.BooleanField(_("适用于党支部"), default=True)
    remind_days = models.PositiveSmallIntegerField(
        _("提前提醒天数"), default=5, help_text=_("周期最后一天前多少天提醒尚未报告的组织")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("台账事项")
        verbose_name_plural = _("台账事项")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def applies_to(self, unit_kind: str) -> bool:
        return bool(getattr(self, f"for_{unit_kind}", False))

    @property
    def unit_kinds(self) -> list[str]:
        return [k for k in ("committee", "general_branch", "branch") if self.applies_to(k)]


@scoped(unit="unit", routes=("ledger-report",))
class LedgerReport(models.Model):
    """A unit's report on one item for one period; reviewed by the level above."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        ACCEPTED = "accepted", _("已通过")
        RETURNED = "returned", _("已退回")

    unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("党组织"),
    )
    item = models.ForeignKey(
        LedgerItem, on_delete=models.PROTECT, related_name="reports", verbose_name=_("工作事项")
    )
    period = models.CharField(_("周期"), max_length=8, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    text = models.TextField(_("完成情况"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报告时间"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("台账报告")
        verbose_name_plural = _("台账报告")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "item", "period"], name="supervision_ledger_once"
            )
        ]
        # the completion grid reads (period, unit) → item, status from the index alone:
        # a few period ranges for the whole tree, one probe per unit for a subtree
        indexes = [
            models.Index(
                fields=["period", "unit"],
                include=["item", "status"],
                name="supervision_ledger_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.period}"

    @admin_display(description=_("完成情况"))
    def summary(self) -> str:
        return self.text[:40]


@scoped(unit="report__unit", routes=("ledger-evidence",))
class LedgerEvidence(models.Model):
    report = models.ForeignKey(LedgerReport, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to="supervision/ledger/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("台账佐证材料")
        verbose_name_plural = _("台账佐证材料")

    def __str__(self) -> str:
        return self.name
