"""Fixtures for the media pipeline: tiny lavfi clips generated at test time (no media is
committed) and settings that keep every output under pytest's tmp dirs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def make_clip(
    path: Path,
    *,
    video: str | None = None,
    audio: str | None = None,
    seconds=6.0,
    extra: list[str] | None = None,
) -> Path:
    """video e.g. "854x480@25", audio e.g. "440" (sine Hz). Encoded fast, tiny."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    if video:
        size, rate = video.split("@")
        cmd += ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=f={audio}:b=2:d={seconds}"]
    if video:
        cmd += ["-c:v", "libx264", "-preset", "superfast", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac", "-b:a", "96k"]
    cmd += (extra or []) + [str(path)]
    subprocess.run(cmd, check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        # 8 s so there is one full 6 s segment plus a tail; 854x480 → 480p + 360p only
        "video": make_clip(d / "lesson.mp4", video="854x480@25", audio="440", seconds=8),
        "small": make_clip(d / "small.mp4", video="320x180@25", audio="440", seconds=4),
        "audio": make_clip(d / "talk.m4a", audio="330", seconds=7),
        "silent_video": make_clip(d / "silent.mp4", video="320x240@25", seconds=3),
    }


@pytest.fixture
def media_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media/"
    settings.EHOME_MEDIA_WORK_DIR = tmp_path / "work"
    settings.AWS_STORAGE_BUCKET_NAME = None
    settings.AWS_S3_ENDPOINT_URL = None
    settings.EHOME_MEDIA_PLAYBACK = "public"
    settings.EHOME_MEDIA_X264_PRESET = "superfast"
    # Explicit: the root conftest's EHOME_TASKS_IMMEDIATE may be read after settings load.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return settings
