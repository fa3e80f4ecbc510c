"""The transcode lease, with real worker processes and real ffmpeg on PostgreSQL.

- A live worker keeps its lease through an encode several leases long although ffmpeg
  reports no progress until the end: a second worker running the real recovery job and
  the real task never takes the asset over, and the first one finishes it.
- A killed worker stops renewing: the lease runs out, the recovery job notices, the asset
  is processed again and completes; the orphaned ffmpeg dies with its parent and the
  scratch directory is cleaned.
- A frozen worker (SIGSTOP) whose lease was taken over kills its ffmpeg as soon as it
  wakes and writes nothing."""

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
from media_pipeline.processing import workdir_for
from media_pipeline.services import asset_create
from media_pipeline.tasks import asset_process, assets_recover_stale

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


def _start_worker(asset, media_settings, *, lease: int, preset: str) -> subprocess.Popen:
    """A worker process running the real task function, as an RQ/db worker would."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "EHOME_MEDIA_ROOT": str(media_settings.MEDIA_ROOT),
        "EHOME_MEDIA_WORK_DIR": str(media_settings.EHOME_MEDIA_WORK_DIR),
        "EHOME_MEDIA_LEASE_SECONDS": str(lease),
        "EHOME_MEDIA_X264_PRESET": preset,
        "EHOME_MEDIA_FFMPEG_THREADS": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from media_pipeline.tasks import asset_process;"
            f"asset_process.call({asset.pk})",
        ],
        cwd=ROOT,
        env=env,
    )


def _transcoding(asset, workdir: str):
    def check():
        row = MediaAsset.objects.get(pk=asset.pk)
        return row.status == MediaAsset.Status.TRANSCODING and _ffmpeg_pids(workdir)

    return check


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database lives in memory: a second process cannot see it")


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_live_worker_keeps_its_lease_through_an_encode_longer_than_the_lease(
    org, clips, media_settings
):
    _needs_postgres()
    lease = 2
    media_settings.EHOME_MEDIA_LEASE_SECONDS = lease  # worker B (this process) too
    asset = asset_create(
        kind="video", title="长视频", source=clips["video"], owner_unit=org.a, enqueue=False
    )
    # "slow" x264 with one thread: the encode runs several leases, and ffmpeg 5.1 writes
    # no progress until it is nearly done — only the worker's own heartbeat renews.
    worker_a = _start_worker(asset, media_settings, lease=lease, preset="slow")
    workdir = str(workdir_for(asset.pk))
    recoveries, takeovers = [], []
    try:
        assert _wait(_transcoding(asset, workdir), timeout=90), "worker A never transcoded"
        owner = MediaAsset.objects.get(pk=asset.pk).lease_owner
        # worker B: the periodic recovery job and the task itself, over and over
        while worker_a.poll() is None:
            recoveries.append(assets_recover_stale.call())
            takeovers.append(asset_process.call(asset.pk))
            row = MediaAsset.objects.get(pk=asset.pk)
            if row.status != MediaAsset.Status.READY:
                assert row.lease_owner == owner, "worker B took the asset over"
            time.sleep(lease / 4)
        worker_a.wait(timeout=120)
    finally:
        if worker_a.poll() is None:
            worker_a.kill()
            worker_a.wait()

    assert worker_a.returncode == 0
    done = MediaAsset.objects.get(pk=asset.pk)
    assert done.status == MediaAsset.Status.READY, done.error or done.reason
    assert done.attempts == 1 and done.progress == 100
    # the encode really outlived the lease, more than once, while B kept trying
    assert done.timings["transcode"] > 2 * lease, done.timings
    assert len(recoveries) >= 4
    assert all(r == {"requeued": 0, "failed": 0} for r in recoveries), recoveries
    assert takeovers == [None] * len(takeovers)
    assert (Path(media_settings.MEDIA_ROOT) / done.master_key).is_file()
    assert not Path(workdir).exists()


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_killed_worker_is_noticed_requeued_and_completes(org, clips, media_settings):
    _needs_postgres()
    asset = asset_create(
        kind="video", title="被中断的课程", source=clips["video"], owner_unit=org.a, enqueue=False
    )
    # veryslow: slow enough to be caught mid-encode
    worker = _start_worker(asset, media_settings, lease=3, preset="veryslow")
    workdir = str(workdir_for(asset.pk))
    try:
        encoders = _wait(_transcoding(asset, workdir), timeout=90)
        assert encoders, "the worker never reached transcoding"
        # alive, it keeps renewing past its first lease ...
        owner = MediaAsset.objects.get(pk=asset.pk).lease_owner
        time.sleep(4)
        alive = MediaAsset.objects.get(pk=asset.pk)
        assert alive.lease_owner == owner and alive.lease_expires_at > timezone.now()
        assert assets_recover_stale.call() == {"requeued": 0, "failed": 0}
    finally:
        # ... and once it is really dead the lease runs out
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    # the encoder dies with its parent (PR_SET_PDEATHSIG) instead of running on orphaned
    assert _wait(lambda: not _ffmpeg_pids(workdir), timeout=10)
    stale = MediaAsset.objects.get(pk=asset.pk)
    assert stale.status == MediaAsset.Status.TRANSCODING and stale.attempts == 1
    # while the lease is still live nothing is requeued
    if stale.lease_expires_at > timezone.now():
        assert assets_recover_stale.call() == {"requeued": 0, "failed": 0}
    assert _wait(lambda: stale.lease_expires_at < timezone.now(), timeout=10)

    result = assets_recover_stale.call()  # autocommit: the requeued task runs inline right away
    assert result["requeued"] == 1
    done = MediaAsset.objects.get(pk=asset.pk)
    assert done.status == MediaAsset.Status.READY, done.error or done.reason
    assert done.attempts == 2 and done.progress == 100
    assert (Path(media_settings.MEDIA_ROOT) / done.master_key).is_file()
    assert not Path(workdir).exists()


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_frozen_worker_that_lost_its_lease_kills_its_ffmpeg_and_writes_nothing(
    org, clips, media_settings
):
    _needs_postgres()
    # the recovery job only requeues here; nobody picks the asset up in this process
    media_settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    asset = asset_create(
        kind="video", title="被冻结的进程", source=clips["video"], owner_unit=org.a, enqueue=False
    )
    worker = _start_worker(asset, media_settings, lease=2, preset="veryslow")
    workdir = str(workdir_for(asset.pk))
    try:
        assert _wait(_transcoding(asset, workdir), timeout=90), "the worker never transcoded"
        worker.send_signal(signal.SIGSTOP)  # a frozen VM, a stuck host: no heartbeat at all
        frozen = MediaAsset.objects.get(pk=asset.pk)
        assert _wait(lambda: frozen.lease_expires_at < timezone.now(), timeout=10)
        assert assets_recover_stale.call() == {"requeued": 1, "failed": 0}
        assert _ffmpeg_pids(workdir), "its encoder runs on while the worker is frozen"

        worker.send_signal(signal.SIGCONT)
        woke = time.monotonic()
        # the first renewal after waking finds the lease gone and kills the encoder
        assert _wait(lambda: not _ffmpeg_pids(workdir), timeout=5)
        worker.wait(timeout=10)
        assert time.monotonic() - woke < 10
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGCONT)
            worker.kill()
            worker.wait()
    assert worker.returncode == 0
    row = MediaAsset.objects.get(pk=asset.pk)
    # exactly as the recovery job left it: queued for another worker, nothing written
    assert (row.status, row.lease_owner, row.lease_expires_at) == ("uploaded", "", None)
    assert row.attempts == 1 and row.error == "" and row.master_key == ""
    assert not list(Path(media_settings.MEDIA_ROOT).glob("media/*/master.m3u8"))
