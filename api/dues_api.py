"""/api/v1/dues/: what I owe, pay, my history and receipts; the providers' callbacks;
the sandbox payment sheet; the treasurer's collection report (docs/api.md "Dues").
Rules live in dues.services/selectors; the shapes in dues.representations."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import DomainError
from api.learning.common import ERRORS
from api.schema import shape_serializer
from core.client_ip import client_ip
from dues import selectors, services
from dues.amounts import yuan_to_fen
from dues.exports import report_xlsx
from dues.gateways.registry import enabled
from dues.receipts import receipt_pdf
from dues.representations import (
    EntryJSON,
    OrderJSON,
    entry_as_dict,
    order_as_dict,
    statement_as_dict,
)
from dues.sandbox_sheet import sandbox_pay
from organizations.selectors import member_for_user

TAG = "dues"


def member_required(request):
    member = member_for_user(request.user)
    if member is None:
        raise DomainError("当前账号不是党员，没有党费记录", code="not_member", status=403)
    return member


OrderOut = shape_serializer(OrderJSON)
EntryOut = shape_serializer(EntryJSON)

MeOut = inline_serializer(
    "DuesMe",
    {
        "balance_fen": serializers.IntegerField(help_text="余额（分），正数为欠缴"),
        "balance": serializers.CharField(),
        "arrears_fen": serializers.IntegerField(),
        "arrears": serializers.ListField(child=serializers.DictField()),
        "providers": serializers.ListField(child=serializers.CharField()),
        "open_orders": OrderOut(many=True),
    },
)


class DuesMeApi(APIView):
    @extend_schema(operation_id="dues_me", tags=[TAG], responses={200: MeOut, **ERRORS})
    def get(self, request):
        member = member_required(request)
        data = statement_as_dict(selectors.member_statement(member))
        data["providers"] = enabled()
        data["open_orders"] = [
            order_as_dict(o) for o in selectors.my_orders(request.user).filter(status="open")
        ]
        return Response(data)


class OrderIn(serializers.Serializer):
    provider = serializers.ChoiceField(choices=["sandbox", "wechat", "alipay"])
    months = serializers.ListField(
        child=serializers.RegexField(r"^\d{4}-\d{2}$"),
        required=False,
        allow_empty=True,
        help_text="要缴的月份（YYYY-MM，须为最早的欠缴月份）；省略则缴清全部欠缴",
    )
    extra_yuan = serializers.CharField(required=False, default="0", help_text="自愿多交（元）")


class OrderCreated(serializers.Serializer):
    order = OrderOut()
    payload = serializers.DictField(help_text="调起支付平台支付界面所需的参数")
    reused = serializers.BooleanField()


class OrderCreateApi(APIView):
    @extend_schema(
        operation_id="dues_order_create",
        tags=[TAG],
        request=OrderIn,
        responses={201: OrderCreated, 200: OrderCreated, **ERRORS},
    )
    def post(self, request):
        member = member_required(request)
        data = OrderIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            extra = yuan_to_fen(v.get("extra_yuan") or "0")
        except ValueError as exc:
            raise DomainError(f"自愿多交金额：{exc}", code="invalid") from None
        months = [services.parse_month(m) for m in v.get("months") or []]
        result = services.order_create(
            member=member, provider=v["provider"], months=months or None, extra_fen=extra
        )
        body = {
            "order": order_as_dict(result.order),
            "payload": result.payload,
            "reused": result.reused,
        }
        return Response(
            body, status=status.HTTP_200_OK if result.reused else status.HTTP_201_CREATED
        )


class OrderDetailApi(APIView):
    @extend_schema(operation_id="dues_order", tags=[TAG], responses={200: OrderOut, **ERRORS})
    def get(self, request, pk: int):
        return Response(order_as_dict(selectors.access_order_by_id(request.user, pk)))


class HistoryApi(APIView):
    @extend_schema(operation_id="dues_history", tags=[TAG], responses={200: EntryOut(many=True)})
    def get(self, request):
        member = member_required(request)
        st = selectors.member_statement(member)
        return Response([entry_as_dict(e) for e in reversed(st.entries)])


class ReceiptListApi(APIView):
    @extend_schema(operation_id="dues_receipts", tags=[TAG], responses={200: OrderOut(many=True)})
    def get(self, request):
        return Response([order_as_dict(o) for o in selectors.my_receipts(request.user)[:200]])


class ReceiptPdfApi(APIView):
    @extend_schema(
        operation_id="dues_receipt_pdf",
        tags=[TAG],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, pk: int):
        order = selectors.access_dues_receipt_by_id(request.user, pk)
        response = HttpResponse(receipt_pdf(order), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="dues-receipt-{order.pk}.pdf"'
        return response


class RawBodyParser(BaseParser):
    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


PROVIDER_ACK = inline_serializer(
    "ProviderAck",
    fields={"code": serializers.CharField(), "message": serializers.CharField()},
)


@method_decorator(csrf_exempt, name="dispatch")
class CallbackApi(APIView):
    """The provider's asynchronous payment notification: no login; the provider's
    signature is the authentication (verified in dues.gateways)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [RawBodyParser]
    throttle_classes: list = []

    @extend_schema(
        operation_id="dues_callback",
        tags=[TAG],
        request={"*/*": OpenApiTypes.BINARY},
        # the acknowledgement in the provider's own format: WeChat Pay (and the sandbox)
        # a JSON {"code", "message"}, Alipay the text "success" / "fail"
        responses={
            (200, "application/json"): PROVIDER_ACK,
            (200, "text/plain"): OpenApiTypes.STR,
            (400, "application/json"): PROVIDER_ACK,
            (400, "text/plain"): OpenApiTypes.STR,
        },
        auth=[],
    )
    def post(self, request, provider: str):
        if provider not in ("sandbox", "wechat", "alipay"):
            raise DomainError("未知的支付方式", code="not_found", status=404)
        code, ctype, body = services.payment_callback(
            provider=provider,
            headers=dict(request.headers),
            body=request.body,
            remote_addr=client_ip(request) or "",
        )
        return HttpResponse(body, status=code, content_type=ctype)


class SandboxPayApi(APIView):
    """The sandbox payment sheet's 确认支付: only the order's own member, only while the
    sandbox is enabled."""

    @extend_schema(
        operation_id="dues_sandbox_pay",
        tags=[TAG],
        request=None,
        responses={202: OrderOut, **ERRORS},
    )
    def post(self, request, out_trade_no: str):
        member = member_required(request)
        if "sandbox" not in enabled():
            raise DomainError("模拟支付未启用", code="not_found", status=404)
        order = (
            selectors.my_orders(request.user)
            .filter(out_trade_no=out_trade_no, provider="sandbox")
            .first()
        )
        if order is None or order.member_id != member.pk:
            raise DomainError("没有这笔订单", code="not_found", status=404)
        sandbox_pay(out_trade_no)
        order.refresh_from_db()
        return Response(order_as_dict(order), status=status.HTTP_202_ACCEPTED)


class CollectionReportApi(APIView):
    @extend_schema(
        operation_id="dues_collection_report",
        tags=[TAG],
        parameters=[
            OpenApiParameter("unit", int, required=True),
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("month", int, description="1–12；省略为全年"),
            OpenApiParameter("export", str, enum=["xlsx"]),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        qp = request.query_params
        try:
            unit_id, year = int(qp.get("unit", "")), int(qp.get("year", ""))
            month = int(qp["month"]) if qp.get("month") else None
        except ValueError:
            raise DomainError("unit、year、month 须为整数", code="invalid") from None
        if month is not None and not 1 <= month <= 12:
            raise DomainError("month 须在 1–12 之间", code="invalid")
        if not 2000 <= year <= 2100:
            raise DomainError("year 不正确", code="invalid")
        unit = selectors.access_report_unit_by_id(request.user, unit_id)
        report = selectors.collection_report(unit=unit, year=year, month=month)
        if qp.get("export") == "xlsx":
            response = HttpResponse(
                report_xlsx(report),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="dues-{unit.code}-{year}.xlsx"'
            return response
        return Response(report)


urlpatterns = [
    path("dues/me/", DuesMeApi.as_view(), name="dues-me"),
    path("dues/orders/", OrderCreateApi.as_view(), name="dues-orders"),
    path("dues/orders/<int:pk>/", OrderDetailApi.as_view(), name="dues-order-detail"),
    path("dues/history/", HistoryApi.as_view(), name="dues-history"),
    path("dues/receipts/", ReceiptListApi.as_view(), name="dues-receipts"),
    path("dues/receipts/<int:pk>/pdf/", ReceiptPdfApi.as_view(), name="dues-receipt-pdf"),
    path("dues/callbacks/<str:provider>/", CallbackApi.as_view(), name="dues-callback"),
    path("dues/sandbox/pay/<str:out_trade_no>/", SandboxPayApi.as_view(), name="dues-sandbox-pay"),
    path("dues/reports/collection/", CollectionReportApi.as_view(), name="dues-report"),
]
