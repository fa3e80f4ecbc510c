"""Kill the worker mid-transcode: the lease runs out, the recovery job notices, the asset
is processed again and completes; the orphaned ffmpeg dies with its parent and the scratch
directory is cleaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from media_pipeline.models import MediaAsset
from media_pipeline.services import asset_create, assets_recover_stale, workdir_for

ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _ffmpeg_pids(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if cmdline.startswith("ffmpeg") and marker in cmdline:
            pids.append(int(entry.name))
    return pids


def _wait(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_killed_worker_is_noticed_requeued_and_completes(org, clips, media_settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database lives in memory: a second process cannot see it")
    asset = asset_create(
        kind="video", title="被中断的课程", source=clips["video"], owner_unit=org.a, enqueue=False
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "EHOME_MEDIA_ROOT": str(media_settings.MEDIA_ROOT),
        "EHOME_MEDIA_WORK_DIR": str(media_settings.EHOME_MEDIA_WORK_DIR),
        "EHOME_MEDIA_LEASE_SECONDS": "3",
        "EHOME_MEDIA_X264_PRESET": "veryslow",  # slow enough to be caught mid-encode
        "EHOME_MEDIA_FFMPEG_THREADS": "1",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from media_pipeline.services import asset_transcode;"
            f"asset_transcode(asset_id={asset.pk})",
        ],
        cwd=ROOT,
        env=env,
    )
    workdir = str(workdir_for(asset.pk))
    try:

        def transcoding():
            row = MediaAsset.objects.get(pk=asset.pk)
            return row.status == MediaAsset.Status.TRANSCODING and _ffmpeg_pids(workdir)

        encoders = _wait(transcoding, timeout=90)
        assert encoders, "the worker never reached transcoding"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    # the encoder dies with its parent (PR_SET_PDEATHSIG) instead of running on orphaned
    assert _wait(lambda: not _ffmpeg_pids(workdir), timeout=10)
    stale = MediaAsset.objects.get(pk=asset.pk)
    assert stale.status == MediaAsset.Status.TRANSCODING and stale.attempts == 1
    # while the lease is still live nothing is requeued
    if stale.lease_expires_at > timezone.now():
        assert assets_recover_stale() == {"requeued": 0, "failed": 0}
    assert _wait(lambda: stale.lease_expires_at < timezone.now(), timeout=10)

    result = assets_recover_stale()  # autocommit: the requeued task runs inline right away
    assert result["requeued"] == 1
    done = MediaAsset.objects.get(pk=asset.pk)
    assert done.status == MediaAsset.Status.READY, done.error or done.reason
    assert done.attempts == 2 and done.progress == 100
    assert (Path(media_settings.MEDIA_ROOT) / done.master_key).is_file()
    assert not Path(workdir).exists()
