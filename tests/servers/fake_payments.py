"""A local fake of WeChat Pay API v3 and the Alipay open gateway, for the dues tests.

It plays the provider's side with keys generated in the test: it checks each request's
merchant signature (WeChat Pay's Authorization header, Alipay's RSA2 `sign`), keeps its
own book of trades, answers signed like the provider (WeChat Pay: Wechatpay-Signature
with the platform key; Alipay: the response object's RSA2 sign) and makes the signed
payment notifications the provider would send — with the SDKs' own signing code
(`wechatpayv3.utils.rsa_sign`, `alipay.AliPay._sign`). Statements come in the providers'
formats: WeChat Pay's gzipped trade-bill CSV, Alipay's zipped GBK CSV.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import secrets
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dues.amounts import fen_to_yuan


def new_rsa():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, private, public


@dataclass
class Trade:
    out_trade_no: str
    amount_fen: int
    txn_id: str
    state: str = "NOTPAY"
    refunded_fen: int = 0
    refunds: list = field(default_factory=list)


class FakeProviders:
    """Start with `.start()`; `settings()` are the DUES_* settings pointing at it."""

    def __init__(self):
        self.trades: dict[str, Trade] = {}
        self.requests: list[tuple[str, str]] = []  # (provider, path or method) seen
        self.lock = threading.Lock()
        # WeChat Pay: the merchant's key (ours) and the platform key (the provider's)
        self.wx_merchant, self.wx_merchant_priv, self.wx_merchant_pub = new_rsa()
        self.wx_platform, self.wx_platform_priv, self.wx_platform_pub = new_rsa()
        self.wx_public_key_id = "PUB_KEY_ID_0114232134912410000000000000" + secrets.token_hex(2)
        self.wx_apiv3_key = secrets.token_hex(16)  # 32 characters
        self.wx_mchid, self.wx_appid, self.wx_serial = (
            "1900000109",
            "wxd678efh567hg6787",
            "5157F09EFDC096DE15EBE81A47057A72",
        )
        # Alipay: the app's key (ours) and Alipay's key (the provider's)
        _, self.ali_app_priv, self.ali_app_pub = new_rsa()
        _, self.ali_priv, self.ali_pub = new_rsa()
        self.ali_appid = "2021000000000001"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    # --- lifecycle ---------------------------------------------------------------------
    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict:
        return {
            "DUES_WECHAT_MCHID": self.wx_mchid,
            "DUES_WECHAT_APPID": self.wx_appid,
            "DUES_WECHAT_APIV3_KEY": self.wx_apiv3_key,
            "DUES_WECHAT_CERT_SERIAL_NO": self.wx_serial,
            "DUES_WECHAT_PRIVATE_KEY": self.wx_merchant_priv,
            "DUES_WECHAT_PUBLIC_KEY": self.wx_platform_pub,
            "DUES_WECHAT_PUBLIC_KEY_ID": self.wx_public_key_id,
            "DUES_WECHAT_API_BASE": self.base,
            "DUES_ALIPAY_APPID": self.ali_appid,
            "DUES_ALIPAY_PRIVATE_KEY": self.ali_app_priv,
            "DUES_ALIPAY_PUBLIC_KEY": self.ali_pub,
            "DUES_ALIPAY_GATEWAY": self.base + "/gateway.do",
            "DUES_SANDBOX": True,
        }

    def alipay_provider(self, private_pem: str | None = None):
        """An AliPay client on the provider's side: signs with Alipay's key, verifies with
        the app's public key (the SDK's own sign/verify code)."""
        from alipay import AliPay

        return AliPay(
            appid=self.ali_appid,
            app_private_key_string=private_pem or self.ali_priv,
            alipay_public_key_string=self.ali_app_pub,
            sign_type="RSA2",
        )

    def app_signed(self, data: dict, sign: str) -> bool:
        """An app request's RSA2 signature: over every parameter but `sign` (sign_type
        included), sorted, with the app's public key."""
        message = "&".join(f"{k}={v}" for k, v in sorted(data.items()))
        try:
            return self.alipay_provider()._verify(message, sign)
        except Exception:
            return False

    # --- the provider's actions --------------------------------------------------------
    def register_alipay_order(self, order_string: str) -> Trade:
        """What the Alipay app does with our order string: check its signature, open the
        trade."""
        data = dict(parse_qsl(order_string))
        sign = data.pop("sign")
        assert self.app_signed(data, sign), "order string not signed by the app"
        biz = json.loads(data["biz_content"])
        from dues.amounts import yuan_to_fen

        with self.lock:
            trade = self.trades.setdefault(
                biz["out_trade_no"],
                Trade(
                    biz["out_trade_no"],
                    yuan_to_fen(biz["total_amount"]),
                    "2026" + secrets.token_hex(12),
                ),
            )
        return trade

    def pay(self, out_trade_no: str) -> Trade:
        with self.lock:
            trade = self.trades[out_trade_no]
            trade.state = "SUCCESS"
        return trade

    def wechat_notification(
        self, trade: Trade, *, amount_fen=None, platform_key=None, timestamp=None
    ):
        from wechatpayv3.utils import load_private_key, rsa_sign

        resource = {
            "mchid": self.wx_mchid,
            "appid": self.wx_appid,
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.txn_id,
            "trade_type": "APP",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "success_time": "2026-12-07T10:34:56+08:00",
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {
                "total": trade.amount_fen if amount_fen is None else amount_fen,
                "payer_total": trade.amount_fen,
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        }
        nonce = secrets.token_hex(6)
        ciphertext = AESGCM(self.wx_apiv3_key.encode()).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), b"transaction"
        )
        body = json.dumps(
            {
                "id": secrets.token_hex(18),
                "create_time": "2026-12-07T10:34:57+08:00",
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig_nonce = secrets.token_hex(16)
        key = load_private_key(platform_key or self.wx_platform_priv)
        headers = {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": sig_nonce,
            "Wechatpay-Signature": rsa_sign(key, f"{ts}\n{sig_nonce}\n{body}\n"),
            "Wechatpay-Serial": self.wx_public_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }
        return headers, body.encode()

    def alipay_notification(self, trade: Trade, *, amount_fen=None, private_pem=None):
        data = {
            "notify_time": "2026-12-07 10:34:57",
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": self.ali_appid,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade.txn_id,
            "out_trade_no": trade.out_trade_no,
            "buyer_id": "2088102122524333",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": fen_to_yuan(trade.amount_fen if amount_fen is None else amount_fen),
            "receipt_amount": fen_to_yuan(trade.amount_fen),
            "subject": "党费",
            "gmt_payment": "2026-12-07 10:34:56",
        }
        provider = self.alipay_provider(private_pem)
        unsigned = "&".join(f"{k}={v}" for k, v in sorted(data.items()))
        data["sign"] = provider._sign(unsigned)
        data["sign_type"] = "RSA2"
        return {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(data).encode()

    # --- statements --------------------------------------------------------------------
    def wechat_bill(self) -> bytes:
        header = (
            "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
            "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
            "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
        )
        lines = [header]
        with self.lock:
            trades = [t for t in self.trades.values() if t.state == "SUCCESS"]
        for t in trades:
            y = fen_to_yuan(t.amount_fen)
            values = [
                "2026-12-06 10:00:00",
                self.wx_appid,
                self.wx_mchid,
                "0",
                "",
                t.txn_id,
                t.out_trade_no,
                "oUpF8u",
                "APP",
                "SUCCESS",
                "OTHERS",
                "CNY",
                y,
                "0.00",
                "0",
                "0",
                "0.00",
                "0.00",
                "",
                "",
                "党费",
                "",
                "0.00",
                "0.60%",
                y,
                "0.00",
                "",
            ]
            lines.append(",".join("`" + v for v in values))
        total = sum(t.amount_fen for t in trades)
        lines.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
        )
        lines.append(
            f"`{len(trades)},`{fen_to_yuan(total)},`0.00,`0.00,`0.00,`{fen_to_yuan(total)},`0.00"
        )
        return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"))

    def alipay_bill(self) -> bytes:
        head = (
            "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,"
            "对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,"
            "券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
        )
        lines = [
            "#支付宝业务明细查询",
            f"#账号：[{self.ali_appid}]",
            "#起始日期：[2026年12月06日 00:00:00]   终止日期：[2026年12月07日 00:00:00]",
            "#-----------------------------------------业务明细列表----------------------------------------",
            head,
        ]
        with self.lock:
            trades = [t for t in self.trades.values() if t.state == "SUCCESS"]
        for t in trades:
            y = fen_to_yuan(t.amount_fen)
            lines.append(
                f"{t.txn_id}\t,{t.out_trade_no}\t,交易,党费,2026-12-06 10:00:00,2026-12-06 10:00:05,,,,,"
                f"abc***@163.com,{y},{y},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.06,0.00,"
            )
            for no, fen in t.refunds:
                y = fen_to_yuan(fen)
                lines.append(
                    f"{t.txn_id}\t,{t.out_trade_no}\t,退款,党费,2026-12-06 10:00:00,2026-12-06 11:00:00,,,,,"
                    f"abc***@163.com,-{y},-{y},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,{no},0.00,0.00,"
                )
        lines.append(
            "#-----------------------------------------业务明细列表结束------------------------------------"
        )
        lines.append(f"#交易合计：{len(trades)}笔")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("20881234_20261206_业务明细.csv", "\n".join(lines).encode("gbk"))
            z.writestr("20881234_20261206_业务明细(汇总).csv", "#汇总\n".encode("gbk"))
        return buf.getvalue()

    # --- HTTP --------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _body(self) -> str:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n).decode() if n else ""

            def _send(self, code: int, body: bytes, ctype: str, headers: dict | None = None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            # WeChat Pay ------------------------------------------------------------
            def _wx_authorized(self, method: str, body: str) -> bool:
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
                    return False
                parts = dict(p.split("=", 1) for p in auth.split(" ", 1)[1].split(","))
                parts = {k: v.strip('"') for k, v in parts.items()}
                message = (
                    f"{method}\n{self.path}\n{parts['timestamp']}\n{parts['nonce_str']}\n{body}\n"
                )
                try:
                    fake.wx_merchant.public_key().verify(
                        base64.b64decode(parts["signature"]),
                        message.encode(),
                        padding.PKCS1v15(),
                        hashes.SHA256(),
                    )
                except Exception:
                    return False
                return parts.get("mchid") == fake.wx_mchid

            def _wx_send(self, code: int, data: dict | None):
                from wechatpayv3.utils import load_private_key, rsa_sign

                body = json.dumps(data, ensure_ascii=False) if data is not None else ""
                ts, nonce = str(int(time.time())), secrets.token_hex(16)
                key = load_private_key(fake.wx_platform_priv)
                self._send(
                    code,
                    body.encode(),
                    "application/json",
                    {
                        "Wechatpay-Timestamp": ts,
                        "Wechatpay-Nonce": nonce,
                        "Wechatpay-Signature": rsa_sign(key, f"{ts}\n{nonce}\n{body}\n"),
                        "Wechatpay-Serial": fake.wx_public_key_id,
                        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                    },
                )

            def _wechat(self, method: str):
                body = self._body() if method == "POST" else ""
                path = urlsplit(self.path).path
                fake.requests.append(("wechat", path))
                if path.startswith("/v3/billdownload/"):
                    return self._send(200, fake.wechat_bill(), "application/octet-stream")
                if not self._wx_authorized(method, body):
                    return self._wx_send(401, {"code": "SIGN_ERROR", "message": "签名错误"})
                if path == "/v3/pay/transactions/app":
                    data = json.loads(body)
                    assert data["notify_url"].endswith("/api/v1/dues/callbacks/wechat/")
                    with fake.lock:
                        fake.trades.setdefault(
                            data["out_trade_no"],
                            Trade(
                                data["out_trade_no"],
                                data["amount"]["total"],
                                "4200" + secrets.token_hex(12),
                            ),
                        )
                    return self._wx_send(200, {"prepay_id": "wx" + secrets.token_hex(14)})
                if path.startswith("/v3/pay/transactions/out-trade-no/"):
                    no = path.split("/")[5]
                    trade = fake.trades.get(no)
                    if path.endswith("/close"):
                        if trade and trade.state == "NOTPAY":
                            trade.state = "CLOSED"
                        return self._wx_send(204, None)
                    if trade is None:
                        return self._wx_send(
                            404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
                        )
                    return self._wx_send(
                        200,
                        {
                            "out_trade_no": no,
                            "transaction_id": trade.txn_id,
                            "trade_state": trade.state,
                            "amount": {"total": trade.amount_fen},
                        },
                    )
                if path == "/v3/refund/domestic/refunds":
                    data = json.loads(body)
                    trade = next(
                        (
                            t
                            for t in fake.trades.values()
                            if t.txn_id == data.get("transaction_id")
                            or t.out_trade_no == data.get("out_trade_no")
                        ),
                        None,
                    )
                    refund = data["amount"]["refund"]
                    if (
                        trade is None
                        or trade.state != "SUCCESS"
                        or trade.refunded_fen + refund > trade.amount_fen
                    ):
                        return self._wx_send(
                            400, {"code": "INVALID_REQUEST", "message": "不可退款"}
                        )
                    trade.refunded_fen += refund
                    trade.refunds.append((data["out_refund_no"], refund))
                    return self._wx_send(
                        200,
                        {
                            "refund_id": "5030" + secrets.token_hex(10),
                            "status": "SUCCESS",
                            "out_refund_no": data["out_refund_no"],
                        },
                    )
                if path == "/v3/bill/tradebill":
                    return self._wx_send(
                        200,
                        {
                            "hash_type": "SHA1",
                            "hash_value": "x",
                            "download_url": fake.base + "/v3/billdownload/file?token=t",
                        },
                    )
                return self._wx_send(404, {"code": "NOT_FOUND", "message": path})

            # Alipay ----------------------------------------------------------------
            def _alipay(self):
                query = dict(parse_qsl(urlsplit(self.path).query))
                method = query.get("method", "")
                fake.requests.append(("alipay", method))
                sign = query.pop("sign", "")
                provider = fake.alipay_provider()
                if not fake.app_signed(query, sign):
                    out = {
                        "error_response": {
                            "code": "40002",
                            "msg": "Invalid Arguments",
                            "sub_code": "isv.invalid-signature",
                        }
                    }
                    return self._send(200, json.dumps(out).encode(), "application/json")
                biz = json.loads(query.get("biz_content") or "{}")
                trade = fake.trades.get(biz.get("out_trade_no", ""))
                if method == "alipay.trade.query":
                    if trade is None:
                        inner = {
                            "code": "40004",
                            "msg": "Business Failed",
                            "sub_code": "ACQ.TRADE_NOT_EXIST",
                            "sub_msg": "交易不存在",
                        }
                    else:
                        state = {"SUCCESS": "TRADE_SUCCESS", "CLOSED": "TRADE_CLOSED"}.get(
                            trade.state, "WAIT_BUYER_PAY"
                        )
                        inner = {
                            "code": "10000",
                            "msg": "Success",
                            "trade_no": trade.txn_id,
                            "out_trade_no": trade.out_trade_no,
                            "trade_status": state,
                            "total_amount": fen_to_yuan(trade.amount_fen),
                        }
                elif method == "alipay.trade.close":
                    if trade and trade.state == "NOTPAY":
                        trade.state = "CLOSED"
                    inner = (
                        {"code": "10000", "msg": "Success"}
                        if trade
                        else {
                            "code": "40004",
                            "msg": "Business Failed",
                            "sub_code": "ACQ.TRADE_NOT_EXIST",
                        }
                    )
                elif method == "alipay.trade.refund":
                    from dues.amounts import yuan_to_fen

                    fen = yuan_to_fen(biz["refund_amount"])
                    if (
                        trade is None
                        or trade.state != "SUCCESS"
                        or trade.refunded_fen + fen > trade.amount_fen
                    ):
                        inner = {
                            "code": "40004",
                            "msg": "Business Failed",
                            "sub_code": "ACQ.TRADE_STATUS_ERROR",
                            "sub_msg": "不可退款",
                        }
                    else:
                        trade.refunded_fen += fen
                        trade.refunds.append((biz["out_request_no"], fen))
                        inner = {
                            "code": "10000",
                            "msg": "Success",
                            "trade_no": trade.txn_id,
                            "refund_fee": fen_to_yuan(trade.refunded_fen),
                            "fund_change": "Y",
                        }
                elif method == "alipay.data.dataservice.bill.downloadurl.query":
                    inner = {
                        "code": "10000",
                        "msg": "Success",
                        "bill_download_url": fake.base + "/alipay-bill",
                    }
                else:
                    inner = {
                        "code": "40004",
                        "msg": "Business Failed",
                        "sub_code": "isv.unknown-method",
                    }
                inner_json = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
                response_type = method.replace(".", "_") + "_response"
                raw = (
                    '{"'
                    + response_type
                    + '":'
                    + inner_json
                    + ',"sign":"'
                    + provider._sign(inner_json)
                    + '"}'
                )
                return self._send(200, raw.encode(), "application/json;charset=utf-8")

            def do_GET(self):
                if self.path.startswith("/gateway.do"):
                    return self._alipay()
                if self.path.startswith("/alipay-bill"):
                    return self._send(200, fake.alipay_bill(), "application/zip")
                return self._wechat("GET")

            def do_POST(self):
                return self._wechat("POST")

        return Handler
