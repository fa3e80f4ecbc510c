"""One error format for the whole API.

Every error body is ``{"error": {"code": ..., "message": ..., "fields": {...}}}``:
`code` is a stable machine string (DRF's error code, e.g. ``not_found``, ``invalid``,
``throttled``), `message` is for people (Chinese by default), `fields` maps a field name to
its messages for validation errors. Throttled answers carry ``Retry-After``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(exceptions.APIException):
    """Raised by API views when a service refused an action; 400 by default, 409 for
    conflicts. Services raise their own exceptions; views translate them to this."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message: str, *, code: str = "invalid", status_code: int | None = None):
        super().__init__(detail=message, code=code)
        if status_code is not None:
            self.status_code = status_code


def _flatten(detail):
    if isinstance(detail, list):
        return [str(d) for d in detail]
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    return [str(detail)]


def _first_code(codes):
    if isinstance(codes, dict):
        for v in codes.values():
            return _first_code(v)
    if isinstance(codes, list):
        return _first_code(codes[0]) if codes else "invalid"
    return str(codes)


# simplejwt's token errors: its InvalidToken carries a dict (detail, code, per-token-type
# messages) whose str() is a Python repr, and its wording is English.
_TOKEN_MESSAGES = {
    "Token is blacklisted": "该令牌已失效（已换取过新令牌或已退出登录），请重新登录",
    "Token is expired": "令牌已过期，请刷新或重新登录",
    "Token is invalid": "令牌无效，请重新登录",
    "Token has no type": "令牌无效，请重新登录",
    "Token has wrong type": "令牌类型不对：这里需要刷新令牌（refresh）",
    "Token has no id": "令牌无效，请重新登录",
    "Given token not valid for any token type": "令牌无效或已过期，请重新登录",
    "Token contained no recognizable user identification": "令牌无效，请重新登录",
    "No active account found with the given credentials": "用户名或密码错误，或账号已停用",
    "No active account found for the given token.": "账号不存在或已停用",
}


def _token_message(detail) -> str:
    """A person's message for a simplejwt error detail (a dict or a string)."""
    if isinstance(detail, dict):
        messages = detail.get("messages") or []
        inner = messages[0].get("message") if messages and isinstance(messages[0], dict) else None
        text = str(inner or detail.get("detail") or "")
    else:
        text = str(detail)
    return _TOKEN_MESSAGES.get(
        text, "令牌无效或已过期，请重新登录" if isinstance(detail, dict) else text
    )


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        codes = exc.get_codes()
        if isinstance(detail, dict):
            fields = {k: v for k, v in _flatten(detail).items() if k != "non_field_errors"}
            non_field = (
                _flatten(detail.get("non_field_errors", [])) if "non_field_errors" in detail else []
            )
            message = non_field[0] if non_field else "提交的数据有误，请检查标出的字段"
            if not fields and not non_field:
                message = "提交的数据有误"
        else:
            fields = {}
            flat = _flatten(detail)
            message = flat[0] if flat else "提交的数据有误"
        body = {
            "error": {"code": _first_code(codes) or "invalid", "message": message, "fields": fields}
        }
    else:
        detail = getattr(exc, "detail", None)
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        if isinstance(code, (dict, list)):
            code = _first_code(code)
        if code == "token_not_valid" or isinstance(detail, dict):
            message = _token_message(detail)
        elif detail is not None:
            message = _TOKEN_MESSAGES.get(str(detail), str(detail))
        else:
            message = str(exc)
        body = {"error": {"code": code, "message": message, "fields": {}}}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["error"]["retry_after"] = int(exc.wait) + 1
    response.data = body
    return response


def error_response(
    status_code: int, code: str, message: str, fields: dict | None = None
) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status_code
    )
