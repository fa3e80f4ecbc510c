"""Every demo login that `make run` prints does its everyday job on the seeded demo
(`seed_demo`, as `make run` runs it), and no admin menu item leads a role to a page it
may not use."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.models import NewsIndexPage, NewsPage
from elearning.models import Attempt, Exam, Lesson, LessonProgress, Question
from organizations import demo as org_demo
from organizations.models import Member, OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # the media clips (ffmpeg) and the search index are not needed for these tasks
    call_command("seed_demo", skip=["media_pipeline", "search"], stdout=io.StringIO())


def login(username) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def unit(code):
    return OrgUnit.objects.get(code=code)


def submit_news(username, pub, aud, slug) -> NewsPage:
    channel = NewsIndexPage.objects.get(slug="headline")
    c = login(username)
    assert c.get(reverse("wagtailadmin_explore", args=(channel.pk,))).status_code == 200
    data = {
        "title": f"演示稿件 {slug}",
        "slug": slug,
        "subtitle": "",
        "source": "宣传部",
        "author": "通讯员",
        "date": "2026-11-20",
        "summary": "摘要",
        "tags": "党建",
        "publishing_unit": str(pub.pk),
        "audience_unit": str(aud.pk),
        "body": streamfield([("rich_text", rich_text("<p>正文</p>"))]),
        "comments": inline_formset([]),
    }
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", channel.pk))
    resp = c.post(url, {**nested_form_data(data), "action-submit": "提交审核"})
    assert resp.status_code == 302, resp.content.decode()[:1500]
    page = NewsPage.objects.get(slug=slug)
    assert not page.live
    return page


def approve(username, page, task_class):
    ws = WorkflowState.objects.get(object_id=str(page.pk), status="in_progress")
    state = ws.current_task_state
    assert type(state.task.specific).__name__ == task_class
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk))
    assert login(username).post(url, {"comment": "同意"}).status_code in (200, 302)
    page.refresh_from_db()
    return page


def test_make_run_prints_the_demo_logins():
    printed = Path(settings.BASE_DIR, "bin", "dev-run").read_text(encoding="utf-8")
    for username, *_ in org_demo.LOGINS:
        assert re.search(rf"\b{username}\b", printed), username


def editors_and_reviewers_publish_through_both_review_steps():
    page = submit_news("editor", unit("G"), unit("G"), "demo-editor")
    assert approve("reviewer", page, "UnitReviewTask").live

    # a G02 item for the whole group: G02's reviewer, then the group's reviewer
    page = submit_news("editor_g02", unit("G02"), unit("G"), "demo-g02-wide")
    assert not approve("reviewer_g02", page, "UnitReviewTask").live
    assert approve("reviewer", page, "UpperReviewTask").live


def secretaries_and_unit_admin_do_their_jobs():
    for username in ("secretary_g02", "secretary_tz", "secretary_g01"):
        c = login(username)
        assert c.get("/dashboard/").status_code == 200, username
        assert c.get(reverse("org_units:index")).status_code == 200, username
        assert c.get(reverse("org_members:index")).status_code == 200, username

    c = login("unitadmin_g01")
    member = Member.objects.filter(unit__path__startswith=unit("G01").path).first()
    url = reverse("org_members:edit", args=(member.pk,))
    form = c.get(url)
    assert form.status_code == 200
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    data["phone"] = "13900000000"
    resp = c.post(url, data)
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    member.refresh_from_db()
    assert member.phone == "13900000000"


def instructor_imports_questions():
    c = login("instructor")
    url = reverse("elearning_question_import")
    assert c.get(url).status_code == 200
    before = Question.objects.count()
    upload = io.BytesIO(
        "::党章1::党的最高理想是什么？{=实现共产主义 ~发家致富 ~出国旅游}\n".encode()
    )
    upload.name = "questions.gift"
    resp = c.post(url, {"file": upload, "owner_unit": unit("G").pk})
    assert resp.status_code == 302, resp.context.get("errors") if resp.context else resp
    assert Question.objects.count() == before + 1


def member_reads_studies_and_takes_an_exam(client_for):
    user = get_user_model().objects.get(username="member")
    news = NewsPage.objects.live().filter(audience_unit__code="G").first()
    web = login("member")
    read = web.get(f"/news/{news.pk}/", follow=True)
    assert read.status_code == 200 and news.title in read.content.decode()
    api = client_for(user)
    assert api.get(f"/api/v1/news/{news.pk}/").status_code == 200

    lesson = Lesson.objects.order_by("sort_order").first()
    r = api.post(f"/api/v1/lessons/{lesson.pk}/progress/", {"event": "open"}, format="json")
    assert r.status_code == 200, r.content
    assert LessonProgress.objects.filter(member__user=user, lesson=lesson).exists()

    exam = Exam.objects.get(course=lesson.course)
    resp = web.post(f"/learn/exams/{exam.pk}/start/")
    assert resp.status_code == 302, resp.content.decode()[:500]
    attempt = Attempt.objects.get(member__user=user, exam=exam)
    data = {"idempotency_key": f"k-{attempt.pk}"}
    for item in attempt.questions:
        data[f"q{item['id']}"] = "A"
    assert web.post(resp["Location"], data).status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == "submitted"


def reviewer_reads_the_audit_report():
    import csv

    resp = login("reviewer").get(reverse("cms_content_audit") + "?export=csv")
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and all(r["操作人"] and r["操作人"] != "系统（自动执行）" for r in rows)
    published = [r["内容"] for r in rows if r["操作"] == "发布"]
    assert len(published) == len(set(published))  # each publication listed once
    assert set(NewsPage.objects.live().values_list("title", flat=True)) <= set(published)


def test_every_demo_login_does_its_job(demo, client_for):
    # one seeded demo for all roles (seeding costs ~20 s)
    reviewer_reads_the_audit_report()
    editors_and_reviewers_publish_through_both_review_steps()
    secretaries_and_unit_admin_do_their_jobs()
    instructor_imports_questions()
    member_reads_studies_and_takes_an_exam(client_for)


def menu_urls(html: str) -> list[tuple[str, str]]:
    m = re.search(r'<script id="wagtail-sidebar-props"[^>]*>(.*?)</script>', html, re.S)
    assert m, "no admin sidebar"
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("url"), str) and node.get("label"):
                found.append((node["label"], node["url"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(m.group(1)))
    return found


ROLE_LOGINS = [u for u, _n, _c, roles, is_super in org_demo.LOGINS if roles or is_super]


def test_every_admin_menu_item_works_for_the_role_that_sees_it(demo):
    seen, broken = {}, []
    for username in ROLE_LOGINS:
        c = login(username)
        home = c.get("/admin/")
        assert home.status_code == 200, username
        items = menu_urls(home.content.decode())
        seen[username] = {label for label, _ in items}
        for label, url in items:
            if not url.startswith("/") or url.startswith("/admin/logout"):
                continue  # the Wagtail guide and release notes live outside the site
            resp = c.get(url, follow=True)
            body = resp.content.decode()
            if resp.status_code != 200 or "没有权限" in body or "Permission denied" in body:
                broken.append((username, label, url, resp.status_code))
    assert not broken, "\n".join(map(str, broken))
    for username in ("editor", "reviewer", "secretary_g02", "unitadmin_g01"):
        assert "导入/导出试题" not in seen[username], username
    assert "导入/导出试题" in seen["instructor"]
