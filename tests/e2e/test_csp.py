"""Content-Security-Policy in real Chromium: the portal (an HLS video lesson played
through hls.js, an article) and the admin editors (course with its inline lesson panel,
exam with date pickers, assignment, a news page) work under the policy with no
violation; a script injected into a page past every sanitiser does not run."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.e2e.helpers import play_media

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("browser"),  # one Chromium per run (tests/e2e/conftest.py)
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' @' + e.sourceFile + ':' + e.lineNumber);
});
"""
INJECTED = (
    '<script>window.__xss = "inline";</script>'
    '<img src="/static/none.png" onerror="window.__xss = 2">'
    '<a id="js-link" href="javascript:window.__xss=3">x</a>'
)


def _wagtail_tree():
    from wagtail.models import Collection, Locale, Page

    Locale.objects.get_or_create(language_code="zh-hans")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


def _video(unit):
    from media_pipeline.demo import generate_clip
    from media_pipeline.processing import asset_transcode
    from media_pipeline.services import asset_create

    with tempfile.TemporaryDirectory(prefix="ehome-csp-") as tmp:
        clip = generate_clip(Path(tmp) / "clip.mp4", kind="video", seconds=3, size="320x180")
        asset = asset_create(
            kind="video", title="CSP 视频", source=clip, owner_unit=unit, audience_unit=unit,
            enqueue=False,
        )  # fmt: skip
    asset = asset_transcode(asset_id=asset.pk)
    assert asset.status == "ready", asset.error
    return asset


def _session(context, base: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def _violations(page) -> list[str]:
    return page.evaluate("() => window.__csp")


def _visit(page, url: str, *, admin: bool = False) -> dict:
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    policy = dict(
        (d.strip().split(" ", 1) + [""])[:2]
        for d in response.headers.get("content-security-policy", "").split(";")
    )
    if admin:  # Wagtail's widgets initialise inline (core/csp.py)
        assert policy["script-src"] == "'self' 'unsafe-inline'", policy
    else:
        assert policy["script-src"].startswith("'self'"), policy  # + a nonce where used
        assert "unsafe" not in policy["script-src"], policy
    assert policy["object-src"] == "'none'" and policy["connect-src"] == "'self'", policy
    page.wait_for_load_state("networkidle")
    return response.headers


def test_portal_and_admin_work_under_the_policy_and_injected_scripts_do_not_run(
    live_server, browser
):
    from cms.models import HomePage, NewsIndexPage
    from elearning.models import Assignment, Course, Exam, Lesson
    from tests.factories import UserFactory, make_org_tree, member_in
    from tests.portal import factories as f

    _wagtail_tree()
    org = make_org_tree()
    member = member_in(org.a1, username="csp_member")
    admin = UserFactory(username="csp_admin", is_staff=True, is_superuser=True)
    course = Course.objects.create(title="CSP 课程", audience_unit=org.root, is_published=True)
    video = Lesson.objects.create(
        course=course, title="视频课", kind="video", media=_video(org.root), sort_order=0
    )
    article = Lesson.objects.create(course=course, title="图文课", kind="article", sort_order=1)
    with connection.cursor() as cursor:  # an old row, stored before sanitising on save
        cursor.execute(
            "UPDATE elearning_lesson SET body = %s WHERE id = %s",
            ["<p><b>正文</b></p>" + INJECTED, article.pk],
        )
    exam = Exam.objects.create(title="CSP 考试", course=course, audience_unit=org.root)
    assignment = Assignment.objects.create(
        course=course, audience_unit=org.root, due_date=dt.date.today() + dt.timedelta(days=9)
    )
    news = f.news(org.root, title="CSP 新闻")
    assert HomePage.objects.exists() and NewsIndexPage.objects.exists()

    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    # --- portal: the video plays through hls.js, the article shows, nothing is refused
    _session(context, base, member.user)
    for url in ("/", "/learn/", f"/learn/courses/{course.pk}/", f"/news/{news.pk}/"):
        _visit(page, base + url)
        assert _violations(page) == [], (url, _violations(page))
    _visit(page, f"{base}/learn/lessons/{video.pk}/")
    played = play_media(page, rate=2.0, timeout=30)
    assert played["engine"] == "hls.js" and played["frags"] > 0 and played["ended"], played
    assert _violations(page) == [] and errors == [], (_violations(page), errors)

    _visit(page, f"{base}/learn/lessons/{article.pk}/")
    assert page.locator(".rich-text b").inner_text() == "正文"
    assert page.evaluate("() => window.__xss") is None  # sanitised away on output

    # --- a script that got past every sanitiser (injected into the response) does not run
    def inject(route):
        response = route.fetch()
        html = response.text().replace("</main>", INJECTED + "</main>")
        route.fulfill(response=response, body=html)

    page.route(f"{base}/learn/lessons/{article.pk}/", inject)
    _visit(page, f"{base}/learn/lessons/{article.pk}/")
    page.click("#js-link")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss") is None
    blocked = " ".join(_violations(page))
    assert "script-src-elem inline" in blocked and "script-src-attr inline" in blocked, blocked
    assert errors and all("Content Security Policy" in e for e in errors), errors
    errors.clear()  # (the console reports what was blocked)
    page.unroute(f"{base}/learn/lessons/{article.pk}/")
    page.close()

    # --- admin: the editors load and their scripts work
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    context.clear_cookies()
    _session(context, base, admin)
    urls = [
        "/admin/",
        reverse("elearning_courses:edit", args=[course.pk]),
        reverse("elearning_exams:edit", args=[exam.pk]),
        reverse("elearning_assignments:edit", args=[assignment.pk]),
        reverse("wagtailadmin_pages:edit", args=[news.pk]),
        reverse("org_members:index"),
    ]
    for url in urls:
        _visit(page, base + url, admin=True)
        assert _violations(page) == [], (url, _violations(page))
    assert errors == [], errors

    # the course editor's inline lesson panel (initialised by script) adds a lesson form
    _visit(page, base + reverse("elearning_courses:edit", args=[course.pk]), admin=True)
    forms = page.locator("#id_lessons-FORMS > *").count()
    page.click("#id_lessons-ADD")
    page.wait_for_function(
        f"() => document.querySelectorAll('#id_lessons-FORMS > *').length > {forms}"
    )
    assert page.locator("#id_lessons-TOTAL_FORMS").input_value() == str(forms + 1)
    assert _violations(page) == [], _violations(page)
    # the assignment's date picker (initialised by script) opens
    _visit(page, base + reverse("elearning_assignments:edit", args=[assignment.pk]), admin=True)
    page.click("#id_due_date")
    page.wait_for_selector(".xdsoft_datetimepicker", state="visible", timeout=5000)
    assert _violations(page) == [] and errors == [], (_violations(page), errors)
