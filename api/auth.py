"""JWT login and refresh for the apps.

Login is throttled per client IP and per username (brute force); refresh rotates the
token and blacklists the old one; inactive or deleted users are refused at both."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView


class LoginIPThrottle(AnonRateThrottle):
    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SimpleRateThrottle):
    """Counts attempts per username whatever IP they come from."""

    scope = "login_user"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request, "data") else None
        if not isinstance(username, str) or not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": username.strip().lower()[:150]}


class TokenPairResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SafeTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh serializer raises DoesNotExist (a 500) for a deleted user."""

    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        User = get_user_model()
        user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed("账号不存在或已停用", "no_active_account")
        return super().validate(attrs)


class LoginApi(TokenObtainPairView):
    """Exchange username and password for an access and a refresh token."""

    serializer_class = TokenObtainPairSerializer
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(tags=["auth"], responses={200: TokenPairResponseSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class RefreshApi(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""

    serializer_class = SafeTokenRefreshSerializer
    throttle_classes = [LoginIPThrottle]

    @extend_schema(tags=["auth"], responses={200: TokenPairResponseSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
