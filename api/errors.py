"""One error format for the whole API.

Every error body is ``{"error": {"code": ..., "message": ..., "fields": {...}}}``:
`code` is a stable machine string (DRF's error code, e.g. ``not_found``, ``invalid``,
``throttled``), `message` is for people (Chinese by default), `fields` maps a field name to
its messages for validation errors. Throttled answers carry ``Retry-After``.

A service's refusal is a `core.errors.DomainError` (each app derives its own errors from
it) with its `code` and HTTP `status`: views let it propagate and this handler answers
it, so no view translates errors itself. `ObjectNotFound` (an `access_<entity>_by_id`
selector's answer for a missing or out-of-scope id) is the plain 404 ``not_found``, the
same body as any other missing object. Views raise `DomainError` too for a request
they refuse before any service runs (a missing header, a bad query parameter).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, ObjectNotFound

__all__ = ["DomainError", "domain_error_body", "error_response", "exception_handler"]


class _RefusedByDomain(exceptions.APIException):
    """A `DomainError` on its way through DRF's handler (which rolls the request's
    transaction back and builds the response)."""

    def __init__(self, exc: DomainError):
        super().__init__(detail=exc.message, code=exc.code)
        self.status_code = exc.status


def domain_error_body(exc: DomainError) -> dict:
    """The error body of a refused action (for answers built outside DRF's views)."""
    return {"error": {"code": exc.code, "message": exc.message, "fields": {}}}


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
    if isinstance(exc, (ObjectNotFound, Http404)):  # missing or out of scope: one answer
        exc = exceptions.NotFound()
    elif isinstance(exc, DomainError):  # every app's refusals, mapped here and only here
        exc = _RefusedByDomain(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
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
