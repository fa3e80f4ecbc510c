"""Where transcoded outputs live: S3 (any S3-compatible store via AWS_S3_ENDPOINT_URL)
when AWS_STORAGE_BUCKET_NAME is set, MEDIA_ROOT (var/media/) otherwise.

Keys are `<EHOME_MEDIA_STORAGE_PREFIX>/<source sha256>/<file>`: the same source always
maps to the same keys, so a retried upload overwrites instead of leaving orphans. Every
object gets its Content-Type and Cache-Control (segments and images never change under a
content-addressed key: immutable for a year; playlists short so a re-transcode shows up).
The master playlist is stored last: once it exists, everything it names exists.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from django.conf import settings

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"


def content_type_for(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def cache_control_for(name: str) -> str:
    return SHORT if name.endswith((".m3u8", ".vtt")) else IMMUTABLE


def safe_ext(name: str) -> str:
    """A stored file's extension taken from a client's file name: short and plain, or
    `.bin`."""
    ext = os.path.splitext(name or "")[1].lower()
    return ext if re.fullmatch(r"\.[a-z0-9]{1,5}", ext) else ".bin"


def asset_prefix(checksum: str) -> str:
    return f"{settings.EHOME_MEDIA_STORAGE_PREFIX.strip('/')}/{checksum}"


def _files_in_upload_order(root: Path) -> list[Path]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    master = [p for p in files if p.name == "master.m3u8" and p.parent == root]
    return [p for p in files if p not in master] + master


class LocalStore:
    """MEDIA_ROOT/<key>, served at MEDIA_URL/<key>."""

    def __init__(self, root: Path | None = None, base_url: str | None = None):
        self.root = Path(root or settings.MEDIA_ROOT)
        self.base_url = base_url or settings.MEDIA_URL

    def put_tree(self, prefix: str, source_dir: Path) -> list[str]:
        keys = []
        for path in _files_in_upload_order(source_dir):
            key = f"{prefix}/{path.relative_to(source_dir).as_posix()}"
            dest = self.root / key
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
            os.close(fd)
            shutil.copyfile(path, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)  # readers never see half a file
            keys.append(key)
        return keys

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def read_bytes(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def url(self, key: str, *, presigned: bool = False) -> str:
        return self.base_url.rstrip("/") + "/" + key


class S3Store:
    """boto3 upload: multipart above EHOME_MEDIA_S3_MULTIPART_THRESHOLD, files in parallel."""

    def __init__(self, bucket: str | None = None, endpoint_url: str | None = None):
        self.bucket = bucket or settings.AWS_STORAGE_BUCKET_NAME
        self.endpoint_url = endpoint_url or settings.AWS_S3_ENDPOINT_URL or None
        self.client = _s3_client(self.endpoint_url, settings.AWS_S3_REGION_NAME)

    def _transfer_config(self):
        from boto3.s3.transfer import TransferConfig

        threshold = settings.EHOME_MEDIA_S3_MULTIPART_THRESHOLD
        return TransferConfig(
            multipart_threshold=threshold,
            multipart_chunksize=max(threshold, 5 * 1024 * 1024),
            max_concurrency=settings.EHOME_MEDIA_S3_CONCURRENCY,
            use_threads=True,
        )

    def _upload(self, path: Path, key: str, config) -> str:
        self.client.upload_file(
            str(path),
            self.bucket,
            key,
            ExtraArgs={
                "ContentType": content_type_for(path.name),
                "CacheControl": cache_control_for(path.name),
            },
            Config=config,
        )
        return key

    def put_tree(self, prefix: str, source_dir: Path) -> list[str]:
        files = _files_in_upload_order(source_dir)
        master = [p for p in files if p.name == "master.m3u8" and p.parent == source_dir]
        rest = [p for p in files if p not in master]
        config = self._transfer_config()

        def key_of(p: Path) -> str:
            return f"{prefix}/{p.relative_to(source_dir).as_posix()}"

        with ThreadPoolExecutor(max_workers=settings.EHOME_MEDIA_S3_CONCURRENCY) as pool:
            keys = list(pool.map(lambda p: self._upload(p, key_of(p), config), rest))
        for p in master:  # last: the master names only objects that already exist
            keys.append(self._upload(p, key_of(p), config))
        return keys

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return False
        return True

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def url(self, key: str, *, presigned: bool = False) -> str:
        if presigned:
            return self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=settings.EHOME_MEDIA_URL_EXPIRE,
            )
        base = settings.EHOME_MEDIA_PUBLIC_BASE_URL
        if base:
            return base.rstrip("/") + "/" + key
        endpoint = (
            self.endpoint_url or f"https://s3.{settings.AWS_S3_REGION_NAME}.amazonaws.com"
        ).rstrip("/")
        return f"{endpoint}/{self.bucket}/{key}"


@cache
def _s3_client(endpoint_url: str | None, region: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(
            signature_version="s3v4",
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=max(10, settings.EHOME_MEDIA_S3_CONCURRENCY * 2),
        ),
    )


def get_store():
    if settings.AWS_STORAGE_BUCKET_NAME:
        return S3Store()
    return LocalStore()
