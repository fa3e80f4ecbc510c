"""Wagtail admin screens: upload (size limit enforced while streaming), list with live
progress, JSON status for the progress bars, detail with the hls.js preview, re-transcode,
and per-unit scoping for editors."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from media_pipeline.models import MediaAsset
from organizations.models import UnitRole
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org):
    user = UserFactory(username="media-admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def upload(client, clip, **overrides):
    data = {
        "title": "微党课：上传测试",
        "kind": "video",
        "owner_unit": overrides.pop("owner_unit"),
        "audience_unit": "",
        "file": SimpleUploadedFile("lesson.mp4", clip.read_bytes(), "video/mp4"),
    }
    data.update(overrides)
    return client.post(reverse("media_pipeline_admin:upload"), data)


def test_upload_transcodes_in_the_background_and_lists_it(
    admin_client, org, clips, media_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, clips["small"], owner_unit=org.a.pk)
    assert response.status_code == 302
    asset = MediaAsset.objects.get()
    assert asset.status == MediaAsset.Status.READY and asset.source_name == "lesson.mp4"
    assert asset.created_by.username == "media-admin"

    listing = admin_client.get(reverse("media_pipeline_admin:index")).content.decode()
    assert "微党课：上传测试" in listing and "可播放" in listing and 'value="100"' in listing

    status = admin_client.get(reverse("media_pipeline_admin:status"), {"ids": str(asset.pk)})
    assert status.json() == {
        "assets": [
            {"id": asset.pk, "status": "ready", "label": "可播放", "progress": 100, "reason": ""}
        ]
    }

    detail = admin_client.get(reverse("media_pipeline_admin:detail", args=[asset.pk]))
    html = detail.content.decode()
    assert "hls.js/dist/hls.min.js" in html
    assert f"/media/{asset.master_key}" in html and "320×180" in html


def test_oversized_upload_is_stopped_with_a_message(admin_client, org, clips, media_settings):
    media_settings.EHOME_MEDIA_MAX_UPLOAD_BYTES = 10_000
    response = upload(admin_client, clips["small"], owner_unit=org.a.pk)
    assert response.status_code == 413
    assert "文件超过大小上限" in response.content.decode()
    assert not MediaAsset.objects.exists()


def test_rejected_upload_shows_the_reason(
    admin_client, org, media_settings, django_capture_on_commit_callbacks
):
    fake = SimpleUploadedFile("lesson.mp4", b"ffconcat version 1.0\nfile '/etc/passwd'\n")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("media_pipeline_admin:upload"),
            {"title": "伪装", "kind": "video", "owner_unit": org.a.pk, "file": fake},
        )
    asset = MediaAsset.objects.get()
    assert asset.status == MediaAsset.Status.REJECTED
    html = admin_client.get(reverse("media_pipeline_admin:detail", args=[asset.pk])).content
    assert "拼接脚本" in html.decode()


def test_retranscode_action_requeues_a_failed_asset(
    admin_client, org, clips, media_settings, django_capture_on_commit_callbacks
):
    from media_pipeline.services import asset_create

    asset = asset_create(
        kind="video", title="失败的", source=clips["small"], owner_unit=org.a, enqueue=False
    )
    MediaAsset.objects.filter(pk=asset.pk).update(
        status=MediaAsset.Status.FAILED, error="ffmpeg 失败（退出码 1）"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("media_pipeline_admin:retranscode", args=[asset.pk]))
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY and asset.error == ""


def test_editor_sees_only_assets_of_units_in_scope(client, org, media_settings):
    editor = user_with_role(org.b, UnitRole.Role.EDITOR)
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    mine = MediaAsset.objects.create(kind="video", title="海外课程", owner_unit=org.b1)
    theirs = MediaAsset.objects.create(kind="video", title="北京课程", owner_unit=org.a1)
    listing = client.get(reverse("media_pipeline_admin:index")).content.decode()
    assert "海外课程" in listing and "北京课程" not in listing
    assert client.get(reverse("media_pipeline_admin:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("media_pipeline_admin:detail", args=[theirs.pk])).status_code == 404
