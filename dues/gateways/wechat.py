"""WeChat Pay API v3 through the `wechatpayv3` SDK (APP payments).

Keys (docs/operations.md): the merchant's API private key and its certificate serial,
the APIv3 key (decrypts notifications), and the WeChat Pay platform public key with its
id (verifies notifications and every API answer). `DUES_WECHAT_API_BASE` points the SDK
at another host (the tests' local fake provider).

Notifications: the SDK verifies ``Wechatpay-Signature`` (RSA-SHA256 over
``timestamp\\nnonce\\nbody\\n`` with the platform key) and decrypts the AEAD_AES_256_GCM
resource; we add the 5-minute timestamp window WeChat Pay recommends against replays.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import secrets
import time
from collections.abc import Mapping

from django.conf import settings

from dues.amounts import yuan_to_fen
from dues.gateways.base import (
    BillRow,
    CallbackRejected,
    Gateway,
    GatewayError,
    Notification,
    OrderRequest,
    RefundRequest,
    TradeState,
    pem,
)

WINDOW_SECONDS = 300


def _client():
    from wechatpayv3 import WeChatPay, WeChatPayType

    client = WeChatPay(
        wechatpay_type=WeChatPayType.APP,
        mchid=settings.DUES_WECHAT_MCHID,
        private_key=pem(settings.DUES_WECHAT_PRIVATE_KEY),
        cert_serial_no=settings.DUES_WECHAT_CERT_SERIAL_NO,
        appid=settings.DUES_WECHAT_APPID,
        apiv3_key=settings.DUES_WECHAT_APIV3_KEY,
        public_key=pem(settings.DUES_WECHAT_PUBLIC_KEY),
        public_key_id=settings.DUES_WECHAT_PUBLIC_KEY_ID,
        timeout=(5, 15),
    )
    client._core._gate_way = settings.DUES_WECHAT_API_BASE.rstrip("/")
    return client


def _call(fn, *args, **kwargs) -> tuple[int, dict]:
    try:
        code, message = fn(*args, **kwargs)
    except Exception as exc:  # network errors, a bad answer signature
        raise GatewayError(f"微信支付请求失败：{exc}") from exc
    try:
        data = json.loads(message) if isinstance(message, str) and message else {}
    except ValueError:
        data = {}
    return code, data


def parse_tradebill(text: str) -> list[BillRow]:
    """WeChat Pay's trade bill (交易账单, bill_type=ALL): a header line, one line per
    trade with every value prefixed by a backquote, then the summary lines."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = [h.strip().lstrip("\ufeff") for h in lines[0].split(",")]
    rows: list[BillRow] = []
    for values in csv.reader(io.StringIO("\n".join(lines[1:]))):
        if not values or not values[0].startswith("`"):
            break  # 总交易单数,… : the summary starts
        rec = dict(zip(header, (v.lstrip("`").strip() for v in values), strict=False))
        state = rec.get("交易状态", "")
        if state == "SUCCESS":
            rows.append(
                BillRow(
                    rec["商户订单号"],
                    rec["微信订单号"],
                    yuan_to_fen(rec["应结订单金额"]),
                    "payment",
                )
            )
        elif state == "REFUND":
            rows.append(
                BillRow(
                    rec["商户订单号"], rec["微信订单号"], yuan_to_fen(rec["退款金额"]), "refund"
                )
            )
    return rows


class WeChatGateway(Gateway):
    name = "wechat"

    def create(self, req: OrderRequest) -> dict:
        client = _client()
        code, data = _call(
            client.pay,
            description=req.description,
            out_trade_no=req.out_trade_no,
            amount={"total": req.amount_fen, "currency": "CNY"},
            time_expire=req.expires_at.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(
                timespec="seconds"
            ),
            notify_url=req.notify_url,
        )
        prepay_id = data.get("prepay_id")
        if code != 200 or not prepay_id:
            raise GatewayError(f"微信支付下单失败：{data.get('message') or code}")
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        appid = settings.DUES_WECHAT_APPID
        # what the app hands to the WeChat SDK (APP 调起支付, signed with the merchant key)
        return {
            "provider": self.name,
            "out_trade_no": req.out_trade_no,
            "appid": appid,
            "partnerid": settings.DUES_WECHAT_MCHID,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce,
            "timestamp": timestamp,
            "sign": client.sign([appid, timestamp, nonce, prepay_id]),
        }

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        timestamp = headers.get("Wechatpay-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WINDOW_SECONDS:
            raise CallbackRejected("通知时间戳过期或缺失")
        headers = {k: v for k, v in headers.items()}
        try:
            result = _client().callback(headers, body)
        except Exception as exc:  # unsupported algorithm etc.
            raise CallbackRejected(f"通知无法校验：{exc}") from exc
        if not result:
            raise CallbackRejected("签名校验或解密失败")
        resource = result.get("resource") or {}
        try:
            return Notification(
                out_trade_no=str(resource["out_trade_no"]),
                txn_id=str(resource["transaction_id"]),
                amount_fen=int(resource["amount"]["total"]),
                paid=resource.get("trade_state") == "SUCCESS",
            )
        except (KeyError, TypeError, ValueError):
            raise CallbackRejected("通知内容格式错误") from None

    def ack(self, ok: bool) -> tuple[int, str, bytes]:
        if ok:
            return 200, "application/json", b""
        return 400, "application/json", json.dumps({"code": "FAIL", "message": "失败"}).encode()

    def query(self, out_trade_no: str) -> TradeState | None:
        code, data = _call(_client().query, out_trade_no=out_trade_no)
        if code == 404:
            return None
        if code != 200:
            raise GatewayError(f"微信支付查单失败：{data.get('message') or code}")
        return TradeState(
            out_trade_no,
            data.get("transaction_id", ""),
            int((data.get("amount") or {}).get("total", 0)),
            data.get("trade_state") == "SUCCESS",
        )

    def close(self, out_trade_no: str) -> None:
        code, data = _call(_client().close, out_trade_no=out_trade_no)
        if code not in (200, 204):
            raise GatewayError(f"微信支付关单失败：{data.get('message') or code}")

    def refund(self, req: RefundRequest) -> str:
        code, data = _call(
            _client().refund,
            out_refund_no=req.out_refund_no,
            amount={"refund": req.amount_fen, "total": req.total_fen, "currency": "CNY"},
            transaction_id=req.txn_id or None,
            out_trade_no=None if req.txn_id else req.out_trade_no,
            reason=req.reason[:80],
        )
        if code != 200 or data.get("status") not in ("SUCCESS", "PROCESSING"):
            raise GatewayError(f"微信支付退款失败：{data.get('message') or code}")
        return data.get("refund_id", "")

    def bill(self, day: dt.date) -> list[BillRow]:
        client = _client()
        code, data = _call(client.trade_bill, bill_date=day.isoformat(), tar_type="GZIP")
        if code != 200 or not data.get("download_url"):
            raise GatewayError(f"微信支付对账单申请失败：{data.get('message') or code}")
        try:
            code, content = client.download_bill(data["download_url"])
        except Exception as exc:
            raise GatewayError(f"微信支付对账单下载失败：{exc}") from exc
        if code != 200:
            raise GatewayError(f"微信支付对账单下载失败：{code}")
        raw = content.encode() if isinstance(content, str) else content
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return parse_tradebill(raw.decode("utf-8-sig"))
