"""Pairing assistance (结对帮扶): a member in difficulty, the helpers paired with them, a
plan, the visits and support given (money in integer fen), through to closure."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Member, OrgUnit
from organizations.registry import scoped

__all__ = ["AssistanceCase", "AssistanceHelper", "AssistanceVisit"]


@scoped(unit="unit", routes=("assistance-case",))
class AssistanceCase(models.Model):
    """One member's difficulty and the help organised for it, owned by the member's unit
    when the case was opened."""

    class Category(models.TextChoices):
        ILLNESS = "illness", _("重病")
        FAMILY_HARDSHIP = "family_hardship", _("家庭困难")
        WORK_INJURY = "work_injury", _("工伤")
        DISASTER = "disaster", _("遭受灾害")
        ELDERLY = "elderly", _("老党员生活困难")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("帮扶中")
        CLOSED = "closed", _("已结案")

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="assistance_cases", verbose_name=_("党组织")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="assistance_cases",
        verbose_name=_("帮扶对象"),
    )
    category = models.CharField(_("困难类别"), max_length=20, choices=Category.choices)
    situation = models.TextField(_("困难情况"), max_length=2000)
    plan = models.TextField(_("帮扶计划"), max_length=2000, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_on = models.DateField(_("立项日期"))
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    closing_summary = models.TextField(_("结案说明"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("结对帮扶")
        verbose_name_plural = _("结对帮扶")
        ordering = ["-opened_on", "-pk"]
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_category_display()}"


@scoped(unit="case__unit", routes=("assistance-helper",))
class AssistanceHelper(models.Model):
    """A member paired with the case as a helper (帮扶责任人)."""

    case = models.ForeignKey(
        AssistanceCase, on_delete=models.CASCADE, related_name="helpers", verbose_name=_("帮扶")
    )
    helper = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="assistance_helping",
        verbose_name=_("帮扶人"),
    )
    paired_on = models.DateField(_("结对日期"))
    note = models.CharField(_("分工"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("帮扶人")
        verbose_name_plural = _("帮扶人")
        constraints = [
            models.UniqueConstraint(fields=["case", "helper"], name="assistance_helper_once")
        ]

    def __str__(self) -> str:
        return f"{self.helper.name} → {self.case}"


@scoped(unit="case__unit", routes=("assistance-visit",))
class AssistanceVisit(models.Model):
    """A visit, call or support given; `amount_fen` for money (integer fen, ¥1 = 100)."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("走访慰问")
        CALL = "call", _("电话联系")
        GOODS = "goods", _("物资帮扶")
        MONEY = "money", _("资金帮扶")
        OTHER = "other", _("其他帮扶")

    case = models.ForeignKey(
        AssistanceCase, on_delete=models.CASCADE, related_name="visits", verbose_name=_("帮扶")
    )
    helper = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("帮扶人"),
    )
    kind = models.CharField(_("方式"), max_length=10, choices=Kind.choices)
    visited_on = models.DateField(_("日期"))
    amount_fen = models.PositiveBigIntegerField(_("金额（分）"), default=0)
    notes = models.TextField(_("情况记录"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("帮扶记录")
        verbose_name_plural = _("帮扶记录")
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()} · {self.visited_on}"
