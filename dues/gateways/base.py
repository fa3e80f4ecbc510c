"""The payment gateway interface. Three implementations pass the same contract tests
(tests/dues/test_gateway_contract.py): WeChat Pay API v3 (`wechat.py`, the
`wechatpayv3` SDK), Alipay (`alipay_gateway.py`, `python-alipay-sdk`) and the embedded
sandbox (`sandbox.py`).

A gateway knows its provider's wire format and signature algorithm and nothing about
the ledger: `dues.services` decides what a verified notification does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.errors import DomainError


class CallbackRejected(DomainError):
    """A notification that is not the provider's (bad signature, stale, malformed)."""

    code = "callback_rejected"
    status = 400


class GatewayError(DomainError):
    """The provider refused or could not be reached."""

    code = "gateway_error"
    status = 502


@dataclass(frozen=True)
class Notification:
    """A verified payment notification."""

    out_trade_no: str
    txn_id: str
    amount_fen: int
    paid: bool


@dataclass(frozen=True)
class TradeState:
    out_trade_no: str
    txn_id: str
    amount_fen: int
    paid: bool


@dataclass(frozen=True)
class BillRow:
    """One line of the provider's statement: a payment (amount > 0) or a refund."""

    out_trade_no: str
    txn_id: str
    amount_fen: int
    kind: str  # "payment" | "refund"


@dataclass(frozen=True)
class OrderRequest:
    out_trade_no: str
    amount_fen: int
    description: str
    expires_at: dt.datetime
    notify_url: str


@dataclass(frozen=True)
class RefundRequest:
    out_trade_no: str
    txn_id: str
    out_refund_no: str
    amount_fen: int
    total_fen: int
    reason: str


class Gateway:
    name: str = ""

    def create(self, req: OrderRequest) -> dict:
        """Register the order with the provider; what the app needs to open the payment
        sheet."""
        raise NotImplementedError

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        """Verify the provider's signature and read the notification, or raise
        CallbackRejected."""
        raise NotImplementedError

    def ack(self, ok: bool) -> tuple[int, str, bytes]:
        """(status, content type, body) the provider expects in answer."""
        raise NotImplementedError

    def query(self, out_trade_no: str) -> TradeState | None:
        raise NotImplementedError

    def close(self, out_trade_no: str) -> None:
        raise NotImplementedError

    def refund(self, req: RefundRequest) -> str:
        """Ask for a refund; the provider's refund id."""
        raise NotImplementedError

    def bill(self, day: dt.date) -> list[BillRow]:
        """The provider's statement for `day`, parsed."""
        raise NotImplementedError


def pem(value: str) -> str:
    """A key given as PEM text or as the path of a PEM file."""
    value = (value or "").strip()
    if value and not value.startswith("-----") and Path(value).is_file():
        return Path(value).read_text()
    return value
