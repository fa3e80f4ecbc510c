"""`manage.py transcode PATH [--kind video|audio] [--title T]`: the whole pipeline,
synchronously, one JSON object on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from media_pipeline.processing import asset_transcode
from media_pipeline.services import AssetInputError, asset_create
from media_pipeline.storage import get_store


class Command(BaseCommand):
    help = "同步转码一个音视频文件（检测、转码、存储），输出一个 JSON 对象"

    def add_arguments(self, parser):
        parser.add_argument("path", help="源文件路径")
        parser.add_argument("--kind", choices=["video", "audio"], default="video")
        parser.add_argument("--title", default=None, help="标题（默认用文件名）")
        parser.add_argument("--unit", default=None, help="所属党组织代码（可选）")

    def handle(self, *args, path, kind, title, unit, **options):
        from organizations.models import OrgUnit

        owner = None
        if unit:
            owner = OrgUnit.objects.filter(code=unit).first()
            if owner is None:
                raise CommandError(f"找不到代码为 {unit} 的党组织")
        source = Path(path)
        try:
            asset = asset_create(
                kind=kind,
                title=title or source.stem,
                source=source,
                owner_unit=owner,
                enqueue=False,
            )
        except AssetInputError as exc:
            raise CommandError(str(exc))
        asset = asset_transcode(asset_id=asset.pk) or asset
        asset.refresh_from_db()
        master = get_store().url(asset.master_key) if asset.master_key else None
        result = {
            "asset_id": asset.pk,
            "status": asset.status,
            "reason": asset.reason or None,
            "error": asset.error or None,
            "master": asset.master_key or None,
            "master_url": master,
            "duration": asset.duration,
            "renditions": [
                {"height": r.get("height"), "bitrate": r.get("bitrate"), "name": r.get("name")}
                for r in asset.renditions
            ],
            "timings": asset.timings,
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if asset.status != asset.Status.READY:
            raise CommandError(asset.reason or asset.error or asset.status)
