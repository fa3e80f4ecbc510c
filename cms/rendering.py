"""Turning content into what apps and the portal show: safe HTML and typed JSON blocks.

Rich text is expanded (internal page links → URLs, embedded images → renditions) with
Wagtail's `expand_db_html` and then sanitised by `core.richtext` (nh3): only a fixed set
of tags and attributes survive; no <script>/<style>, no event handlers, no `javascript:`
URLs. Lesson bodies and every other rich text go through the same sanitiser.
Images are rendition URLs fetched in bulk (one query: renditions joined to their images).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage, Filter

from core.absolute_urls import absolute_url
from core.richtext import rich_text_html, sanitize_html  # noqa: F401 - re-exported
from media_pipeline import services as media_services

COVER_SPEC = "fill-750x422"
THUMB_SPEC = "fill-360x203"
PORTRAIT_SPEC = "fill-400x500"
BOOK_COVER_SPEC = "fill-300x400"
BODY_IMAGE_SPEC = "max-1080x1080"


@functools.cache
def _filter(spec: str) -> Filter:
    """One parsed Filter per spec (its operations are parsed once per process)."""
    return Filter(spec=spec)


@functools.cache
def _rendition_sql(spec: str) -> tuple[str, tuple[str, ...]] | None:
    """(SQL with a ``{ids}`` slot, the image columns it reads for the focal-point key) of
    the one query `image_urls` makes, or None when the image model's alt text is not the
    stock `description or title` (the ORM path then builds the images)."""
    from django.db import connection

    Image = get_image_model()
    if getattr(Image, "default_alt_text", None) is not AbstractImage.default_alt_text:
        return None
    Rendition = Image.get_rendition_model()
    qn = connection.ops.quote_name
    vary = tuple(f for op in _filter(spec).operations for f in getattr(op, "vary_fields", ()))
    image_cols = ("title", *(("description",) if _has_field(Image, "description") else ()))
    r, i = Rendition._meta, Image._meta
    cols = [f"r.{qn(r.get_field(f).column)}" for f in ("image", "file", "width", "height")]
    cols.append(f"r.{qn(r.get_field('focal_point_key').column)}")
    cols += [f"i.{qn(i.get_field(f).column)}" for f in (*image_cols, *vary)]
    sql = (
        f"SELECT {', '.join(cols)} FROM {qn(r.db_table)} r "
        f"INNER JOIN {qn(i.db_table)} i ON i.{qn(i.pk.column)} = r.{qn(r.get_field('image').column)} "
        f"WHERE r.{qn(r.get_field('filter_spec').column)} = %s "
        f"AND r.{qn(r.get_field('image').column)} IN ({{ids}})"
    )
    return sql, (*image_cols, *vary)


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _focal_key(fil: Filter, vary: dict) -> str:
    """`Filter.get_cache_key` over the image columns already read (same string, same hash)."""
    parts = [str(vary.get(f, "")) for op in fil.operations for f in getattr(op, "vary_fields", ())]
    vary_string = "-".join(parts)
    return hashlib.sha1(vary_string.encode("utf-8")).hexdigest()[:8] if vary_string else ""


def image_urls(image_ids: Iterable[int | None], spec: str) -> dict[int, dict]:
    """{image_id: {"url", "width", "height", "alt"}} for the given images, in bulk.

    Existing renditions come with their images in ONE query (renditions joined to their
    image, kept when the focal point they were cut for is still the image's); an image
    without a current rendition is loaded and rendered once, and every later request
    finds the rendition. The query is plain SQL built once per spec: lists ask for covers
    on every request, and building model instances for them cost more than the query."""
    ids = {i for i in image_ids if i}
    if not ids:
        return {}
    prepared = _rendition_sql(spec)
    if prepared is None:
        return _image_urls_orm(ids, spec)
    from django.db import connection

    sql, image_cols = prepared
    fil = _filter(spec)
    storage = get_image_model().get_rendition_model()._meta.get_field("file").storage
    ordered = sorted(ids)
    out: dict[int, dict] = {}
    with connection.cursor() as cur:
        cur.execute(sql.format(ids=", ".join(["%s"] * len(ordered))), [spec, *ordered])
        rows = cur.fetchall()
    for image_id, name, width, height, focal_key, *image_values in rows:
        image = dict(zip(image_cols, image_values, strict=True))
        if image_id in out or focal_key != _focal_key(fil, image):
            continue
        out[image_id] = {
            "url": absolute_url(storage.url(name)),  # core.absolute_urls
            "width": width,
            "height": height,
            "alt": image.get("description") or image["title"],
        }
    missing = ids - out.keys()
    if missing:
        out.update(_image_urls_orm(missing, spec, renditions_checked=True))
    return out


def _image_urls_orm(ids: set[int], spec: str, *, renditions_checked: bool = False) -> dict:
    """`image_urls` through model instances: custom image models, and images without a
    current rendition (rendered here, once)."""
    Image = get_image_model()
    fil = _filter(spec)
    found: dict[int, tuple] = {}
    if not renditions_checked:
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
