"""The sandbox payment sheet's 确认支付: the sandbox provider takes the money in its own
book, then delivers its signed notification asynchronously (dues.tasks.sandbox_notify),
as a real provider would."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dues.gateways.base import GatewayError
from dues.gateways.sandbox_models import SandboxTrade
from dues.tasks import sandbox_notify


def sandbox_pay(out_trade_no: str) -> SandboxTrade:
    """The member confirms in the sandbox payment sheet: the provider takes the money and
    (after its own commit) delivers the signed notification asynchronously."""
    with transaction.atomic():
        trade = SandboxTrade.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
        if trade is None:
            raise GatewayError("沙箱中没有这笔交易", code="sandbox_unknown_trade", status=404)
        if trade.state == "CLOSED":
            raise GatewayError("这笔交易已关闭", code="sandbox_trade_closed", status=409)
        if trade.state != "SUCCESS":
            trade.state = "SUCCESS"
            trade.paid_at = timezone.now()
            trade.save(update_fields=["state", "paid_at"])
        transaction.on_commit(lambda: sandbox_notify.enqueue(out_trade_no))
    return trade
