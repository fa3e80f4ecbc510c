"""The demo seed makes one playable video lesson and one audio lesson (the academy demo
finds them by title) and is idempotent."""

from __future__ import annotations

import pytest

from media_pipeline import demo
from media_pipeline.models import MediaAsset

pytestmark = pytest.mark.django_db


def test_seed_creates_ready_assets_for_the_whole_group_once(org, media_settings, monkeypatch):
    monkeypatch.setattr(demo, "VIDEO_SECONDS", 3)  # the real seed uses 20 s / 30 s clips
    monkeypatch.setattr(demo, "AUDIO_SECONDS", 3)
    assert demo.seed() == {"media_assets_created": 2, "media_assets_kept": 0}
    video = MediaAsset.objects.get(title="微党课：新时代的建设者")
    audio = MediaAsset.objects.get(title="微听党章：总纲")
    assert (video.kind, video.status, video.audience_unit) == ("video", "ready", org.root)
    assert (audio.kind, audio.status, audio.audience_unit) == ("audio", "ready", org.root)
    assert [r["height"] for r in video.renditions] == [360, None, None]
    assert audio.download_key and abs(audio.duration - 3.0) < 0.2

    assert demo.seed() == {"media_assets_created": 0, "media_assets_kept": 2}
    assert MediaAsset.objects.count() == 2
