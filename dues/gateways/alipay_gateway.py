"""Alipay through `python-alipay-sdk` (APP payments, RSA2).

Keys (docs/operations.md): the app's private key and Alipay's public key ("公钥模式").
`DUES_ALIPAY_GATEWAY` points the SDK at another gateway URL (the sandbox
openapi-sandbox.dl.alipaydev.com, or the tests' local fake provider).

Notifications are form posts signed RSA2 over the sorted ``k=v&…`` of every parameter but
``sign``/``sign_type``; the SDK's `verify` checks them with Alipay's public key; we also
require our app id and a paid trade status. Alipay expects the text ``success`` back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from urllib.parse import parse_qsl
from urllib.request import urlopen

from django.conf import settings

from dues.amounts import fen_to_yuan, yuan_to_fen
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

PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")


def _client():
    from alipay import AliPay

    client = AliPay(
        appid=settings.DUES_ALIPAY_APPID,
        app_private_key_string=pem(settings.DUES_ALIPAY_PRIVATE_KEY),
        alipay_public_key_string=pem(settings.DUES_ALIPAY_PUBLIC_KEY),
        sign_type="RSA2",
    )
    client._gateway = settings.DUES_ALIPAY_GATEWAY
    return client


def _call(fn, *args, **kwargs) -> dict:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # AliPayException (error answer), a bad signature, network
        raise GatewayError(f"支付宝请求失败：{exc}"[:300]) from exc


def parse_trade_bill(text: str) -> list[BillRow]:
    """Alipay's trade bill (业务明细, CSV in GBK): '#' comment lines around a header and
    one line per trade or refund (业务类型 交易 / 退款)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows: list[BillRow] = []
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = None
    for values in reader:
        values = [v.strip() for v in values]
        if header is None:
            if "商户订单号" in values:
                header = values
            continue
        rec = dict(zip(header, values, strict=False))
        kind = rec.get("业务类型", "")
        if kind not in ("交易", "退款"):
            continue
        amount = abs(yuan_to_fen(rec.get("订单金额（元）", "0") or "0"))
        rows.append(
            BillRow(
                rec["商户订单号"],
                rec["支付宝交易号"],
                amount,
                "payment" if kind == "交易" else "refund",
            )
        )
    return rows


class AlipayGateway(Gateway):
    name = "alipay"

    def create(self, req: OrderRequest) -> dict:
        client = _client()
        local = req.expires_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
        order_string = client.api_alipay_trade_app_pay(
            subject=req.description,
            out_trade_no=req.out_trade_no,
            total_amount=fen_to_yuan(req.amount_fen),
            notify_url=req.notify_url,
            time_expire=local.strftime("%Y-%m-%d %H:%M:%S"),
        )
        # the app passes order_string to the Alipay SDK's payV2
        return {
            "provider": self.name,
            "out_trade_no": req.out_trade_no,
            "order_string": order_string,
        }

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        try:
            data = dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError):
            raise CallbackRejected("通知内容格式错误") from None
        signature = data.pop("sign", "")
        if not signature:
            raise CallbackRejected("通知缺少签名")
        try:
            verified = _client().verify(dict(data), signature)
        except Exception:  # unknown sign type, undecodable signature
            verified = False
        if not verified:
            raise CallbackRejected("签名校验失败")
        if data.get("app_id") != settings.DUES_ALIPAY_APPID:
            raise CallbackRejected("通知的应用 ID 不是本应用")
        try:
            return Notification(
                out_trade_no=data["out_trade_no"],
                txn_id=data["trade_no"],
                amount_fen=yuan_to_fen(data["total_amount"]),
                paid=data.get("trade_status") in PAID,
            )
        except (KeyError, ValueError):
            raise CallbackRejected("通知内容格式错误") from None

    def ack(self, ok: bool) -> tuple[int, str, bytes]:
        return 200, "text/plain", b"success" if ok else b"failure"

    def query(self, out_trade_no: str) -> TradeState | None:
        from alipay.exceptions import AliPayException

        try:
            data = _client().api_alipay_trade_query(out_trade_no=out_trade_no)
        except AliPayException as exc:
            if "TRADE_NOT_EXIST" in str(exc):
                return None
            raise GatewayError(f"支付宝查单失败：{exc}"[:300]) from exc
        except Exception as exc:
            raise GatewayError(f"支付宝查单失败：{exc}"[:300]) from exc
        if data.get("code") != "10000":
            if data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return None
            raise GatewayError(f"支付宝查单失败：{data.get('sub_msg') or data.get('code')}")
        return TradeState(
            out_trade_no,
            data.get("trade_no", ""),
            yuan_to_fen(data.get("total_amount", "0")),
            data.get("trade_status") in PAID,
        )

    def close(self, out_trade_no: str) -> None:
        data = _call(_client().api_alipay_trade_close, out_trade_no=out_trade_no)
        if data.get("code") != "10000" and data.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
            raise GatewayError(f"支付宝关单失败：{data.get('sub_msg') or data.get('code')}")

    def refund(self, req: RefundRequest) -> str:
        data = _call(
            _client().api_alipay_trade_refund,
            refund_amount=fen_to_yuan(req.amount_fen),
            out_trade_no=req.out_trade_no,
            out_request_no=req.out_refund_no,
            refund_reason=req.reason[:80],
        )
        if data.get("code") != "10000":
            raise GatewayError(f"支付宝退款失败：{data.get('sub_msg') or data.get('code')}")
        return data.get("trade_no", "") + "/" + req.out_refund_no

    def bill(self, day: dt.date) -> list[BillRow]:
        data = _call(
            _client().server_api,
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": day.isoformat()},
        )
        url = data.get("bill_download_url")
        if data.get("code") != "10000" or not url:
            raise GatewayError(f"支付宝对账单申请失败：{data.get('sub_msg') or data.get('code')}")
        try:
            raw = urlopen(url, timeout=15).read()  # noqa: S310 (the provider's https URL)
        except Exception as exc:
            raise GatewayError(f"支付宝对账单下载失败：{exc}") from exc
        rows: list[BillRow] = []
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            for name in archive.namelist():
                if "汇总" in name:
                    continue
                rows += parse_trade_bill(archive.read(name).decode("gbk"))
        return rows
