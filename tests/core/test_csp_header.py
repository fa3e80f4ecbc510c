"""The Content-Security-Policy header (core.csp): the text kept per process is the text
django-csp builds from the settings, the admin keeps its inline-script exception, a
response that uses a nonce gets its own, and a changed setting shows at once."""

from __future__ import annotations

import pytest
from csp.constants import SELF
from csp.middleware import PolicyParts
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core.csp import ADMIN_SCRIPT_SRC, CSPMiddleware


def _header(path: str, view=None) -> str:
    middleware = CSPMiddleware(view or (lambda request: HttpResponse("ok")))
    request = RequestFactory().get(path)
    middleware.process_request(request)
    response = middleware.process_response(request, middleware.get_response(request))
    return response["Content-Security-Policy"]


def test_header_is_what_django_csp_builds_and_the_same_every_time():
    expected = build_policy()
    assert _header("/api/v1/news/") == expected
    assert _header("/api/v1/news/") == expected
    assert "'unsafe-inline'" not in _header("/portal/").split("script-src", 1)[1].split(";")[0]


def test_admin_keeps_its_inline_script_exception():
    admin = _header("/admin/pages/")
    assert admin == build_policy(replace=ADMIN_SCRIPT_SRC)
    script_src = [d for d in admin.split("; ") if d.startswith("script-src")][0]
    assert "'unsafe-inline'" in script_src
    assert _header("/admin/") != _header("/api/v1/news/")


def test_a_response_that_uses_a_nonce_gets_its_own():
    seen = []

    def view(request):
        seen.append(str(request.csp_nonce))
        return HttpResponse(f"<script nonce='{seen[-1]}'></script>")

    first, second = _header("/portal/", view), _header("/portal/", view)
    assert f"'nonce-{seen[0]}'" in first and f"'nonce-{seen[1]}'" in second
    assert seen[0] != seen[1]
    assert "nonce" not in _header("/portal/")


@pytest.mark.parametrize("path", ["/api/v1/news/", "/admin/"])
def test_a_changed_setting_shows_at_once(path):
    before = _header(path)
    with override_settings(
        CONTENT_SECURITY_POLICY={
            "DIRECTIVES": {"default-src": [SELF], "img-src": ["https://cdn.example"]}
        }
    ):
        changed = _header(path)
        assert "https://cdn.example" in changed and changed != before
        assert changed == build_policy(**_parts(path))
    assert _header(path) == before


def _parts(path):
    parts = PolicyParts(replace=ADMIN_SCRIPT_SRC if path.startswith("/admin/") else None)
    return {"replace": parts.replace}
