"""Payment orders: what a member asked to pay, through which provider, and what the
provider said about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import Member, OrgUnit
from organizations.registry import scoped


class Provider(models.TextChoices):
    SANDBOX = "sandbox", _("模拟支付（沙箱）")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")


@scoped(unit="unit", member="member", routes=("dues-order", "dues-receipt"))
class PaymentOrder(models.Model):
    """One payment attempt. `amount_fen` = the months' open amounts + `extra_fen`
    (voluntary). The order is credited exactly once: the transition open/expired → paid
    is one conditional UPDATE under the row lock (services.payment_confirm)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待支付")
        PAID = "paid", _("已支付")
        EXPIRED = "expired", _("已过期")
        CLOSED = "closed", _("已关闭")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="dues_orders", verbose_name=_("党员")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在党组织")
    )
    provider = models.CharField(_("支付方式"), max_length=16, choices=Provider.choices)
    out_trade_no = models.CharField(_("商户订单号"), max_length=32, unique=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    extra_fen = models.BigIntegerField(_("其中自愿多交（分）"), default=0)
    months = models.JSONField(_("所缴月份"), default=list)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    provider_txn_id = models.CharField(_("支付平台交易号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("支付截止"), db_index=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    refunded_fen = models.BigIntegerField(_("已退款（分）"), default=0)
    payload = models.JSONField(_("调起支付参数"), default=dict, blank=True)

    class Meta:
        verbose_name = _("党费支付订单")
        verbose_name_plural = _("党费支付订单")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.out_trade_no} {self.amount_fen / 100:.2f}"


class OrderMonth(models.Model):
    """The months an order covers; `open` while the order can still be paid. A partial
    unique index makes "two open orders for the same month" impossible, even for two
    taps that race."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.CASCADE, related_name="month_rows")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    open = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month"], condition=Q(open=True), name="dues_one_open_order_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.month:%Y-%m}"


@scoped(unit="order__unit", member="order__member", routes=("dues-refund",))
class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("处理中")
        DONE = "done", _("已退款")
        FAILED = "failed", _("失败")

    order = models.ForeignKey(
        PaymentOrder, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("支付订单")
    )
    out_refund_no = models.CharField(_("退款单号"), max_length=32, unique=True)
    amount_fen = models.BigIntegerField(_("退款金额（分）"))
    reason = models.CharField(_("退款原因"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("经办人（党费管理员）"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    provider_refund_id = models.CharField(_("平台退款单号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("党费退款")
        verbose_name_plural = _("党费退款")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.out_refund_no} {self.amount_fen / 100:.2f}"


class CallbackLog(models.Model):
    """Every notification a provider (or someone pretending to be one) sent: accepted,
    repeated or rejected — a forged one is logged with its reason and credits nothing."""

    class Outcome(models.TextChoices):
        CREDITED = "credited", _("已入账")
        REPEATED = "repeated", _("重复通知")
        REJECTED = "rejected", _("已拒绝")
        FAILED = "failed", _("处理失败")

    provider = models.CharField(max_length=16, choices=Provider.choices)
    out_trade_no = models.CharField(max_length=64, blank=True, db_index=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("支付通知记录")
        verbose_name_plural = _("支付通知记录")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.out_trade_no} {self.outcome}"


class Reconciliation(models.Model):
    """One run of the daily reconciliation against a provider's statement: what did not
    match, and which paid orders it completed (a confirmation whose ledger write failed)."""

    provider = models.CharField(_("支付方式"), max_length=16, choices=Provider.choices)
    day = models.DateField(_("账单日期"))
    bill_rows = models.PositiveIntegerField(_("账单笔数"), default=0)
    completed = models.PositiveIntegerField(_("补记入账笔数"), default=0)
    mismatches = models.JSONField(_("不一致项"), default=list)
    created_at = models.DateTimeField(_("对账时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("党费对账")
        verbose_name_plural = _("党费对账")
        ordering = ["-day", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.day}"
