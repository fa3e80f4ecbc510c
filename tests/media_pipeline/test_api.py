"""GET /api/v1/media/{id}/: playback info within the asset's audience, 404 otherwise."""

from __future__ import annotations

import pytest

from media_pipeline.models import MediaAsset
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def ready_asset(*, owner, audience=None, status=MediaAsset.Status.READY, kind="video"):
    prefix = "media/" + "ab" * 32
    return MediaAsset.objects.create(
        kind=kind,
        title="微党课",
        owner_unit=owner,
        audience_unit=audience,
        status=status,
        checksum="ab" * 32,
        duration=20.0,
        width=640,
        height=360,
        storage_prefix=prefix,
        master_key=f"{prefix}/master.m3u8",
        audio_playlist_key=f"{prefix}/audio/index.m3u8",
        poster_key=f"{prefix}/poster.jpg",
        storyboard_key=f"{prefix}/storyboard.vtt",
        renditions=[
            {
                "name": "v360",
                "width": 640,
                "height": 360,
                "bitrate": 900000,
                "average_bitrate": 800000,
            },
            {
                "name": "audio_low",
                "width": None,
                "height": None,
                "channels": 1,
                "bitrate": 56000,
                "average_bitrate": 55000,
                "playlist": "audio_low/index.m3u8",
            },
            {
                "name": "audio",
                "width": None,
                "height": None,
                "channels": 2,
                "bitrate": 100000,
                "average_bitrate": 98000,
                "playlist": "audio/index.m3u8",
            },
        ],
    )


def test_member_in_audience_gets_playback_info(org, client_for, media_settings):
    asset = ready_asset(owner=org.root, audience=org.a)
    response = client_for(member_in(org.a1).user).get(f"/api/v1/media/{asset.pk}/")
    assert response.status_code == 200
    data = response.json()
    prefix = f"http://testserver/media/{asset.storage_prefix}"
    assert data["master_url"] == f"{prefix}/master.m3u8"
    assert data["audio_only_url"] == f"{prefix}/audio/index.m3u8"
    assert data["poster_url"] == f"{prefix}/poster.jpg"
    assert data["storyboard_url"] == f"{prefix}/storyboard.vtt"
    assert data["download_url"] is None and data["duration"] == 20.0
    assert data["renditions"] == [
        {"height": 360, "width": 640, "bitrate": 900000, "average_bitrate": 800000}
    ]
    # the audio-only variants, best first: the low one for the poorest networks
    assert data["audio_renditions"] == [
        {
            "name": "audio",
            "channels": 2,
            "bitrate": 100000,
            "average_bitrate": 98000,
            "url": f"{prefix}/audio/index.m3u8",
        },
        {
            "name": "audio_low",
            "channels": 1,
            "bitrate": 56000,
            "average_bitrate": 55000,
            "url": f"{prefix}/audio_low/index.m3u8",
        },
    ]


def test_outside_audience_is_404_like_missing(org, client_for, media_settings):
    asset = ready_asset(owner=org.root, audience=org.a)
    client = client_for(member_in(org.b1).user)
    outside = client.get(f"/api/v1/media/{asset.pk}/")
    missing = client.get("/api/v1/media/999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["error"]["code"] == "not_found"


def test_without_audience_the_owner_unit_decides(org, client_for, media_settings):
    asset = ready_asset(owner=org.b)
    assert client_for(member_in(org.b1).user).get(f"/api/v1/media/{asset.pk}/").status_code == 200
    assert client_for(member_in(org.a1).user).get(f"/api/v1/media/{asset.pk}/").status_code == 404


@pytest.mark.parametrize("status", ["uploaded", "transcoding", "failed", "rejected"])
def test_not_ready_is_404(org, client_for, media_settings, status):
    asset = ready_asset(owner=org.root, status=status)
    assert client_for(member_in(org.a1).user).get(f"/api/v1/media/{asset.pk}/").status_code == 404


def test_anonymous_is_401(org, api_client, media_settings):
    asset = ready_asset(owner=org.root)
    assert api_client.get(f"/api/v1/media/{asset.pk}/").status_code == 401


def test_public_mode_does_not_expose_the_proxy(org, client, media_settings):
    asset = ready_asset(owner=org.root)
    assert client.get(f"/api/v1/media/{asset.pk}/hls/master.m3u8?t=forged").status_code == 404


def test_playback_service_for_pages_and_lessons_needs_a_ready_asset(org, media_settings):
    from media_pipeline.services import AssetNotPlayable, playback_info

    with pytest.raises(AssetNotPlayable):
        playback_info(asset=ready_asset(owner=org.root, status="transcoding"), user=None)
    info = playback_info(asset=ready_asset(owner=org.root), user=None)
    assert info["master_url"].startswith("/media/media/") and info["duration"] == 20.0
