"""The ledger: append-only entries. Balance = SUM(amount_fen) of a member's entries;
positive = owed. Corrections are new entries (an adjustment with a reason and an
approver, a refund), never edits: `save()` of an existing row, `delete()` and queryset
update/delete raise, and on PostgreSQL a trigger refuses UPDATE and DELETE (migration
0003); on SQLite a trigger refuses UPDATE."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import Member, OrgUnit
from organizations.registry import scoped


class LedgerImmutable(Exception):
    """An attempt to edit or delete a ledger entry (a programming error, not user input)."""


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutable("ledger entries are never updated; add a correcting entry")

    def delete(self):
        raise LedgerImmutable("ledger entries are never deleted; add a correcting entry")

    _raw_delete = delete


@scoped(unit="unit", member="member", routes=("dues-entry",))
class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        OBLIGATION = "obligation", _("应缴")
        PAYMENT = "payment", _("缴纳")
        REFUND = "refund", _("退款")
        ADJUSTMENT = "adjustment", _("调整")
        VOLUNTARY = "voluntary", _("自愿多交")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="dues_entries", verbose_name=_("党员")
    )
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("收缴党组织"),
        help_text=_("该月党员所在（应向其交纳）的党组织"),
    )
    month = models.DateField(_("所属月份"), help_text=_("该月 1 日"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"), help_text=_("正数为应缴，负数为已缴"))
    order = models.ForeignKey(
        "dues.PaymentOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("支付订单"),
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批准人"),
    )
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True, db_index=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费账目")
        verbose_name_plural = _("党费账目")
        ordering = ["member_id", "month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month"],
                condition=Q(kind="obligation"),
                name="dues_one_obligation_per_month",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | (~Q(reason="") & Q(approved_by__isnull=False)),
                name="dues_adjustment_reason_approver",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "month"], name="dues_entry_member_month"),
            models.Index(fields=["unit", "month"], name="dues_entry_unit_month"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month:%Y-%m} {self.amount_fen / 100:.2f}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise LedgerImmutable("ledger entries are never updated; add a correcting entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("ledger entries are never deleted; add a correcting entry")
