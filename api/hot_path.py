"""A shorter road through Django for the few API endpoints phones call all the time
(`EHOME_HOT_PATH`, docs/benchmarks.md "Academy" has what it earns).

The busiest requests — a progress report every few seconds per watching member, the
engagement event batches — are a POST with a Bearer token and a JSON body. For such a
request most of the site's middleware has nothing to do (sessions, CSRF, the session
user, messages, the admin's page scope and review gates, conditional GET), yet every
layer runs, and the URL is found by walking every pattern of the site before it. Profiled
under gunicorn, the middleware/handler stack and URL resolving were ~27 % of the CPU of a
progress report.

`HotPathDispatch` wraps the site's WSGI application. A request it recognises — method
POST, a path that resolves to one of `EHOME_HOT_PATH_URL_NAMES`, an ``Authorization:
Bearer`` header and no cookies — goes to `HotPathHandler`: Django's own WSGI handler
(request_started/finished signals, old connections closed, exceptions converted, 4xx/5xx
logged) with

- the site's MIDDLEWARE less `EHOME_HOT_PATH_SKIP_MIDDLEWARE`, in the same order — each
  skipped one is listed in settings with why it cannot change such a request's answer,
  and the session middleware's place is taken by `SessionVaryMiddleware`;
  every security header (nosniff, Referrer-Policy, COOP, X-Frame-Options, CSP), the input
  guard (413, 404 for out-of-range ids), the language, the database-busy 503 and the
  redirects stay;
- a URL resolver holding only those patterns, taken from the site's own resolver (the
  same view, route, kwargs, url_name and namespace).

The view is the same view: authentication, rate limits, validation, the error contract
are the view's. Everything else (GET, another path, a cookie, no Bearer token) takes the
full stack. tests/api/test_hot_path.py asserts that both roads give the same status,
headers and body for good and bad requests alike.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, get_path_info
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string


def _find(resolver: URLResolver, names: set[str], chain: tuple = ()) -> list:
    """(ancestor resolvers, pattern) for each pattern of `resolver` whose namespaced name
    ("api:lesson-progress") is in `names`."""
    found = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            found += _find(p, names, (*chain, p))
        elif isinstance(p, URLPattern) and p.name:
            namespaces = [r.namespace for r in chain if r.namespace]
            if ":".join([*namespaces, p.name]) in names:
                found.append((chain, p))
    return found


def hot_resolver(names) -> URLResolver:
    """A resolver with only the patterns named `names`, nested under copies of their
    ancestors (same prefixes, app names and namespaces) so that a match is the one the
    site's resolver gives."""
    names = set(names)
    found = _find(get_resolver(), names)
    missing = names - {
        ":".join([*(r.namespace for r in chain if r.namespace), p.name]) for chain, p in found
    }
    if missing:
        raise LookupError(f"EHOME_HOT_PATH_URL_NAMES: no URL named {sorted(missing)}")
    root: list = []
    for chain, pattern in found:
        level, path = root, ()
        for ancestor in chain:
            path = (*path, id(ancestor))
            copy = next((r for r in level if getattr(r, "_hot_origin", None) == path), None)
            if copy is None:
                copy = URLResolver(
                    ancestor.pattern,
                    [],
                    ancestor.default_kwargs,
                    ancestor.app_name,
                    ancestor.namespace,
                )
                copy._hot_origin = path
                copy.url_patterns = []  # a plain list instead of the urlconf module
                level.append(copy)
            level = copy.url_patterns
        level.append(pattern)
    return URLResolver(RegexPattern(r"^/"), root)


class SessionVaryMiddleware:
    """Stands in for the session middleware on the hot road: no session is read (there is
    no cookie), and the answer gets the ``Vary: Cookie`` the full stack gives it (there
    the end-of-login check looks into the session, which marks it accessed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        return response


class HotPathHandler(WSGIHandler):
    """Django's WSGI handler with the trimmed middleware chain and the hot resolver."""

    def __init__(self, url_names=None, skip_middleware=None):
        self.url_names = tuple(url_names or settings.EHOME_HOT_PATH_URL_NAMES)
        skip = dict(
            settings.EHOME_HOT_PATH_SKIP_MIDDLEWARE if skip_middleware is None else skip_middleware
        )
        unknown = set(skip) - set(settings.MIDDLEWARE)
        if unknown:
            raise LookupError(f"EHOME_HOT_PATH_SKIP_MIDDLEWARE: not in MIDDLEWARE: {unknown}")
        self.middleware = [skip.get(m, m) for m in settings.MIDDLEWARE if skip.get(m, m)]
        self.resolver = hot_resolver(self.url_names)
        super().__init__()

    def load_middleware(self, is_async=False):
        """BaseHandler.load_middleware for a synchronous chain of `self.middleware`."""
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(self.middleware):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def resolve_request(self, request):
        match = self.resolver.resolve(request.path_info)
        request.resolver_match = match
        return match

    def takes(self, environ) -> bool:
        """Whether a request (its WSGI environ) is one for this handler."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("HTTP_COOKIE"):
            return False
        if not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
            return False
        try:
            self.resolver.resolve(get_path_info(environ))
        except Resolver404:
            return False
        return True


class HotPathDispatch:
    """The WSGI application: hot requests to `HotPathHandler`, the rest to `app`."""

    def __init__(self, app, hot: HotPathHandler | None = None):
        self.app = app
        self.hot = hot or HotPathHandler()

    def __call__(self, environ, start_response):
        if self.hot.takes(environ):
            return self.hot(environ, start_response)
        return self.app(environ, start_response)


def wrap(app):
    """`app` behind the hot path when EHOME_HOT_PATH is on (config/wsgi.py)."""
    return HotPathDispatch(app) if settings.EHOME_HOT_PATH else app
