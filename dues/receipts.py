"""A paid order's receipt (党费收据) as PDF (core.pdf, Noto CJK)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import escape

from core.pdf import render_pdf
from dues.amounts import fen_to_yuan
from dues.orders import PaymentOrder


def receipt_number(order: PaymentOrder) -> str:
    return f"DF{order.pk:010d}"


def receipt_pdf(order: PaymentOrder) -> bytes:
    paid = timezone.localtime(order.paid_at) if order.paid_at else None
    months = "、".join(order.months) or "—"
    rows = [
        ("收据编号", receipt_number(order)),
        ("党员", f"{order.member.name}（{order.member.member_no}）"),
        ("所在党组织", order.unit.name),
        ("所缴月份", months),
        ("金额", f"{fen_to_yuan(order.amount_fen)} 元"),
        ("其中自愿多交", f"{fen_to_yuan(order.extra_fen)} 元"),
        ("支付方式", order.get_provider_display()),
        ("商户订单号", order.out_trade_no),
        ("支付平台交易号", order.provider_txn_id or "—"),
        (
            "支付时间",
            f"{paid:%Y-%m-%d %H:%M}（{timezone.get_current_timezone_name()}）" if paid else "—",
        ),
    ]
    if order.refunded_fen:
        rows.append(("已退款", f"{fen_to_yuan(order.refunded_fen)} 元"))
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    html = (
        "<html><body><h1>党费收据</h1>"
        f"<table>{body}</table>"
        "<p class='note'>本收据由系统根据支付平台的支付结果自动生成。</p></body></html>"
    )
    css = (
        "h1 { text-align: center; }"
        "table { width: 100%; border-collapse: collapse; }"
        "th, td { border: 1px solid #999; padding: 6px 10px; text-align: left; }"
        "th { width: 32%; background: #f5f5f5; } .note { color: #555; font-size: 9pt; }"
    )
    return render_pdf(html, css=css)
