"""Turning content into what apps and the portal show: safe HTML and typed JSON blocks.

Rich text is expanded (internal page links → URLs, embedded images → renditions) with
Wagtail's `expand_db_html` and then sanitised by `core.richtext` (nh3): only a fixed set
of tags and attributes survive; no <script>/<style>, no event handlers, no `javascript:`
URLs. Lesson bodies and every other rich text go through the same sanitiser.
Images are rendition URLs fetched in bulk (one query: renditions joined to their images).
"""

from __future__ import annotations

from collections.abc import Iterable

from wagtail.images import get_image_model
from wagtail.images.models import Filter

from core.absolute_urls import absolute_url
from core.richtext import rich_text_html, sanitize_html  # noqa: F401 - re-exported
from media_pipeline import services as media_services

COVER_SPEC = "fill-750x422"
THUMB_SPEC = "fill-360x203"
PORTRAIT_SPEC = "fill-400x500"
BOOK_COVER_SPEC = "fill-300x400"
BODY_IMAGE_SPEC = "max-1080x1080"


def image_urls(image_ids: Iterable[int | None], spec: str) -> dict[int, dict]:
    """{image_id: {"url", "width", "height", "alt"}} for the given images, in bulk.

    Existing renditions come with their images in ONE query (renditions joined to their
    image, kept when the focal point they were cut for is still the image's); an image
    without a current rendition is loaded and rendered once, and every later request
    finds the rendition."""
    ids = {i for i in image_ids if i}
    if not ids:
        return {}
    Image = get_image_model()
    fil = Filter(spec=spec)
    found: dict[int, tuple] = {}
    renditions = Image.get_rendition_model().objects.filter(image_id__in=ids, filter_spec=spec)
    for rendition in renditions.select_related("image"):
        image = rendition.image
        if rendition.focal_point_key == fil.get_cache_key(image):
            found[image.id] = (image, rendition)
    missing = ids - found.keys()
    if missing:
        for image in Image.objects.filter(id__in=missing):
            try:
                found[image.id] = (image, image.get_rendition(spec))
            except Exception:  # noqa: BLE001 - a broken source file must not break a listing
                continue
    out: dict[int, dict] = {}
    for image_id, (image, r) in found.items():
        out[image_id] = {
            "url": absolute_url(r.url),  # where the client reached us (core.absolute_urls)
            "width": r.width,
            "height": r.height,
            "alt": image.default_alt_text if hasattr(image, "default_alt_text") else image.title,
        }
    return out


def _media_payload(asset, user) -> dict | None:
    """An embedded video/audio: who and what, plus `playback` (null until it is ready)."""
    if asset is None:
        return None
    base = {"id": asset.pk, "title": asset.title, "kind": asset.kind}
    try:
        base["playback"] = media_services.playback_info(asset=asset, user=user)
    except media_services.AssetNotPlayable:
        base["playback"] = None
    return base


def _visible(page, user) -> bool:
    """Related content is shown only when the reader could open it (no title leaks)."""
    from organizations.selectors import scope_for

    if user is None:
        return False
    unit = getattr(page, "audience_unit", None)
    return scope_for(user).sees_audience(unit.path if unit is not None else None)


def stream_to_json(stream, *, user=None) -> list[dict]:
    """A StreamField value → typed JSON blocks ``{"type", "id", "value"}``."""
    children = list(stream) if stream is not None else []
    image_ids: set[int] = set()
    for child in children:
        if child.block_type == "image":
            image_ids.add(getattr(child.value.get("image"), "id", None))
        elif child.block_type == "gallery":
            for item in child.value.get("images") or []:
                image_ids.add(getattr(item.get("image"), "id", None))
    images = image_urls(image_ids, BODY_IMAGE_SPEC)

    def img(struct):
        image = struct.get("image")
        data = images.get(getattr(image, "id", None))
        return {"image": data, "caption": struct.get("caption") or ""}

    out = []
    for child in children:
        t, v = child.block_type, child.value
        if t == "rich_text":
            value = {"html": rich_text_html(v)}
        elif t == "image":
            value = img(v)
        elif t == "gallery":
            value = {
                "title": v.get("title") or "",
                "images": [img(i) for i in v.get("images") or []],
            }
        elif t == "quote":
            value = {"text": v.get("text") or "", "attribution": v.get("attribution") or ""}
        elif t == "document":
            doc = v.get("document")
            value = {
                "title": v.get("title") or (doc.title if doc else ""),
                "url": doc.url if doc else None,
                "file_extension": doc.file_extension if doc else None,
            }
        elif t in ("video", "audio"):
            value = {
                "asset": _media_payload(v.get("asset"), user),
                "caption": v.get("caption") or "",
            }
        elif t == "related":
            page = v.get("page")
            page = page.specific if page is not None else None
            value = {
                "page": (
                    {"id": page.id, "type": page._meta.model_name, "title": page.title}
                    if page is not None and page.live and _visible(page, user)
                    else None
                ),
                "note": v.get("note") or "",
            }
        else:  # unknown/new block types are dropped rather than leaked raw
            continue
        out.append({"type": t, "id": child.id, "value": value})
    return out
