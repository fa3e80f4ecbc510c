"""The embedded sandbox provider: the default when no real provider is configured.

It behaves like a provider with its own book (`SandboxTrade`): `create` registers the
trade; the member "pays" in the sandbox payment sheet (`sandbox_pay`, the portal's
模拟支付 button or `POST /api/v1/dues/sandbox/pay/<out_trade_no>/`); then the provider's
asynchronous notification is delivered by a background task, signed with HMAC-SHA256
over ``timestamp\\nnonce\\nbody\\n`` with a key derived from SECRET_KEY — verified like a
real provider's (constant-time compare, 5-minute timestamp window). Query, refund and
the statement (a CSV in WeChat Pay's trade-bill layout) answer from its own book.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dues.gateways.base import (
    BillRow,
    CallbackRejected,
    Gateway,
    GatewayError,
    Notification,
    OrderRequest,
    RefundRequest,
    TradeState,
)
from dues.gateways.sandbox_models import SandboxTrade

WINDOW_SECONDS = 300


def _key() -> bytes:
    return hashlib.sha256(b"dues-sandbox:" + settings.SECRET_KEY.encode()).digest()


def _sign(timestamp: str, nonce: str, body: str) -> str:
    mac = hmac.new(_key(), f"{timestamp}\n{nonce}\n{body}\n".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def notification_for(trade: SandboxTrade) -> tuple[dict[str, str], bytes]:
    """The signed notification the sandbox provider sends for `trade`."""
    body = json.dumps(
        {
            "event_type": "TRANSACTION.SUCCESS",
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.txn_id,
            "trade_state": trade.state,
            "amount": {"total": trade.amount_fen, "currency": "CNY"},
        },
        separators=(",", ":"),
    )
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    headers = {
        "Sandbox-Timestamp": timestamp,
        "Sandbox-Nonce": nonce,
        "Sandbox-Signature": _sign(timestamp, nonce, body),
    }
    return headers, body.encode()


class SandboxGateway(Gateway):
    name = "sandbox"

    def create(self, req: OrderRequest) -> dict:
        trade, _ = SandboxTrade.objects.get_or_create(
            out_trade_no=req.out_trade_no,
            defaults={"amount_fen": req.amount_fen, "txn_id": "SBX" + secrets.token_hex(12)},
        )
        return {
            "provider": self.name,
            "out_trade_no": req.out_trade_no,
            "sandbox_pay_path": f"/api/v1/dues/sandbox/pay/{req.out_trade_no}/",
        }

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        timestamp = headers.get("Sandbox-Timestamp", "")
        nonce = headers.get("Sandbox-Nonce", "")
        signature = headers.get("Sandbox-Signature", "")
        text = body.decode("utf-8", "replace")
        if not hmac.compare_digest(_sign(timestamp, nonce, text), signature):
            raise CallbackRejected("签名校验失败")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WINDOW_SECONDS:
            raise CallbackRejected("通知时间戳过期")
        try:
            data = json.loads(text)
            return Notification(
                out_trade_no=str(data["out_trade_no"]),
                txn_id=str(data["transaction_id"]),
                amount_fen=int(data["amount"]["total"]),
                paid=data.get("trade_state") == "SUCCESS",
            )
        except (ValueError, KeyError, TypeError):
            raise CallbackRejected("通知内容格式错误") from None

    def ack(self, ok: bool) -> tuple[int, str, bytes]:
        body = {"code": "SUCCESS"} if ok else {"code": "FAIL", "message": "失败"}
        return (200 if ok else 400), "application/json", json.dumps(body).encode()

    def query(self, out_trade_no: str) -> TradeState | None:
        trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
        if trade is None:
            return None
        return TradeState(
            trade.out_trade_no, trade.txn_id, trade.amount_fen, trade.state == "SUCCESS"
        )

    def close(self, out_trade_no: str) -> None:
        SandboxTrade.objects.filter(out_trade_no=out_trade_no, state="NOTPAY").update(
            state="CLOSED"
        )

    def refund(self, req: RefundRequest) -> str:
        with transaction.atomic():
            trade = (
                SandboxTrade.objects.select_for_update()
                .filter(out_trade_no=req.out_trade_no)
                .first()
            )
            if trade is None or trade.state != "SUCCESS":
                raise GatewayError("沙箱：交易未支付，不能退款")
            if trade.refunded_fen + req.amount_fen > trade.amount_fen:
                raise GatewayError("沙箱：退款金额超过可退金额")
            trade.refunded_fen += req.amount_fen
            trade.save(update_fields=["refunded_fen"])
        return "SBXR" + req.out_refund_no

    def bill(self, day: dt.date) -> list[BillRow]:
        start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_default_timezone())
        trades = SandboxTrade.objects.filter(
            state="SUCCESS", paid_at__gte=start, paid_at__lt=start + dt.timedelta(days=1)
        )
        return [BillRow(t.out_trade_no, t.txn_id, t.amount_fen, "payment") for t in trades]
