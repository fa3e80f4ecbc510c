"""The worker side of the media pipeline: probe → transcode → store under a lease.

The pipeline (`asset_transcode`) holds a lease on the asset row while it works. A
`LeaseKeeper` thread renews it every EHOME_MEDIA_LEASE_SECONDS / 3 for as long as the
worker is alive — not from ffmpeg's progress output, which ffmpeg 5.1 may write only at
the end of a long encode — and each step's progress write renews it too. A worker that
dies (or freezes) stops renewing; the periodic `assets_recover_stale` task notices the
expired lease (`assets_release_stale`) and queues the asset again. Should the frozen
worker wake up, its keeper's next renewal finds the lease taken and kills its ffmpeg;
every write is conditional on the lease token, so it writes nothing. Each attempt works
in its own scratch directory (`asset-<id>/<token>/`, removing what dead attempts left),
and outputs go to content-addressed keys, so a retry simply redoes the work and
overwrites the same objects. `ready` is written only after every object is stored.

Started by the tasks in `media_pipeline.tasks` (and `manage.py transcode`); it imports
neither the tasks nor the request-side services, so the three point one way:
services → tasks → processing.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from media_pipeline.ffmpeg_run import Abort, FFmpegError
from media_pipeline.models import MediaAsset
from media_pipeline.playlists import write_master, write_storyboard_vtt
from media_pipeline.probe import MediaRejected, probe_file
from media_pipeline.storage import asset_prefix, get_store, safe_ext
from media_pipeline.transcode import measure_loudness, plan_for, transcode

log = logging.getLogger(__name__)
Status = MediaAsset.Status


class LeaseLost(Exception):
    """Another worker took the asset over (our lease expired): stop without writing."""


# --- lease ---------------------------------------------------------------------------------
def _lease_until():
    return timezone.now() + timedelta(seconds=settings.EHOME_MEDIA_LEASE_SECONDS)


def _claim(asset_id: int) -> str | None:
    """Take the lease if nobody holds a live one; returns our token."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = (
        MediaAsset.objects.filter(
            pk=asset_id, status__in=[Status.UPLOADED, *MediaAsset.ACTIVE_STATUSES]
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(
            lease_owner=token,
            lease_expires_at=_lease_until(),
            status=Status.PROBING,
            progress=0,
            error="",
            reason="",
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    return token if claimed else None


def _heartbeat(asset_id: int, token: str, **fields) -> None:
    fields.update(lease_expires_at=_lease_until(), updated_at=timezone.now())
    if not MediaAsset.objects.filter(pk=asset_id, lease_owner=token).update(**fields):
        raise LeaseLost(asset_id)


def _renew(asset_id: int, token: str) -> bool:
    """Extend our lease; False when it is no longer ours (one conditional UPDATE)."""
    return bool(
        MediaAsset.objects.filter(pk=asset_id, lease_owner=token).update(
            lease_expires_at=_lease_until()
        )
    )


class LeaseKeeper:
    """Renews the asset's lease from its own thread while the worker works on it.

    Every EHOME_MEDIA_LEASE_SECONDS / 3 seconds: one conditional UPDATE that extends the
    lease only while `lease_owner` is still our token. A failed statement (database
    briefly away) is retried on the next tick — the lease outlives two missed renewals.
    When a renewal finds the lease gone (we were frozen past its expiry and another
    worker took the asset), `lost` is set and `abort` kills our ffmpeg at once, so two
    encoders never work on one asset. The thread has its own database connection and
    closes it when it stops."""

    def __init__(self, asset_id: int, token: str) -> None:
        self.asset_id = asset_id
        self.token = token
        self.interval = max(0.2, settings.EHOME_MEDIA_LEASE_SECONDS / 3)
        self.abort = Abort()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-asset-{asset_id}", daemon=True
        )

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        """Raise LeaseLost when the keeper has seen the lease go."""
        if self.lost.is_set():
            raise LeaseLost(self.asset_id)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    renewed = _renew(self.asset_id, self.token)
                except Exception:  # noqa: BLE001 — next tick retries; the lease has slack
                    log.warning("asset %s: lease renewal failed", self.asset_id, exc_info=True)
                    connection.close()
                    continue
                if not renewed:
                    log.warning("asset %s: lease taken over, stopping ffmpeg", self.asset_id)
                    self.lost.set()
                    self.abort.trigger("租约已被其他处理进程接管")
                    return
        finally:
            connection.close()


def _finish(asset_id: int, token: str, **fields) -> bool:
    fields.update(lease_owner="", lease_expires_at=None, updated_at=timezone.now())
    return bool(MediaAsset.objects.filter(pk=asset_id, lease_owner=token).update(**fields))


def workdir_for(asset_id: int) -> Path:
    """Scratch of every attempt on the asset; each attempt works in `<token>/` below."""
    return Path(settings.EHOME_MEDIA_WORK_DIR) / f"asset-{asset_id}"


def _attempt_workdir(asset_id: int, token: str) -> Path:
    """Our scratch directory. What earlier attempts left is removed: their lease expired,
    so they are dead, or frozen and about to find the lease lost and kill their ffmpeg —
    which writes into its own directory, never into ours."""
    root = workdir_for(asset_id)
    if root.is_dir():
        for old in root.iterdir():
            if old.name != token:
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(True)
    workdir = root / token
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    return workdir


def _remove_workdir(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        workdir.parent.rmdir()  # only when no other attempt's scratch is left
    except OSError:
        pass


def _local_source(asset: MediaAsset, workdir: Path) -> Path:
    try:
        return Path(asset.source.path)
    except NotImplementedError:  # remote storage: stream it down once
        target = workdir / f"source{safe_ext(asset.source.name)}"
        with default_storage.open(asset.source.name, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
        return target


# --- the pipeline --------------------------------------------------------------------------
def asset_transcode(*, asset_id: int) -> MediaAsset | None:
    """probe → (reject | loudness → ONE ffmpeg → playlists) → store → ready.

    Returns the asset, or None when another worker holds a live lease on it (or took it
    over while we were frozen: then nothing here writes to the asset)."""
    token = _claim(asset_id)
    if token is None:
        return None
    workdir = _attempt_workdir(asset_id, token)
    timings: dict[str, float] = {}
    try:
        with LeaseKeeper(asset_id, token) as keeper:
            try:
                _pipeline(asset_id, token, workdir, keeper, timings)
            except Exception as exc:
                if keeper.lost.is_set() or isinstance(exc, LeaseLost):
                    log.warning("asset %s: lease lost, another worker took over", asset_id)
                    return None
                log.exception("asset %s failed", asset_id)  # shown in the admin, retryable
                message = (
                    str(exc) if isinstance(exc, FFmpegError) else f"{type(exc).__name__}: {exc}"
                )
                _finish(
                    asset_id, token, status=Status.FAILED, error=message[:4000], timings=timings
                )
    finally:
        _remove_workdir(workdir)
    return MediaAsset.objects.get(pk=asset_id)


def _pipeline(
    asset_id: int, token: str, workdir: Path, keeper: LeaseKeeper, timings: dict[str, float]
) -> None:
    asset = MediaAsset.objects.get(pk=asset_id)
    started = time.monotonic()
    if not asset.source:
        raise MediaRejected("没有源文件")
    src = _local_source(asset, workdir)
    try:
        probe = probe_file(src, kind=asset.kind)
    except MediaRejected as exc:
        timings["probe"] = round(time.monotonic() - started, 3)
        _finish(asset_id, token, status=Status.REJECTED, reason=exc.reason, timings=timings)
        return
    timings["probe"] = round(time.monotonic() - started, 3)
    _heartbeat(
        asset_id,
        token,
        status=Status.TRANSCODING,
        duration=probe.duration,
        width=probe.width,
        height=probe.height,
        frame_rate=probe.frame_rate,
        probe=probe.as_json(),
        timings=timings,
    )

    step = time.monotonic()
    measured = measure_loudness(src, workdir=workdir, abort=keeper.abort) if probe.has_audio else {}
    timings["loudness"] = round(time.monotonic() - step, 3)
    _heartbeat(asset_id, token, loudness=measured, progress=5, timings=timings)

    plan = plan_for(probe, asset.kind)
    out = workdir / "out"
    last_beat = [0.0]

    def progress(fraction: float) -> None:
        now = time.monotonic()
        if now - last_beat[0] >= 1.0 or fraction >= 1.0:
            last_beat[0] = now
            _heartbeat(asset_id, token, progress=5 + int(fraction * 85))

    step = time.monotonic()
    transcode(src, out, plan, measured, on_progress=progress, abort=keeper.abort)
    timings["transcode"] = round(time.monotonic() - step, 3)

    step = time.monotonic()
    summary = write_master(out, plan)
    if plan.kind == "video":
        write_storyboard_vtt(out, plan)
    timings["package"] = round(time.monotonic() - step, 3)
    _heartbeat(asset_id, token, status=Status.UPLOADING, progress=92, timings=timings)

    step = time.monotonic()
    prefix = asset_prefix(asset.checksum)
    store = get_store()
    keeper.check()  # a worker that lost the lease uploads nothing
    keys = set(store.put_tree(prefix, out))
    master_key = f"{prefix}/master.m3u8"
    if master_key not in keys or not store.exists(master_key):
        raise RuntimeError("主播放列表未能写入存储")
    timings["upload"] = round(time.monotonic() - step, 3)
    timings["total"] = round(time.monotonic() - started, 3)

    def key(name: str) -> str:
        return f"{prefix}/{name}" if f"{prefix}/{name}" in keys else ""

    _finish(
        asset_id,
        token,
        status=Status.READY,
        progress=100,
        storage_prefix=prefix,
        master_key=master_key,
        audio_playlist_key=key(summary["audio_playlist"]),
        poster_key=key("poster.jpg"),
        storyboard_key=key("storyboard.vtt"),
        storyboard_image_key=key("storyboard.jpg"),
        download_key=key("download.m4a"),
        renditions=summary["renditions"],
        timings=timings,
        ready_at=timezone.now(),
    )


def assets_release_stale(*, now=None) -> tuple[list[int], int]:
    """Release the lease of assets whose worker stopped renewing it (killed, OOM, host
    lost) and put them back to `uploaded`, or give up with a visible error after
    EHOME_MEDIA_MAX_ATTEMPTS tries. Returns the ids to queue again and how many failed
    (the `assets_recover_stale` task queues them)."""
    now = now or timezone.now()
    requeued: list[int] = []
    failed = 0
    stale = MediaAsset.objects.filter(
        status__in=MediaAsset.ACTIVE_STATUSES, lease_expires_at__lt=now
    ).values_list("pk", "attempts")
    lost_enqueue = MediaAsset.objects.filter(
        status=Status.UPLOADED,
        lease_expires_at__isnull=True,
        updated_at__lt=now - timedelta(minutes=10),
    ).values_list("pk", "attempts")
    for pk, attempts in [*stale, *lost_enqueue]:
        base = MediaAsset.objects.filter(pk=pk).filter(
            Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
        )
        with transaction.atomic():
            if attempts >= settings.EHOME_MEDIA_MAX_ATTEMPTS:
                gave_up = base.update(
                    status=Status.FAILED,
                    error=f"处理进程多次中断（已尝试 {attempts} 次），请检查文件后在后台重新转码",
                    lease_owner="",
                    lease_expires_at=None,
                    updated_at=now,
                )
                if gave_up:
                    shutil.rmtree(workdir_for(pk), ignore_errors=True)
                failed += gave_up
                continue
            # the dead attempt's scratch is removed by the next attempt (_attempt_workdir)
            if base.update(
                status=Status.UPLOADED,
                lease_owner="",
                lease_expires_at=None,
                progress=0,
                updated_at=now,
            ):
                requeued.append(pk)
    return requeued, failed
