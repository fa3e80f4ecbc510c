"""/api/docs/ in real Chromium with no network beyond this server (an offline install, or
a CDN blocked on the way): Swagger UI comes from our own static files, lists every
operation of the published schema, opens one, and runs under the site's
Content-Security-Policy with no violation and no request to any other host."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("browser"),  # one Chromium per run (tests/e2e/conftest.py)
]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _schema_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = {"get", "post", "put", "patch", "delete"}
    return [(m, p) for p, item in schema["paths"].items() for m in item if m in methods]


def test_api_docs_render_every_operation_with_the_network_off(live_server, browser, screenshot):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:  # the network is off: nothing but this server answers
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    response = page.goto(f"{base}/api/docs/")
    assert response.status == 200
    policy = dict(
        (d.strip().split(" ", 1) + [""])[:2]
        for d in response.headers.get("content-security-policy", "").split(";")
    )
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'", policy

    page.wait_for_selector(".opblock-tag", timeout=30_000)
    operations = _schema_operations()
    assert len(operations) >= 10
    # the tags start collapsed (SWAGGER_UI_SETTINGS docExpansion "none"): open each in
    # turn, count what it shows, close it again
    sections = page.locator(".opblock-tag-section")
    count, shown = 0, []
    for i in range(sections.count()):
        section = sections.nth(i)
        section.locator(".opblock-tag").click()
        section.locator(".opblock").first.wait_for(timeout=10_000)
        count += section.locator(".opblock").count()
        shown += section.locator(".opblock-summary-path").all_inner_texts()
        section.locator(".opblock-tag").click()
    assert count == len(operations)
    for _method, path in operations:
        assert any(text.replace("\u200b", "") == path for text in shown), path

    # the UI works, not just renders: open the login operation and its "Try it out"
    page.locator(".opblock-tag", has_text="auth").first.click()
    login = page.locator(".opblock-post", has=page.locator('[data-path="/api/v1/auth/token/"]'))
    login.locator(".opblock-summary").first.click()
    page.get_by_role("button", name="Try it out").first.wait_for(timeout=10_000)
    screenshot(page, "api-docs")

    assert not outside, f"the docs page reached for other hosts: {outside}"
    assert page.evaluate("() => window.__csp") == []
    assert not errors, errors
    context.close()
