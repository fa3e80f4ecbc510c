"""Demo data for `manage.py seed_demo`: one video lesson and one audio lesson made from
clips generated with ffmpeg's lavfi sources and transcoded synchronously. Idempotent: an
asset with the same title that is already ready is kept."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from media_pipeline.models import MediaAsset
from media_pipeline.processing import asset_transcode
from media_pipeline.services import asset_create

VIDEO_TITLE = "微党课：新时代的建设者"
AUDIO_TITLE = "微听党章：总纲"
VIDEO_SECONDS = 20
AUDIO_SECONDS = 30


def generate_clip(path: Path, *, kind: str, seconds: float, size: str = "640x360") -> Path:
    """A synthetic clip: test pattern + tone (video) or a gently varying tone (audio)."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    if kind == "video":
        cmd += ["-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={seconds}"]
        cmd += ["-f", "lavfi", "-i", f"sine=f=440:b=2:d={seconds}"]
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        cmd += ["-c:a", "aac", "-shortest", str(path)]
    else:
        cmd += ["-f", "lavfi", "-i", f"sine=f=330:b=3:d={seconds}"]
        cmd += ["-c:a", "aac", "-b:a", "128k", str(path)]
    subprocess.run(cmd, check=True, timeout=300)
    return path


def _ensure(title: str, kind: str, seconds: float, audience, stdout) -> str:
    if MediaAsset.objects.filter(title=title, status=MediaAsset.Status.READY).exists():
        return "kept"
    MediaAsset.objects.filter(title=title).exclude(status=MediaAsset.Status.READY).delete()
    with tempfile.TemporaryDirectory(prefix="ehome-demo-") as tmp:
        ext = ".mp4" if kind == "video" else ".m4a"
        clip = generate_clip(Path(tmp) / f"demo{ext}", kind=kind, seconds=seconds)
        asset = asset_create(
            kind=kind,
            title=title,
            source=clip,
            owner_unit=audience,
            audience_unit=audience,
            enqueue=False,
        )
    asset = asset_transcode(asset_id=asset.pk)
    if stdout is not None:
        stdout.write(f"  音视频：{title} → {asset.status if asset else '?'}\n")
    return "created"


def seed(stdout=None) -> dict:
    from organizations.models import OrgUnit

    root = OrgUnit.objects.filter(code="G").first()
    results = [
        _ensure(VIDEO_TITLE, "video", VIDEO_SECONDS, root, stdout),
        _ensure(AUDIO_TITLE, "audio", AUDIO_SECONDS, root, stdout),
    ]
    return {
        "media_assets_created": results.count("created"),
        "media_assets_kept": results.count("kept"),
    }
