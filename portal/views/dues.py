"""党费 in the portal: what I owe, pay (the sandbox payment sheet in development; WeChat
Pay and Alipay open in the phone apps), my history and receipts (PDF). Rules live in
dues.services/selectors; another member's order or receipt is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import DomainError
from dues import selectors, services
from dues.amounts import fen_to_yuan, yuan_to_fen
from dues.gateways.registry import enabled
from dues.receipts import receipt_pdf
from dues.sandbox_sheet import sandbox_pay
from portal.access import portal_view


def _member(request):
    if request.member is None:
        raise Http404
    return request.member


@never_cache
@portal_view
def dues_home(request):
    member = _member(request)
    st = selectors.member_statement(member)
    context = {
        "nav": "dues",
        "balance": fen_to_yuan(st.balance_fen),
        "arrears": [(m, fen_to_yuan(owed)) for m, owed, _ in st.arrears],
        "arrears_total": fen_to_yuan(st.arrears_fen),
        "entries": [
            {"entry": e, "amount": fen_to_yuan(abs(e.amount_fen)), "credit": e.amount_fen < 0}
            for e in list(reversed(st.entries))[:100]
        ],
        "open_orders": list(selectors.my_orders(request.user).filter(status="open")),
        "receipts": list(selectors.my_receipts(request.user)[:50]),
        "sandbox": "sandbox" in enabled(),
    }
    return render(request, "portal/dues/home.html", context)


@require_POST
@portal_view
def dues_pay(request):
    member = _member(request)
    if "sandbox" not in enabled():
        messages.error(request, _("请在手机 App 中使用微信支付或支付宝缴纳党费"))
        return redirect("portal:dues")
    try:
        extra = yuan_to_fen(request.POST.get("extra_yuan") or "0")
    except ValueError as exc:
        messages.error(request, _("自愿多交金额：%(error)s") % {"error": exc})
        return redirect("portal:dues")
    try:
        result = services.order_create(member=member, provider="sandbox", extra_fen=extra)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:dues")
    return redirect("portal:dues_order", result.order.pk)


@never_cache
@portal_view
def dues_order(request, pk: int):
    order = selectors.access_order_by_id(request.user, pk)
    own = request.member is not None and order.member_id == request.member.pk
    return render(
        request,
        "portal/dues/order.html",
        {
            "nav": "dues",
            "order": order,
            "amount": fen_to_yuan(order.amount_fen),
            "own": own,
            "can_pay": own
            and order.status == "open"
            and order.provider == "sandbox"
            and "sandbox" in enabled(),
        },
    )


@require_POST
@portal_view
def dues_order_pay(request, pk: int):
    """The sandbox payment sheet's 确认支付 (the provider then notifies us)."""
    order = selectors.access_order_by_id(request.user, pk)
    if (
        request.member is None
        or order.member_id != request.member.pk
        or order.provider != "sandbox"
    ):
        raise Http404
    if "sandbox" not in enabled():
        raise Http404
    try:
        sandbox_pay(order.out_trade_no)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:dues_order", order.pk)


@portal_view
def dues_receipt(request, pk: int):
    order = selectors.access_dues_receipt_by_id(request.user, pk)
    response = HttpResponse(receipt_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="dues-receipt-{order.pk}.pdf"'
    return response
