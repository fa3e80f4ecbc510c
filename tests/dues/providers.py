"""The provider's side of each gateway, for the contract tests: what the provider's app
does with our payload, its payment, its signed notification, a forgery, a tampered
body, and its own book."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from django.utils import timezone

from dues.gateways.sandbox import notification_for
from dues.gateways.sandbox_models import SandboxTrade
from tests.servers.fake_payments import FakeProviders, new_rsa


class SandboxSide:
    name = "sandbox"
    payload_keys = {"sandbox_pay_path", "out_trade_no"}

    def __init__(self, fake: FakeProviders):
        self.fake = fake

    def accept(self, payload: dict) -> None:
        assert SandboxTrade.objects.filter(out_trade_no=payload["out_trade_no"]).exists()

    def pay_silently(self, no: str) -> None:
        SandboxTrade.objects.filter(out_trade_no=no).update(state="SUCCESS", paid_at=timezone.now())

    def notification(self, no: str, *, amount_fen=None):
        trade = SandboxTrade.objects.get(out_trade_no=no)
        if amount_fen is not None:
            trade.amount_fen = amount_fen  # the provider's message says another amount
        return notification_for(trade)

    def forged(self, no: str):
        headers, body = self.notification(no)
        ts, nonce = headers["Sandbox-Timestamp"], headers["Sandbox-Nonce"]
        mac = hmac.new(b"not-the-key", f"{ts}\n{nonce}\n{body.decode()}\n".encode(), hashlib.sha256)
        headers["Sandbox-Signature"] = base64.b64encode(mac.digest()).decode()
        return headers, body

    def tamper(self, body: bytes) -> bytes:
        data = json.loads(body)
        data["amount"]["total"] += 1
        return json.dumps(data, separators=(",", ":")).encode()

    def state(self, no: str) -> str:
        return SandboxTrade.objects.get(out_trade_no=no).state

    def refunded(self, no: str) -> int:
        return SandboxTrade.objects.get(out_trade_no=no).refunded_fen

    def ack_ok(self, response) -> bool:
        return response.status_code == 200 and response.json()["code"] == "SUCCESS"


class WeChatSide(SandboxSide):
    name = "wechat"
    payload_keys = {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}

    def accept(self, payload: dict) -> None:
        assert payload["out_trade_no"] in self.fake.trades

    def pay_silently(self, no: str) -> None:
        self.fake.pay(no)

    def notification(self, no: str, *, amount_fen=None):
        return self.fake.wechat_notification(self.fake.trades[no], amount_fen=amount_fen)

    def forged(self, no: str):
        _, other_private, _ = new_rsa()
        return self.fake.wechat_notification(self.fake.trades[no], platform_key=other_private)

    def tamper(self, body: bytes) -> bytes:
        data = json.loads(body)
        data["summary"] = "支付成功（已改）"
        return json.dumps(data, ensure_ascii=False).encode()

    def state(self, no: str) -> str:
        return self.fake.trades[no].state

    def refunded(self, no: str) -> int:
        return self.fake.trades[no].refunded_fen

    def ack_ok(self, response) -> bool:
        return response.status_code in (200, 204)


class AlipaySide(WeChatSide):
    name = "alipay"
    payload_keys = {"order_string", "out_trade_no"}

    def accept(self, payload: dict) -> None:
        self.fake.register_alipay_order(payload["order_string"])

    def notification(self, no: str, *, amount_fen=None):
        return self.fake.alipay_notification(self.fake.trades[no], amount_fen=amount_fen)

    def forged(self, no: str):
        _, other_private, _ = new_rsa()
        return self.fake.alipay_notification(self.fake.trades[no], private_pem=other_private)

    def tamper(self, body: bytes) -> bytes:
        return body.replace(b"trade_status=TRADE_SUCCESS", b"trade_status=TRADE_FINISHED")

    def ack_ok(self, response) -> bool:
        return response.status_code == 200 and response.content == b"success"


SIDES = {"sandbox": SandboxSide, "wechat": WeChatSide, "alipay": AlipaySide}
