"""Reads for media assets: which assets a user may play, and how.

Playback URLs come in two modes (settings.EHOME_MEDIA_PLAYBACK):
- "public": the bucket (or a CDN, EHOME_MEDIA_PUBLIC_BASE_URL) is readable; URLs are plain.
- "presigned": the bucket is private. A presigned URL for the master alone is useless,
  because the playlists name their children by relative URI. So playlists and the
  storyboard VTT are served through `/api/v1/media/<id>/hls/<file>?t=<signed token>`,
  rewritten on the fly: child playlists point back through the same proxy, segments and
  images become presigned object URLs. Members' players need no JWT for that (native
  players cannot send headers); the token is bound to one asset and expires.
"""

from __future__ import annotations

import posixpath
import re

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.urls import reverse

from media_pipeline.models import MediaAsset
from media_pipeline.storage import get_store
from organizations.selectors import audience_q, object_or_not_found

TOKEN_SALT = "media_pipeline.playback"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.(m3u8|vtt)$")


def _scope_q(user) -> Q:
    """Audience unit visible to the user; without one, the owner unit decides."""
    return audience_q(user, field="audience_unit__path") | (
        Q(audience_unit__isnull=True) & audience_q(user, field="owner_unit__path")
    )


def assets_visible_to(user) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.filter(_scope_q(user))


def playable_assets_for(user) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.filter(_scope_q(user), status=MediaAsset.Status.READY).select_related(
        "audience_unit", "owner_unit"
    )


def access_asset_by_id(user, asset_id, *, action: str = "play") -> MediaAsset:
    """A ready asset whose audience (else its owner unit) the user may see, or
    ObjectNotFound — the same for a missing id, one out of scope and one not ready.
    (Editors manage assets in the admin, under its unit-scoped permission policy.)"""
    return object_or_not_found(playable_assets_for(user), asset_id)


def playback_token(asset: MediaAsset) -> str:
    return signing.dumps({"a": asset.pk, "c": asset.checksum[:12]}, salt=TOKEN_SALT, compress=True)


def asset_for_token(asset_id: int, token: str) -> MediaAsset | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=settings.EHOME_MEDIA_URL_EXPIRE)
    except signing.BadSignature:
        return None
    if data.get("a") != asset_id:
        return None
    asset = MediaAsset.objects.filter(pk=asset_id, status=MediaAsset.Status.READY).first()
    if asset is None or asset.checksum[:12] != data.get("c"):
        return None
    return asset


def _presigned() -> bool:
    return settings.EHOME_MEDIA_PLAYBACK == "presigned" and bool(settings.AWS_STORAGE_BUCKET_NAME)


def _proxy_url(asset: MediaAsset, name: str, token: str) -> str:
    return reverse("api:media-hls", kwargs={"pk": asset.pk, "name": name}) + f"?t={token}"


def _relative(asset: MediaAsset, key: str) -> str:
    return key[len(asset.storage_prefix) + 1 :] if key else ""


def playback_info(*, asset: MediaAsset, user=None, request=None) -> dict:
    """Everything a player needs for a ready asset. URLs are absolute when `request`
    is given and storage returns site-relative paths (local storage)."""
    store = get_store()
    presigned = _presigned()
    token = playback_token(asset) if presigned else ""

    def url(key: str) -> str | None:
        if not key:
            return None
        if presigned and key.endswith((".m3u8", ".vtt")):
            link = _proxy_url(asset, _relative(asset, key), token)
        else:
            link = store.url(key, presigned=presigned)
        if request is not None and link.startswith("/"):
            link = request.build_absolute_uri(link)
        return link

    renditions = [
        {
            "height": r.get("height"),
            "width": r.get("width"),
            "bitrate": r.get("bitrate"),
            "average_bitrate": r.get("average_bitrate"),
        }
        for r in asset.renditions
        if r.get("height")
    ]
    # audio-only variants, best first; the low one (≤ 64 kb/s) exists for assets
    # transcoded since it was added
    audio_renditions = [
        {
            "name": r["name"],
            "channels": r.get("channels"),
            "bitrate": r.get("bitrate"),
            "average_bitrate": r.get("average_bitrate"),
            "url": url(f"{asset.storage_prefix}/{r['playlist']}"),
        }
        for r in asset.renditions
        if not r.get("height") and r.get("name") and r.get("playlist")
    ]
    audio_renditions.sort(key=lambda r: -(r["bitrate"] or 0))
    return {
        "id": asset.pk,
        "title": asset.title,
        "kind": asset.kind,
        "duration": asset.duration,
        "width": asset.width,
        "height": asset.height,
        "master_url": url(asset.master_key),
        "audio_only_url": url(asset.audio_playlist_key),
        "poster_url": url(asset.poster_key),
        "storyboard_url": url(asset.storyboard_key),
        "download_url": url(asset.download_key),
        "renditions": renditions,
        "audio_renditions": audio_renditions,
        "expires_in": settings.EHOME_MEDIA_URL_EXPIRE if presigned else None,
    }


def proxied_text(*, asset: MediaAsset, name: str, token: str) -> tuple[str, str] | None:
    """A playlist or VTT of `asset` with child URIs made playable from a private bucket.
    Returns (text, content type) or None when the name is not one of the asset's files."""
    if not _SAFE_NAME.match(name) or ".." in name:
        return None
    store = get_store()
    key = f"{asset.storage_prefix}/{name}"
    try:
        text = store.read_bytes(key).decode("utf-8")
    except Exception:
        return None
    base = posixpath.dirname(name)

    def child(uri: str) -> str:
        rel = posixpath.normpath(posixpath.join(base, uri)) if base else uri
        if rel.endswith((".m3u8", ".vtt")):
            return _proxy_url(asset, rel, token)
        return store.url(f"{asset.storage_prefix}/{rel}", presigned=True)

    out = []
    if name.endswith(".vtt"):
        for line in text.splitlines():
            if "#xywh=" in line and "-->" not in line:
                image, _, frag = line.partition("#")
                line = child(image.strip()) + "#" + frag
            out.append(line)
        return "\n".join(out) + "\n", "text/vtt; charset=utf-8"
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            line = child(stripped)
        elif 'URI="' in stripped:
            line = re.sub(r'URI="([^"]+)"', lambda m: f'URI="{child(m.group(1))}"', line)
        out.append(line)
    return "\n".join(out) + "\n", "application/vnd.apple.mpegurl"
