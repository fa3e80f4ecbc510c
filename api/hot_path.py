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

import io
import logging
import weakref

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_path_info, get_script_name
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import URLPattern, URLResolver, get_resolver, set_script_prefix
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from rest_framework_simplejwt.models import TokenUser

logger = logging.getLogger(__name__)


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
        if getattr(request, "resolver_match", None) is not None:
            # it reached the view: on the full stack the end-of-login check has run (a
            # request CommonMiddleware refuses — a host not allowed — never gets there)
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


_LANES: weakref.WeakSet = weakref.WeakSet()


@receiver(setting_changed)
def _forget_templates(**kwargs):
    """A changed setting (tests) may change the middleware's headers: learn them again."""
    for lane in list(_LANES):
        lane.templates.clear()
        lane.languages.clear()
        lane.hosts.clear()


class _LaneRequest:
    """What the rate limits and the language choice read of a request."""

    __slots__ = ("META", "COOKIES", "user", "path_info")

    def __init__(self, environ, user):
        self.META = environ
        self.COOKIES = {}
        self.user = user
        self.path_info = get_path_info(environ)


class ProgressLane:
    """The accepted interval report — the request the academy's phones send every few
    seconds, and the one that sets the machine's capacity — answered without Django's
    request handling (EHOME_PROGRESS_LANE).

    A POST to the progress URL with a Bearer token, a JSON body of at most 64 KB and no
    cookie: the body is read once and the same steps as the view's fast path run — the
    token's validation, the rate limits, the command, and the ONE statement that
    authorizes and stores the batch (api.learning.progress `folded_report`), with
    Django's request_started/request_finished signals around them (old connections
    closed) and the language LocaleMiddleware would choose active. Only an accepted
    report is answered here. Anything else — a refusal of any kind, a retried key, a
    first report, an error before the statement — wrote nothing, and the request goes on
    to the hot road with its body, where the view answers it in its own words. An error
    after the statement (the report is stored) is logged and the request goes on as well:
    the view then answers with the stored state (a retried key).

    The answer's headers are those of the site's middleware, learned from the first
    accepted report the hot road answers for the same (scheme, language): every
    middleware's headers on a 200 from this view depend on nothing else (Vary, Allow,
    the security headers, HSTS on https, Content-Language, the CSP without a nonce).
    tests/api/test_hot_path.py compares the lane's answers with the full stack's."""

    def __init__(self, hot: HotPathHandler):
        from api.learning import progress as learning

        self.hot = hot
        self.resolver = hot.resolver
        self.learning = learning
        self.paths: dict[str, int | None] = {}  # path → lesson id (None: not the URL)
        self.templates: dict[tuple[bool, str], list[tuple[str, str]]] = {}
        self.languages: dict[str, str] = {}  # Accept-Language → the language chosen
        self.hosts: dict[tuple, bool] = {}  # the Host headers → allowed (ALLOWED_HOSTS)
        _LANES.add(self)

    def lesson_id(self, environ) -> int | None:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("HTTP_COOKIE"):
            return None
        if not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
            return None
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip() != "application/json":
            return None
        path = get_path_info(environ)
        if path not in self.paths:
            if len(self.paths) >= 10_000:
                self.paths.clear()
            try:
                match = self.resolver.resolve(path)
                pk = match.kwargs.get("pk") if match.url_name == "lesson-progress" else None
            except Resolver404:
                pk = None
            self.paths[path] = pk if type(pk) is int and 0 < pk < 2**63 else None
        pk = self.paths[path]
        if pk is None or settings.DISALLOWED_USER_AGENTS or not self.host_allowed(environ):
            return None  # the hot road answers (CommonMiddleware's 403, the 400 of a bad Host)
        return pk

    def host_allowed(self, environ) -> bool:
        """Whether Django accepts this request's host (`HttpRequest.get_host`, which
        CommonMiddleware calls on every request: a host not in ALLOWED_HOSTS is a 400)."""
        key = tuple(
            environ.get(k)
            for k in ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "SERVER_NAME", "SERVER_PORT")
        )
        allowed = self.hosts.get(key)
        if allowed is None:
            try:
                WSGIRequest({**environ, "wsgi.input": io.BytesIO()}).get_host()
                allowed = True
            except DisallowedHost:
                allowed = False
            if len(self.hosts) >= 1000:
                self.hosts.clear()
            self.hosts[key] = allowed
        return allowed

    def __call__(self, environ, start_response, pk: int):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not 0 < length <= min(64 * 1024, limit if limit is not None else length):
            return self.hot(environ, start_response)  # the guard's 413, or a long body
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # the hot road reads it again
        language = self.language(environ)
        key = (self.secure(environ), language)
        template = self.templates.get(key)
        if template is None:
            return self.learn(environ, start_response, key)
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answer = self.answer(environ, body, pk, language)
        finally:
            signals.request_finished.send(sender=self.__class__)
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.hot(environ, start_response)
        headers = [(k, str(len(answer)) if k == "Content-Length" else v) for k, v in template]
        start_response("200 OK", headers)
        return [answer]

    def answer(self, environ, body: bytes, pk: int, language: str) -> bytes | None:
        learning = self.learning
        token = learning.bearer_token(environ.get("HTTP_AUTHORIZATION", ""))
        if token is None:
            return None
        request = _LaneRequest(environ, TokenUser(token))
        translation.activate(language)
        try:
            if not learning.within_rate_limits(request):
                return None
            header_key = environ.get("HTTP_IDEMPOTENCY_KEY")
            command = learning.fast_command(body, header_key)
            if command is None:
                return None
            st = learning.folded_report(token, command, pk)
            if st is None:
                return None
            return learning.json_body(learning.progress_json(st))
        except Exception:  # the hot road answers (a stored report: as a retried key)
            logger.exception("progress lane: %s", environ.get("PATH_INFO"))
            return None

    @staticmethod
    def secure(environ) -> bool:
        """`HttpRequest.is_secure()` of this environ (SECURE_PROXY_SSL_HEADER first)."""
        header = settings.SECURE_PROXY_SSL_HEADER
        if header:
            name, secure_value = header
            value = environ.get(name)
            if value is not None:
                return value.split(",", 1)[0].strip() == secure_value
        return environ.get("wsgi.url_scheme") == "https"

    def language(self, environ) -> str:
        """The language LocaleMiddleware activates for an API path (no language prefix,
        no cookie on this road: Accept-Language, else LANGUAGE_CODE)."""
        header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
        language = self.languages.get(header)
        if language is None:
            request = _LaneRequest(environ, None)
            language = translation.get_language_from_request(request) or settings.LANGUAGE_CODE
            if len(self.languages) >= 1000:
                self.languages.clear()
            self.languages[header] = language
        return language

    def learn(self, environ, start_response, key):
        """The hot road answers; a 200's headers become the template for `key`."""

        def capture(status, headers, exc_info=None):
            if status.startswith("200 ") and exc_info is None:
                names = [k.lower() for k, _v in headers]
                if "content-length" in names and "set-cookie" not in names:
                    self.templates[key] = [(k, v) for k, v in headers if k.lower() != "date"]
            return (
                start_response(status, headers, exc_info)
                if exc_info
                else start_response(status, headers)
            )

        return self.hot(environ, capture)


class HotPathDispatch:
    """The WSGI application: the accepted progress report to `ProgressLane`, the other
    hot requests to `HotPathHandler`, the rest to `app`."""

    def __init__(self, app, hot: HotPathHandler | None = None, lane: bool | None = None):
        self.app = app
        self.hot = hot or HotPathHandler()
        on = settings.EHOME_PROGRESS_LANE if lane is None else lane
        self.lane = ProgressLane(self.hot) if on else None

    def __call__(self, environ, start_response):
        if self.lane is not None:
            pk = self.lane.lesson_id(environ)
            if pk is not None:
                return self.lane(environ, start_response, pk)
        if self.hot.takes(environ):
            return self.hot(environ, start_response)
        return self.app(environ, start_response)


def wrap(app):
    """`app` behind the hot path when EHOME_HOT_PATH is on (config/wsgi.py)."""
    return HotPathDispatch(app) if settings.EHOME_HOT_PATH else app
