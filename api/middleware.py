"""Conditional GET for content resources (see api.caching for what an ETag covers).

For a GET/HEAD on a content list or detail path (`api.caching.CONDITIONAL_PATHS`):
1. the versions are read BEFORE the view runs (a change committed while the view renders
   gives the response an older ETag, so the client refetches — never the reverse);
2. with `If-None-Match` (or, without it, `If-Modified-Since`) and a valid Bearer token of an
   active user, a matching validator is answered 304 at once: JWT signature + cache reads,
   no SQL on a warm cache, no view, no serializer (a would-be 304 also reads the user's
   token version from the cache, so a revoked token gets the view's 401 instead);
3. otherwise the view runs; a 200 gets `ETag`, `Last-Modified`, `Cache-Control: private,
   no-cache` and `Vary: Authorization, Accept-Language, Cookie` — or becomes a 304 when the
   request's validator matches after all (session-cookie requests, the portal's own calls,
   are always answered this way: their user is known only once the view has run).

A news feed page (`api.caching.BODY_CACHE_PATHS`) is also kept whole: a plain GET whose
ETag — computed as for a 304, from the cached auth state and versions, with the token's
version checked — names a body another request of the same scope already received is
answered from the cache with the same bytes and headers (`EHOME_API_BODY_CACHE=false`
turns this off). A change to the news, to what it embeds or to the reader's scope moves
the ETag, so a kept body is never sent for content that changed since.

Nothing in the resource views needs to know. Other paths pass straight through.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

from api import caching

CACHE_CONTROL = "private, no-cache"
VARY = ("Authorization", "Accept-Language", "Cookie")


def _headers(response, v: caching.Validators) -> None:
    response["ETag"] = v.etag
    if v.last_modified is not None:
        response["Last-Modified"] = http_date(v.last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, VARY)


def _not_modified(request, v: caching.Validators) -> bool:
    inm = request.META.get("HTTP_IF_NONE_MATCH")
    if inm:
        return caching.etag_matches(inm, v.etag)
    ims = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
    return ims is not None and v.last_modified is not None and v.last_modified <= ims


def _bearer_claims(request):
    """(user id, claims) of a valid Bearer access token, without touching the database;
    (None, None) when there is no token or it is invalid (the view then answers 401)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return None, None
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
    from rest_framework_simplejwt.settings import api_settings

    from api.authentication import shared_authenticator

    try:
        # the view's own validation, remembered per process for the token's life
        token = shared_authenticator().get_validated_token(header[7:].strip().encode())
        return token[api_settings.USER_ID_CLAIM], token
    except (InvalidToken, TokenError, KeyError):
        return None, None


def _token_current(user_id, claims) -> bool:
    from organizations.logins import TOKEN_CLAIM, token_version_for_id

    return claims.get(TOKEN_CLAIM, 0) == token_version_for_id(user_id)


class ConditionalContentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        keys = caching.resource_keys_for_path(request.path_info)
        if keys is None:
            return self.get_response(request)

        # what LocaleMiddleware (further in) will activate for the view: API paths carry
        # no language prefix, so cookie, then Accept-Language, then LANGUAGE_CODE
        language = translation.get_language_from_request(request)
        conditional = "HTTP_IF_NONE_MATCH" in request.META or (
            "HTTP_IF_MODIFIED_SINCE" in request.META
        )
        kept_body = request.method == "GET" and caching.body_cacheable(request.path_info)
        # the token's user, also for a plain GET: what the cache holds for them is read
        # in the same round trip, and not written back after the view when unchanged
        token_user_id, claims = _bearer_claims(request)
        vers, cached_state, cached_logins = caching.versions_auth_logins(
            (*keys, caching.SCOPE), token_user_id
        )
        user_id = token_user_id if conditional or kept_body else None
        scope_counter = vers[caching.SCOPE].counter
        if not conditional and not caching.auth_state_current(cached_state, scope_counter):
            user_id = None  # a kept body only on a warm cache: no SQL before the view
        if user_id is not None:
            state = caching.auth_state(user_id, scope_counter, cached_state)
            if state["active"]:
                v = caching.validators_for(
                    request=request, keys=keys, vers=vers, scope=state["scope"], language=language
                )
                # a revoked token (organizations.logins) gets no 304: the view answers 401
                if _not_modified(request, v) and _token_current(user_id, claims):
                    response = HttpResponseNotModified()
                    _headers(response, v)
                    return response
                if kept_body:
                    kept = caching.body_get(caching.body_key(request, v))
                    if kept is not None and _token_current(user_id, claims):
                        return _replay(kept, v)

        response = self.get_response(request)
        if response.status_code != 200 or response.has_header("ETag"):
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        # the view has loaded member and roles (cached on the user object): no extra SQL;
        # written only when the cache did not hold the same already
        mine = user.pk == token_user_id
        state = caching.auth_state_store(user, scope_counter, cached=cached_state if mine else None)
        from organizations.logins import versions_remember

        # for the next 304's token check, without SQL
        versions_remember(user, cached=cached_logins if mine else None)
        v = caching.validators_for(
            request=request, keys=keys, vers=vers, scope=state["scope"], language=language
        )
        if kept_body and not response.streaming:
            # under the versions read before the view: a change committed meanwhile
            # leaves this body under the older key, never an older body under a newer one
            caching.body_store(caching.body_key(request, v), response)
        if conditional and _not_modified(request, v):
            # a session (the portal's own calls) or a Bearer token that could not be
            # answered before the view: the client's copy is current all the same
            response = HttpResponseNotModified()
        _headers(response, v)
        return response


def _replay(kept, v: caching.Validators) -> HttpResponse:
    """A kept 200 (api.caching.body_store): the same bytes and headers, fresh validators."""
    content, headers = kept
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    _headers(response, v)
    return response


_MAX_ID = 2**63 - 1
_NOT_FOUND = (
    b'{"error": {"code": "not_found", "message": "\\u672a\\u627e\\u5230\\u3002", "fields": {}}}'
)


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 and limit % 2**20 == 0 else f"{limit} 字节"


def too_large_response() -> JsonResponse:
    """413 in the common error body (Django itself answers an HTML 400)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = f"请求正文过大（上限 {_size(limit)}）"
    body = {"error": {"code": "request_too_large", "message": message, "fields": {}}}
    return JsonResponse(body, status=413, json_dumps_params={"ensure_ascii": False})


def _declared_too_large(request) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or request.content_type == "multipart/form-data":
        return False  # file parts are not counted against the limit (Django's own rule)
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return False


class ApiInputGuardMiddleware:
    """Input no /api/v1/ view can use, refused before any view sees it:

    - an id in the path beyond 64 bits cannot exist: 404 (SQLite raises OverflowError, a
      500, for integers it cannot store, whatever view receives them);
    - a NUL character in a query parameter: 400 naming the parameter. DRF's CharField
      refuses NUL, but its date and time fields hand the value to Python's
      `fromisoformat`, which stops reading at a NUL: "2026-11-28T08:00:00Z\x00" was taken
      for a valid time;
    - a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 ``request_too_large`` in the common
      error body, from its Content-Length before anything reads it, or when a view's read
      raises ``RequestDataTooBig`` (Django would answer an HTML 400).

    Bad JSON *content* (NUL, lone surrogates, deep nesting) is api.parsers' part."""

    def __init__(self, get_response):
        self.get_response = get_response

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig) and request.path_info.startswith("/api/"):
            return too_large_response()
        return None

    def __call__(self, request):
        path = request.path_info
        if not path.startswith("/api/v1/"):
            return self.get_response(request)
        if _declared_too_large(request):
            return too_large_response()
        if any(seg.isdigit() and int(seg) > _MAX_ID for seg in path.split("/") if len(seg) >= 19):
            return HttpResponse(_NOT_FOUND, status=404, content_type="application/json")
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:  # cheap test on the raw string first
            bad = sorted({k for k, values in request.GET.lists() for v in values if "\x00" in v})
            bad += sorted({k for k in request.GET if "\x00" in k} - set(bad))
            if bad:
                message = "查询参数不能包含空字符（NUL）"
                body = {
                    "error": {
                        "code": "invalid",
                        "message": message,
                        "fields": {k.replace("\x00", "") or "?": [message] for k in bad},
                    }
                }
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return self.get_response(request)
