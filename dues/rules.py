"""What a member owes each month: the rates (data) and each member's yearly base."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Member, OrgUnit
from organizations.registry import scoped


class Category(models.TextChoices):
    EMPLOYED = "employed", _("在职")
    RETIRED = "retired", _("离退休")
    STUDENT = "student", _("学生")
    UNEMPLOYED = "unemployed", _("下岗失业")
    SUBSISTENCE = "subsistence", _("领取最低生活保障")
    EXEMPT = "exempt", _("经批准免交")


#: the current regulation: (category, lower fen exclusive, upper fen inclusive or None,
#: basis points, fixed fen a month)
DEFAULT_RATES = [
    ("employed", -1, 300000, 50, 0),
    ("employed", 300000, 500000, 100, 0),
    ("employed", 500000, 1000000, 150, 0),
    ("employed", 1000000, None, 200, 0),
    ("retired", -1, 500000, 50, 0),
    ("retired", 500000, None, 100, 0),
    ("student", -1, None, 0, 20),
    ("unemployed", -1, None, 0, 20),
    ("subsistence", -1, None, 0, 20),
]


class DuesRate(models.Model):
    """One tier of the regulation: for `category`, a base in (lower_fen, upper_fen] pays
    `rate_bp` basis points of the base, or a fixed `fixed_fen` a month. Seeded with the
    current regulation's defaults (migration 0002); not unit-owned (one rule for all)."""

    category = models.CharField(_("党员类别"), max_length=16, choices=Category.choices)
    lower_fen = models.BigIntegerField(
        _("基数下限（分，不含）"), default=-1, help_text=_("基数大于此值时适用；-1 表示从 0 起")
    )
    upper_fen = models.BigIntegerField(
        _("基数上限（分，含）"), null=True, blank=True, help_text=_("留空表示不设上限")
    )
    rate_bp = models.PositiveIntegerField(
        _("比例（万分之）"), default=0, help_text=_("50 表示 0.5%；固定金额时填 0")
    )
    fixed_fen = models.PositiveIntegerField(_("固定金额（分/月）"), default=0)

    class Meta:
        verbose_name = _("党费标准")
        verbose_name_plural = _("党费标准")
        ordering = ["category", "lower_fen"]

    def __str__(self) -> str:
        if self.fixed_fen:
            return f"{self.get_category_display()} 每月 {self.fixed_fen / 100:.2f} 元"
        upper = "∞" if self.upper_fen is None else f"{self.upper_fen / 100:.0f}"
        return f"{self.get_category_display()} ({max(self.lower_fen, 0) / 100:.0f}, {upper}] {self.rate_bp / 100}%"

    def applies_to(self, base_fen: int) -> bool:
        return base_fen > self.lower_fen and (self.upper_fen is None or base_fen <= self.upper_fen)


@scoped(unit="unit", member="member", routes=("dues-base",))
class DuesBase(models.Model):
    """A member's dues base and category for a year, set by their unit (admin form or
    Excel import). The monthly job uses the latest year not after the month's year."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="dues_bases", verbose_name=_("党员")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("核定党组织")
    )
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    category = models.CharField(_("交纳类别"), max_length=16, choices=Category.choices)
    base_fen = models.BigIntegerField(
        _("月缴费基数（分）"), default=0, validators=[MinValueValidator(0)]
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("核定人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("党费基数")
        verbose_name_plural = _("党费基数")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="dues_base_member_year")
        ]
        indexes = [models.Index(fields=["member", "-year"], name="dues_base_member_latest")]

    def __str__(self) -> str:
        return (
            f"{self.member_id} {self.year} {self.get_category_display()} {self.base_fen / 100:.2f}"
        )
