"""Outputs go to S3 over HTTP (moto's server standing in for any S3-compatible store):
multipart for large objects, the right Content-Type and Cache-Control on every object,
master playlist last, and playback from a private bucket through the signed playlist
proxy. (moto does not verify presigned signatures, so nothing here claims it does.)"""

from __future__ import annotations

import os
import re

import boto3
import pytest
import requests

from media_pipeline import storage
from media_pipeline.models import MediaAsset
from media_pipeline.processing import asset_transcode
from media_pipeline.selectors import playback_info
from media_pipeline.services import asset_create
from tests.factories import member_in

BUCKET = "ehome-media-test"


@pytest.fixture(scope="module")
def moto_url():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_url, media_settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    media_settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    media_settings.AWS_S3_ENDPOINT_URL = moto_url
    media_settings.AWS_S3_REGION_NAME = "us-east-1"
    media_settings.EHOME_MEDIA_S3_MULTIPART_THRESHOLD = 5 * 1024 * 1024
    storage._s3_client.cache_clear()
    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield client
    storage._s3_client.cache_clear()
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_put_tree_multipart_types_cache_and_master_last(s3, tmp_path, monkeypatch):
    out = tmp_path / "out"
    (out / "v360").mkdir(parents=True)
    (out / "master.m3u8").write_text("#EXTM3U\n")
    (out / "v360" / "index.m3u8").write_text("#EXTM3U\n")
    (out / "v360" / "seg_00000.ts").write_bytes(os.urandom(12 * 1024 * 1024))
    (out / "poster.jpg").write_bytes(b"\xff\xd8jpeg")
    (out / "storyboard.vtt").write_text("WEBVTT\n")
    (out / "download.m4a").write_bytes(b"m4a")
    order: list[str] = []
    store = storage.S3Store()
    real_upload = store._upload
    monkeypatch.setattr(store, "_upload", lambda p, k, c: order.append(k) or real_upload(p, k, c))

    keys = store.put_tree("media/abc", out)

    assert order[-1] == "media/abc/master.m3u8" and len(keys) == 6
    expected = {
        "master.m3u8": ("application/vnd.apple.mpegurl", "public, max-age=60"),
        "v360/index.m3u8": ("application/vnd.apple.mpegurl", "public, max-age=60"),
        "v360/seg_00000.ts": ("video/mp2t", "public, max-age=31536000, immutable"),
        "poster.jpg": ("image/jpeg", "public, max-age=31536000, immutable"),
        "storyboard.vtt": ("text/vtt; charset=utf-8", "public, max-age=60"),
        "download.m4a": ("audio/mp4", "public, max-age=31536000, immutable"),
    }
    for name, (ctype, cache) in expected.items():
        head = s3.head_object(Bucket=BUCKET, Key=f"media/abc/{name}")
        assert (head["ContentType"], head["CacheControl"]) == (ctype, cache), name
    segment = s3.head_object(Bucket=BUCKET, Key="media/abc/v360/seg_00000.ts")
    assert re.search(r"-3\"?$", segment["ETag"]), "12 MB with 5 MB parts → 3-part upload"
    assert segment["ContentLength"] == 12 * 1024 * 1024


@pytest.mark.django_db
def test_pipeline_to_private_bucket_and_playback_through_the_proxy(s3, org, clips, client):
    asset = asset_create(
        kind="video", title="S3 课程", source=clips["small"], owner_unit=org.a, enqueue=False
    )
    asset = asset_transcode(asset_id=asset.pk)
    assert asset.status == MediaAsset.Status.READY, asset.error
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert asset.master_key in keys and f"{asset.storage_prefix}/v180/seg_00000.ts" in keys

    from django.conf import settings

    settings.EHOME_MEDIA_PLAYBACK = "presigned"
    info = playback_info(asset=asset, user=member_in(org.a1).user)
    assert info["master_url"].startswith(f"/api/v1/media/{asset.pk}/hls/master.m3u8?t=")
    assert "X-Amz-Signature" in info["poster_url"]

    master = client.get(info["master_url"])
    assert master.status_code == 200
    assert master["Content-Type"] == "application/vnd.apple.mpegurl"
    lines = [ln for ln in master.content.decode().splitlines() if ln and not ln.startswith("#")]
    assert all(ln.startswith(f"/api/v1/media/{asset.pk}/hls/") for ln in lines)
    assert re.search(r'URI="/api/v1/media/\d+/hls/audio/index\.m3u8\?t=', master.content.decode())

    variant = client.get(lines[0]).content.decode()
    segment_urls = [ln for ln in variant.splitlines() if ln.startswith("http")]
    assert segment_urls and all("X-Amz-Signature" in u for u in segment_urls)
    fetched = requests.get(segment_urls[0], timeout=10)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "video/mp2t"

    vtt = client.get(info["storyboard_url"]).content.decode()
    assert re.search(r"https?://\S+storyboard\.jpg\?\S+#xywh=0,0,160,90", vtt)

    # a token for another asset, a forged token or a path outside the asset: 404
    assert client.get(info["master_url"].replace("?t=", "?t=x")).status_code == 404
    other = info["master_url"].replace(f"/media/{asset.pk}/", f"/media/{asset.pk + 1}/")
    assert client.get(other).status_code == 404
    sneaky = info["master_url"].replace("master.m3u8", "../other/master.m3u8")
    assert client.get(sneaky).status_code == 404
