"""A page embeds only media its editor may use: another unit's restricted video in the
body or as an exemplar's video is refused with a message naming it, nothing is saved,
and members never receive its stream URL through the API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, streamfield

from cms.models import ExemplarPage, NewsPage
from media_pipeline.models import MediaAsset
from tests.admin_forms import admin_form, fill, submit

pytestmark = pytest.mark.django_db
PAGE_FORM = "page-edit-form"


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def video(unit, title):
    return MediaAsset.objects.create(
        kind="video",
        title=title,
        owner_unit=unit,
        audience_unit=unit,
        status="ready",
        duration=60,
        master_key=f"hls/{title}/master.m3u8",
    )


def news_with_video(client, site, org, asset, slug):
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    data = admin_form(client, url, PAGE_FORM)
    fill(
        data,
        {
            "title": "项目部开展主题党日",
            "slug": slug,
            "date": "2026-11-20",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    body = streamfield([("video", {"asset": str(asset.pk), "caption": "现场视频"})])
    for key, value in nested_form_data({"body": body}).items():
        data[key] = value
    return url, data


def test_news_body_cannot_embed_another_units_video(org, site, roles, members, client_for):
    theirs = video(org.b, "海外内部视频")
    editor = login(roles.editor_a)
    url, data = news_with_video(editor, site, org, theirs, "with-their-video")
    resp = submit(editor, url, data, expect=200)
    errors = [str(e) for e in resp.context["form"].errors["body"]]
    assert any("音视频“海外内部视频”不在您可以使用的范围内" in e for e in errors), errors
    assert not NewsPage.objects.filter(slug="with-their-video").exists()
    listing = client_for(members.a1).get("/api/v1/news/").content.decode()
    assert theirs.master_key not in listing and "海外内部视频" not in listing


def test_news_body_may_embed_the_units_own_video(org, site, roles):
    mine = video(org.a1, "项目部视频")
    editor = login(roles.editor_a)
    url, data = news_with_video(editor, site, org, mine, "with-my-video")
    submit(editor, url, data)
    page = NewsPage.objects.get(slug="with-my-video")
    assert page.body[0].value["asset"] == mine


def test_exemplar_video_field_refuses_another_units_video(org, site, roles):
    theirs = video(org.b, "海外先进事迹")
    editor = login(roles.editor_a)
    url = reverse("wagtailadmin_pages:add", args=("cms", "exemplarpage", site.stories.pk))
    data = admin_form(editor, url, PAGE_FORM)
    fill(
        data,
        {
            "title": "好支书",
            "slug": "good",
            "kind": "person",
            "subject_name": "张建国",
            "subject_unit": str(org.a1.pk),
            "date": "2026-07-01",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
            "related_video": str(theirs.pk),
            "deeds-count": "0",
        },
    )
    resp = submit(editor, url, data, expect=200)
    assert "related_video" in resp.context["form"].errors
    assert "不在您可以使用的范围内" in resp.content.decode()
    assert not ExemplarPage.objects.filter(slug="good").exists()


def test_digest_cannot_list_another_units_internal_news(org, site, roles):
    from cms.models import DigestIssue
    from tests.admin_forms import add_row
    from tests.cms.conftest import publish_news

    theirs = publish_news(
        site.channel, title="海外内部通报", publishing_unit=org.b, audience_unit=org.b
    )
    editor = login(roles.editor_a)
    url = reverse("wagtailadmin_pages:add", args=("cms", "digestissue", site.digests.pk))
    data = admin_form(editor, url, PAGE_FORM)
    fill(
        data,
        {
            "title": "手机报第9期",
            "slug": "digest-9",
            "issue_number": "9",
            "issue_date": "2026-11-23",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    add_row(data, "items", news=str(theirs.pk))
    resp = submit(editor, url, data, expect=200)
    assert "news" in resp.context["form"].formsets["items"].errors[0]
    assert not DigestIssue.objects.filter(slug="digest-9").exists()
