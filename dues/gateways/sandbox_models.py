"""The sandbox provider's own book (what a real provider keeps on its side): which
trades it was asked to create, which the member "paid" in the sandbox payment sheet, and
refunds. Our order tables are never read to answer a query/bill: reconciliation compares
two independent books, as with the real providers."""

from __future__ import annotations

from django.db import models


class SandboxTrade(models.Model):
    out_trade_no = models.CharField(max_length=32, unique=True)
    txn_id = models.CharField(max_length=40, unique=True)
    amount_fen = models.BigIntegerField()
    state = models.CharField(max_length=12, default="NOTPAY")  # NOTPAY / SUCCESS / CLOSED
    refunded_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "沙箱交易"
        verbose_name_plural = "沙箱交易"

    def __str__(self) -> str:
        return f"{self.out_trade_no} {self.state}"
