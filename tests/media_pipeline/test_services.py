"""The pipeline as the admin and the worker drive it: upload → task → ready, rejection
with a reason, failures that stay visible and can be retried, leases and recovery."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from media_pipeline.models import MediaAsset
from media_pipeline.processing import asset_transcode, workdir_for
from media_pipeline.services import AssetInputError, asset_create, asset_retranscode
from media_pipeline.tasks import assets_recover_stale
from tests.factories import member_in

pytestmark = pytest.mark.django_db
Status = MediaAsset.Status


def stored_files(settings, asset) -> set[str]:
    root = Path(settings.MEDIA_ROOT) / asset.storage_prefix
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def create(clip, org, *, kind="video", run=True, capture=None, **kwargs):
    if capture is None:
        return asset_create(kind=kind, title="测试", source=clip, owner_unit=org.a, enqueue=False)
    with capture(execute=run):
        return asset_create(kind=kind, title="测试", source=clip, owner_unit=org.a, **kwargs)


def test_upload_runs_the_task_after_commit_and_ends_ready(
    org, clips, media_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        asset = asset_create(kind="video", title="微党课", source=clips["small"], owner_unit=org.a)
    # nothing runs before the commit; the task is one of the on_commit callbacks
    assert MediaAsset.objects.get(pk=asset.pk).status == Status.UPLOADED and callbacks
    for callback in callbacks:
        callback()
    asset.refresh_from_db()
    assert asset.status == Status.READY, asset.error or asset.reason
    assert asset.progress == 100 and asset.attempts == 1
    assert asset.storage_prefix == f"media/{asset.checksum}"
    assert asset.master_key == f"media/{asset.checksum}/master.m3u8"
    assert (asset.width, asset.height) == (320, 180) and abs(asset.duration - 4.0) < 0.2
    assert set(asset.timings) >= {"probe", "loudness", "transcode", "package", "upload", "total"}
    assert [r["height"] for r in asset.renditions] == [180, None, None]
    files = stored_files(media_settings, asset)
    assert {"master.m3u8", "poster.jpg", "storyboard.jpg", "storyboard.vtt"} <= files
    assert "audio/index.m3u8" in files and "v180/index.m3u8" in files
    assert asset.lease_owner == "" and asset.lease_expires_at is None
    assert not workdir_for(asset.pk).exists()


def test_audio_lesson_has_download_and_no_poster(org, clips, media_settings, client_for):
    asset = create(clips["audio"], org, kind="audio")
    asset = asset_transcode(asset_id=asset.pk)
    assert asset.status == Status.READY
    assert asset.download_key.endswith("/download.m4a") and asset.poster_key == ""
    assert asset.audio_playlist_key.endswith("audio/index.m3u8")
    # the player's API lists both audio-only variants, and each one is stored
    data = client_for(member_in(org.a1).user).get(f"/api/v1/media/{asset.pk}/").json()
    variants = data["audio_renditions"]
    assert [(v["name"], v["channels"]) for v in variants] == [("audio", 2), ("audio_low", 1)]
    assert variants[1]["bitrate"] <= 64_000 < variants[0]["bitrate"]
    files = stored_files(media_settings, asset)
    base = f"http://testserver/media/{asset.storage_prefix}/"
    for v in variants:
        assert v["url"].startswith(base) and v["url"][len(base) :] in files


def test_bad_input_is_rejected_with_reason_and_nothing_stored(org, tmp_path, media_settings):
    fake = tmp_path / "lesson.mp4"
    fake.write_text("#EXTM3U\n#EXTINF:4,\n/etc/hostname\n#EXT-X-ENDLIST\n")
    asset = asset_transcode(asset_id=create(fake, org).pk)
    assert asset.status == Status.REJECTED
    assert "HLS 播放列表" in asset.reason
    assert asset.master_key == "" and not (Path(media_settings.MEDIA_ROOT) / "media").exists()


def test_oversized_upload_is_refused_before_storing(org, clips, media_settings):
    media_settings.EHOME_MEDIA_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(AssetInputError, match="超过上限"):
        create(clips["small"], org)
    assert not MediaAsset.objects.exists()


def test_failure_is_visible_and_retry_overwrites_the_same_keys(
    org, clips, media_settings, django_capture_on_commit_callbacks
):
    media_settings.EHOME_MEDIA_FFMPEG_MEMORY_BYTES = 40 * 1024 * 1024
    asset = asset_transcode(asset_id=create(clips["small"], org).pk)
    assert asset.status == Status.FAILED and "ffmpeg" in asset.error
    assert not workdir_for(asset.pk).exists()

    media_settings.EHOME_MEDIA_FFMPEG_MEMORY_BYTES = 4 * 1024**3
    with django_capture_on_commit_callbacks(execute=True):
        asset_retranscode(asset=asset)
    asset.refresh_from_db()
    assert asset.status == Status.READY and asset.error == ""
    first = stored_files(media_settings, asset)

    with django_capture_on_commit_callbacks(execute=True):
        asset_retranscode(asset=asset)
    asset.refresh_from_db()
    assert asset.status == Status.READY
    assert stored_files(media_settings, asset) == first  # same keys, no orphans


def test_a_live_lease_keeps_a_second_worker_out(org, clips, media_settings):
    asset = create(clips["small"], org)
    MediaAsset.objects.filter(pk=asset.pk).update(
        status=Status.TRANSCODING,
        lease_owner="other-worker",
        lease_expires_at=timezone.now() + timedelta(seconds=60),
    )
    assert asset_transcode(asset_id=asset.pk) is None
    asset.refresh_from_db()
    assert asset.status == Status.TRANSCODING and asset.lease_owner == "other-worker"
    with pytest.raises(AssetInputError, match="正在处理中"):
        asset_retranscode(asset=asset)


def test_recovery_requeues_expired_lease_and_gives_up_after_max_attempts(
    org, clips, media_settings, django_capture_on_commit_callbacks
):
    stale = create(clips["small"], org)
    hopeless = create(clips["small"], org)
    past = timezone.now() - timedelta(seconds=5)
    MediaAsset.objects.filter(pk=stale.pk).update(
        status=Status.TRANSCODING, lease_owner="dead", lease_expires_at=past, attempts=1
    )
    MediaAsset.objects.filter(pk=hopeless.pk).update(
        status=Status.UPLOADING, lease_owner="dead", lease_expires_at=past, attempts=3
    )
    workdir_for(stale.pk).mkdir(parents=True)
    (workdir_for(stale.pk) / "leftover.ts").write_bytes(b"x")
    with django_capture_on_commit_callbacks(execute=True):
        result = assets_recover_stale.call()
    assert result == {"requeued": 1, "failed": 1}
    stale.refresh_from_db()
    hopeless.refresh_from_db()
    assert stale.status == Status.READY and stale.attempts == 2
    assert not workdir_for(stale.pk).exists()
    assert hopeless.status == Status.FAILED and "多次中断" in hopeless.error


def test_transcode_command_prints_one_json_object(org, clips, media_settings, capsys):
    import json

    from django.core.management import call_command

    call_command("transcode", str(clips["small"]), "--title", "命令行转码", "--kind", "video")
    out = capsys.readouterr().out.strip()
    data = json.loads(out)
    assert data["status"] == "ready" and data["master"].endswith("/master.m3u8")
    assert data["renditions"][0] == {
        "height": 180,
        "bitrate": data["renditions"][0]["bitrate"],
        "name": "v180",
    }
    assert set(data["timings"]) >= {"probe", "transcode", "upload"}
    assert MediaAsset.objects.get(pk=data["asset_id"]).title == "命令行转码"
