"""Absolute URLs for what the API hands to apps (image renditions, …).

An app needs absolute URLs, and they must point where the app reached the server: the
scheme and host of the request being answered (`RequestBaseUrlMiddleware` keeps the
request for the duration of the response, per thread / task). Outside a request (a task,
a management command) the base is `WAGTAILADMIN_BASE_URL` (README: by default
`http://EHOME_HOST:EHOME_PORT`, what `make run` serves). URLs that already carry a scheme
(S3, a CDN) are returned unchanged.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings

_request: ContextVar = ContextVar("ehome_current_request", default=None)


class RequestBaseUrlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def absolute_url(url: str) -> str:
    """`url` made absolute against the current request (or WAGTAILADMIN_BASE_URL)."""
    if not url.startswith("/") or url.startswith("//"):
        return url
    request = _request.get()
    if request is not None:
        return request.build_absolute_uri(url)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def request_base_url(request) -> str:
    """scheme://host of a request (part of the API's ETags: bodies carry absolute URLs)."""
    return f"{request.scheme}://{request.get_host()}"
