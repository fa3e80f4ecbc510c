"""JWT login, refresh and logout for the apps.

Login and refresh count failures per account and per client address
(api.login_throttle, the same limits as every login form); refresh rotates the token and
blacklists the old one; inactive or deleted users are refused at both. Every token
carries the user's token version (claim `tv`, organizations.logins): a password change,
deactivation or "log out everywhere" makes all earlier tokens invalid, access and
refresh alike. Logout with a refresh token ends that one login (its refresh chain)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import (
    InvalidToken,
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from api.authentication import TOKEN_REVOKED_MESSAGE
from api.login_throttle import login_failed, login_succeeded, login_wait, wait_message
from api.throttling import AnonWindowThrottle, UserWindowThrottle
from organizations.logins import TOKEN_CLAIM, token_is_current, token_version, user_logins_revoke


def _refuse_if_blocked(request, account) -> None:
    wait = login_wait(request, account)
    if wait is not None:
        raise Throttled(wait=wait, detail=wait_message(wait))


def _field(request, name):
    getter = getattr(request.data, "get", None)
    value = getter(name) if getter is not None else None
    return value if isinstance(value, str) else None


def _signed_refresh(raw: str) -> RefreshToken:
    """A refresh token whose signature, expiry and type check out — blacklisted or not
    (TokenError otherwise)."""
    refresh = RefreshToken(raw, verify=False)  # decoded without any check
    try:
        refresh.get_token_backend().decode(raw, verify=True)
    except TokenBackendExpiredToken as exc:
        raise TokenError("Token is expired") from exc
    except TokenBackendError as exc:
        raise TokenError("Token is invalid") from exc
    refresh.verify_token_type()
    return refresh


def _refresh_account(raw) -> str | None:
    """`user:<id>` of a genuine refresh token (a blacklisted one too: its failures count
    against that account); None for anything else."""
    if not raw:
        return None
    try:
        payload = _signed_refresh(raw).payload
    except Exception:  # noqa: BLE001 - whatever the body holds, it names no account
        return None
    return f"user:{payload.get(jwt_settings.USER_ID_CLAIM)}"


class TokenPairResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[TOKEN_CLAIM] = token_version(user)
        return token


def _user_for_token(refresh: RefreshToken):
    """The active user a refresh token (verified) was issued to, issued under the user's
    current token version; AuthenticationFailed otherwise."""
    user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
    User = get_user_model()
    user = (
        User.objects.select_related("login_state")
        .filter(**{jwt_settings.USER_ID_FIELD: user_id})
        .first()
    )
    if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
        raise AuthenticationFailed("账号不存在或已停用", "no_active_account")
    if not token_is_current(user, refresh.payload):
        raise AuthenticationFailed(TOKEN_REVOKED_MESSAGE, "token_revoked")
    return user


class SafeTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh serializer raises DoesNotExist (a 500) for a deleted user, and
    knows nothing of token versions."""

    def validate(self, attrs):
        _user_for_token(RefreshToken(attrs["refresh"]))
        return super().validate(attrs)


class LoginApi(TokenObtainPairView):
    """Exchange username and password for an access and a refresh token."""

    serializer_class = LoginSerializer
    throttle_classes = [AnonWindowThrottle]

    @extend_schema(tags=["auth"], responses={200: TokenPairResponseSerializer})
    def post(self, request, *args, **kwargs):
        account = _field(request, "username")
        _refuse_if_blocked(request, account)
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            login_failed(request, account)
            raise
        login_succeeded(request, account)
        return response


class RefreshApi(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""

    serializer_class = SafeTokenRefreshSerializer
    throttle_classes = [AnonWindowThrottle]

    @extend_schema(tags=["auth"], responses={200: TokenPairResponseSerializer})
    def post(self, request, *args, **kwargs):
        account = _refresh_account(_field(request, "refresh"))
        _refuse_if_blocked(request, account)
        try:
            return super().post(request, *args, **kwargs)
        except (AuthenticationFailed, InvalidToken, TokenError):
            login_failed(request, account)
            raise


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(
        required=False, help_text="要结束的那次登录的刷新令牌（refresh token）"
    )
    all = serializers.BooleanField(
        required=False, default=False, help_text="true：退出所有设备和网页上的登录"
    )

    def validate(self, attrs):
        if not attrs.get("refresh") and not attrs.get("all"):
            raise serializers.ValidationError(
                {"refresh": ["请提供刷新令牌（refresh），或用 all=true 退出所有登录"]}
            )
        return attrs


class LogoutApi(APIView):
    """End a login: with `refresh`, that login's refresh token (and the chain it was
    rotated from) stops working; with `all: true`, every token and web session of the
    user ends at once, access tokens included (the caller is identified by the access
    token or, without one, by the refresh token). Answers 204; repeating is harmless."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonWindowThrottle, UserWindowThrottle]

    @extend_schema(tags=["auth"], request=LogoutSerializer, responses={204: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw, everywhere = serializer.validated_data.get("refresh"), serializer.validated_data["all"]
        refresh = None
        if raw:
            try:
                refresh = _signed_refresh(raw)
            except TokenError as exc:
                raise InvalidToken(str(exc)) from exc
        user = request.user if request.user.is_authenticated else None
        if everywhere:
            if user is None:
                if refresh is None:
                    raise NotAuthenticated("退出所有登录需要登录凭证（访问令牌或刷新令牌）")
                user = _user_for_token(refresh)
            user_logins_revoke(user=user, sessions=True)
        if refresh is not None:
            token_user = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
            if user is not None and str(token_user) != str(
                getattr(user, jwt_settings.USER_ID_FIELD)
            ):
                raise InvalidToken("该刷新令牌不属于当前登录的用户")
            refresh.blacklist()  # already blacklisted (rotated or logged out): still 204
        return Response(status=status.HTTP_204_NO_CONTENT)
