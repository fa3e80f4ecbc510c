"""Writes for media assets made on a request: create from an upload, queue again, and
the player's view of a ready asset.

The work itself — probe, transcode, store under a lease — runs in the worker
(`media_pipeline.processing`, started by the `asset_process` task in `tasks.py`). This
module queues that task after the commit; the worker never imports this module, so the
two point one way: services → tasks → processing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import DomainError
from media_pipeline.models import MediaAsset
from media_pipeline.storage import safe_ext
from media_pipeline.tasks import asset_enqueue

Status = MediaAsset.Status


class AssetInputError(DomainError, ValueError):
    """The upload cannot even be accepted (too large, unreadable); message is Chinese."""


class AssetNotPlayable(DomainError):
    """playback_info was asked for an asset that is not ready (yet)."""

    code = "not_found"
    status = 404

    def __init__(self, asset_id: int | None = None):
        super().__init__("音视频尚未就绪，暂不能播放")
        self.asset_id = asset_id


# --- create / retry ------------------------------------------------------------------------
def asset_create(
    *,
    kind: str,
    title: str,
    source: File | Path | str,
    source_name: str | None = None,
    owner_unit=None,
    audience_unit=None,
    created_by=None,
    enqueue: bool = True,
) -> MediaAsset:
    """Store the source (hashing it on the way) and create the asset in `uploaded`."""
    if kind not in MediaAsset.Kind.values:
        raise AssetInputError(f"类型“{kind}”无效，应为 video 或 audio")
    opened = None
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise AssetInputError(f"找不到文件：{path}")
        opened = path.open("rb")
        source = File(opened, name=path.name)
    try:
        name = source_name or os.path.basename(source.name or "upload")
        size = source.size or 0
        limit = settings.EHOME_MEDIA_MAX_UPLOAD_BYTES
        if size > limit:
            raise AssetInputError(
                f"文件“{name}”大小 {size / 1024**2:.0f} MB，超过上限 {limit / 1024**2:.0f} MB"
            )
        digest = hashlib.sha256()
        source.seek(0)
        for chunk in source.chunks():
            digest.update(chunk)
        checksum = digest.hexdigest()
        source.seek(0)
        with transaction.atomic():
            asset = MediaAsset(
                kind=kind,
                title=title[:200],
                owner_unit=owner_unit,
                audience_unit=audience_unit,
                source_name=name[:255],
                source_size=size,
                checksum=checksum,
                created_by=created_by,
            )
            # a random name: originals are never public, and their keys are not guessable
            asset.source.save(f"{secrets.token_urlsafe(16)}{safe_ext(name)}", source, save=False)
            asset.save()
            if enqueue:
                asset_enqueue(asset.pk)
    finally:
        if opened is not None:
            opened.close()
    return asset


@transaction.atomic
def asset_retranscode(*, asset: MediaAsset) -> MediaAsset:
    """Queue a failed/rejected/ready asset (or one whose worker died) again."""
    now = timezone.now()
    updated = (
        MediaAsset.objects.filter(pk=asset.pk)
        .filter(
            Q(status__in=[Status.FAILED, Status.READY, Status.REJECTED, Status.UPLOADED])
            | Q(lease_expires_at__lt=now)
        )
        .update(
            status=Status.UPLOADED,
            progress=0,
            error="",
            reason="",
            attempts=0,
            lease_owner="",
            lease_expires_at=None,
            updated_at=now,
        )
    )
    if not updated:
        raise AssetInputError(f"“{asset.title}”正在处理中，不能重新转码")
    asset_enqueue(asset.pk)
    asset.refresh_from_db()
    return asset


def playback_info(*, asset: MediaAsset, user=None, request=None) -> dict:
    """Player info for a ready asset (see selectors.playback_info for the URL modes).

    For pages and lessons that embed the asset: the caller has already decided the user
    may see the page/lesson, so only readiness is checked here. The media API itself
    additionally scopes by the asset's audience (selectors.playable_assets_for)."""
    from media_pipeline import selectors

    if asset is None or asset.status != Status.READY or not asset.master_key:
        raise AssetNotPlayable(getattr(asset, "pk", None))
    return selectors.playback_info(asset=asset, user=user, request=request)
