"""/api/v1/devices/: the caller's push devices (docs/api.md "Devices") — list, register
or update (one device per token: registering a token again moves it to the caller),
unregister. Tokens are checked for their type's form: a malformed one is a 400 naming
the field. Another user's token answers 404 like an unknown one."""

from __future__ import annotations

import base64
import binascii
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from notifications.channels import devices

TAG = "devices"
APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{64,200}$")
FCM_TOKEN = re.compile(r"^[A-Za-z0-9_:\-]{32,4096}$")
_https = URLValidator(schemes=["https"])


def _b64url(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


class DeviceOut(serializers.Serializer):
    type = serializers.ChoiceField(choices=devices.TYPES)
    registration_id = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)


class DeviceList(serializers.Serializer):
    results = DeviceOut(many=True)


class DeviceKey(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=devices.TYPES, help_text="apns（iOS）、fcm（Android）或 webpush（浏览器）"
    )
    registration_id = serializers.CharField(
        max_length=2048,
        trim_whitespace=True,
        help_text="APNs 设备令牌（十六进制）、FCM 注册令牌，或 Web Push 订阅的 endpoint（https）",
    )

    def validate(self, data):
        token, type_ = data["registration_id"], data["type"]
        if type_ == "apns" and not (APNS_TOKEN.match(token) and len(token) % 2 == 0):
            raise serializers.ValidationError(
                {"registration_id": "APNs 设备令牌应为 64 位以上的十六进制字符"}
            )
        if type_ == "fcm" and not FCM_TOKEN.match(token):
            raise serializers.ValidationError(
                {"registration_id": "FCM 注册令牌格式不正确（32 位以上，仅字母、数字、_:-）"}
            )
        if type_ == "webpush":
            try:
                _https(token)
            except DjangoValidationError:
                raise serializers.ValidationError(
                    {"registration_id": "Web Push 订阅的 endpoint 应为 https 网址"}
                ) from None
        if type_ == "apns":
            data["registration_id"] = token.lower()
        return data


class DeviceIn(DeviceKey):
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    active = serializers.BooleanField(required=False, default=True)
    p256dh = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Web Push：订阅的 keys.p256dh"
    )
    auth = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Web Push：订阅的 keys.auth"
    )
    browser = serializers.ChoiceField(
        choices=devices.BROWSERS, required=False, default="CHROME", help_text="Web Push：浏览器"
    )

    def validate(self, data):
        data = super().validate(data)
        if data["type"] == "webpush":
            key = _b64url(data["p256dh"])
            if not key or len(key) != 65 or key[0] != 4:
                raise serializers.ValidationError(
                    {"p256dh": "应为 base64url 编码的 P-256 公钥（65 字节，未压缩）"}
                )
            secret = _b64url(data["auth"])
            if not secret or len(secret) != 16:
                raise serializers.ValidationError({"auth": "应为 base64url 编码的 16 字节认证密钥"})
        return data


class DeviceListApi(APIView):
    @extend_schema(operation_id="devices_list", tags=[TAG], responses={200: DeviceList})
    def get(self, request):
        return Response({"results": devices.devices_of(request.user)})

    @extend_schema(
        operation_id="devices_register",
        tags=[TAG],
        request=DeviceIn,
        responses={
            201: OpenApiResponse(DeviceOut, description="新登记的设备"),
            200: OpenApiResponse(DeviceOut, description="已有的令牌：已更新并归当前用户"),
            400: ERRORS[400],
        },
    )
    def post(self, request):
        form = DeviceIn(data=request.data)
        form.is_valid(raise_exception=True)
        device, created = devices.device_register(user=request.user, **form.validated_data)
        return Response(device, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DeviceUnregisterApi(APIView):
    @extend_schema(
        operation_id="devices_unregister",
        tags=[TAG],
        request=DeviceKey,
        responses={204: None, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request):
        form = DeviceKey(data=request.data)
        form.is_valid(raise_exception=True)
        devices.device_unregister(user=request.user, **form.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("devices/", DeviceListApi.as_view(), name="device-list"),
    path("devices/unregister/", DeviceUnregisterApi.as_view(), name="device-unregister"),
]
