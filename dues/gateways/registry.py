"""Which gateways this install offers (settings; none configured = the sandbox)."""

from __future__ import annotations

from django.conf import settings

from dues.gateways.base import Gateway, GatewayError


def enabled() -> list[str]:
    names = []
    if settings.DUES_WECHAT_MCHID:
        names.append("wechat")
    if settings.DUES_ALIPAY_APPID:
        names.append("alipay")
    if settings.DUES_SANDBOX:
        names.append("sandbox")
    return names


def gateway(name: str, *, require_enabled: bool = True) -> Gateway:
    if require_enabled and name not in enabled():
        raise GatewayError(f"未启用的支付方式：{name}", code="provider_disabled", status=400)
    if name == "wechat":
        from dues.gateways.wechat import WeChatGateway

        return WeChatGateway()
    if name == "alipay":
        from dues.gateways.alipay_gateway import AlipayGateway

        return AlipayGateway()
    if name == "sandbox":
        from dues.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    raise GatewayError(f"未知的支付方式：{name}", code="provider_unknown", status=400)
