"""Headless preview tokens, Wagtail's app preview mode, and scheduled publishing run
by the periodic task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cms.models import NewsPage
from cms.services import PREVIEW_SALT, preview_token_make
from cms.tasks import publish_scheduled_run

pytestmark = pytest.mark.django_db


def test_preview_token_shows_the_draft_as_the_app_would(org, site, news):
    page = news(title="已发布标题", publishing_unit=org.a, audience_unit=org.a)
    page.title = "草稿标题"
    page.body = [("rich_text", "<p>草稿正文<script>alert(1)</script></p>")]
    page.save_revision()
    token = preview_token_make(page=NewsPage.objects.get(pk=page.pk))
    resp = APIClient().get("/api/v1/preview/", {"token": token})
    assert resp.status_code == 200
    data = resp.json()
    assert data["preview"] is True and data["data"]["title"] == "草稿标题"
    assert "草稿正文" in data["data"]["body"][0]["value"]["html"]
    assert "<script" not in data["data"]["body"][0]["value"]["html"]
    # the live page is untouched by the draft
    assert NewsPage.objects.get(pk=page.pk).title == "已发布标题"


def test_tampered_or_expired_tokens_are_refused(org, site, news, settings):
    page = news(title="新闻", publishing_unit=org.a, audience_unit=org.a)
    token = preview_token_make(page=page)
    assert APIClient().get("/api/v1/preview/", {"token": token[:-2] + "xx"}).status_code == 404
    forged = signing.dumps({"p": page.pk, "r": 1}, salt="wrong-salt")
    assert APIClient().get("/api/v1/preview/", {"token": forged}).status_code == 404
    settings.EHOME_PREVIEW_TOKEN_MAX_AGE = -1
    resp = APIClient().get("/api/v1/preview/", {"token": token})
    assert resp.status_code == 404 and "过期" in resp.json()["error"]["message"]


def test_token_cannot_point_at_another_pages_revision(org, site, news):
    a = news(title="A", publishing_unit=org.a, audience_unit=org.a)
    b = news(title="B", publishing_unit=org.b, audience_unit=org.b)
    mixed = signing.dumps(
        {"p": a.pk, "r": b.get_latest_revision().pk}, salt=PREVIEW_SALT, compress=True
    )
    assert APIClient().get("/api/v1/preview/", {"token": mixed}).status_code == 404


def test_preview_token_view_requires_edit_rights(org, site, roles, news):
    page = news(title="A 新闻", publishing_unit=org.a, audience_unit=org.a)
    url = reverse("cms_preview_token", args=(page.pk,))
    own = Client()
    own.force_login(roles.editor_a)
    resp = own.get(url)
    assert resp.status_code == 200 and "/api/v1/preview/?token=" in resp.json()["url"]
    other = Client()
    other.force_login(roles.editor_b)
    assert other.get(url).status_code == 404  # another unit's page: as if missing


def test_wagtail_app_preview_mode_returns_json(org, site, roles, news):
    page = news(title="A 新闻", publishing_unit=org.a, audience_unit=org.a)
    c = Client()
    c.force_login(roles.editor_a)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(page.pk,))
    from wagtail.test.utils.form_data import (
        inline_formset,
        nested_form_data,
        rich_text,
        streamfield,
    )

    data = nested_form_data(
        {
            "title": "预览中的标题",
            "slug": page.slug,
            "date": "2026-11-20",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
            "tags": "",
            "body": streamfield([("rich_text", rich_text("<p>预览</p>"))]),
            "comments": inline_formset([]),
        }
    )
    assert c.post(url, data).json()["is_valid"] is True
    resp = c.get(url + "?mode=app")
    assert resp.status_code == 200 and resp.json()["data"]["title"] == "预览中的标题"


def test_published_page_on_the_web_is_audience_scoped(org, site, members, news):
    page = news(title="A 内部新闻", publishing_unit=org.a, audience_unit=org.a, slug="a-internal")
    insider, outsider = Client(), Client()
    insider.force_login(members.a1)
    outsider.force_login(members.b1)
    assert insider.get(page.url).status_code == 200
    assert outsider.get(page.url).status_code == 404
    assert Client().get(page.url).status_code == 404


def test_scheduled_publishing_and_expiry_run_by_the_periodic_task(
    org, site, members, news, client_for, settings
):
    from core import schedule

    job = schedule.get("cms.publish_scheduled")
    assert job.task == "cms.tasks.publish_scheduled_run" and job.every.total_seconds() == 60
    page = news(title="定时新闻", publishing_unit=org.root, audience_unit=org.root)
    page.unpublish()
    page = NewsPage.objects.get(pk=page.pk)
    page.go_live_at = timezone.now() + timedelta(minutes=5)
    revision = page.save_revision()
    revision.publish()  # with go_live_at in the future this only schedules it
    page.refresh_from_db()
    assert not page.live
    publish_scheduled_run.call()
    page.refresh_from_db()
    assert not page.live  # not yet due
    # five minutes pass: move the schedule into the past instead of sleeping
    past = timezone.now() - timedelta(seconds=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])
    publish_scheduled_run.call()
    page.refresh_from_db()
    assert page.live
    assert client_for(members.a1).get(f"/api/v1/news/{page.pk}/").status_code == 200

    NewsPage.objects.filter(pk=page.pk).update(expire_at=timezone.now() - timedelta(seconds=1))
    publish_scheduled_run.call()
    page.refresh_from_db()
    assert not page.live and page.expired
    assert client_for(members.a1).get(f"/api/v1/news/{page.pk}/").status_code == 404
