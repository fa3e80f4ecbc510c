"""Template helpers for the portal."""

from __future__ import annotations

from django import template
from django.utils.html import strip_tags

register = template.Library()


@register.filter
def percent(value, total=None) -> int:
    """0..1 ratio (or value/total) as a whole percentage for bars and labels."""
    try:
        ratio = float(value) / float(total) if total not in (None, "") else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return 0
    if ratio <= 1:
        ratio *= 100
    return max(0, min(100, round(ratio)))


@register.filter
def duration(seconds) -> str:
    """Seconds as m:ss or h:mm:ss."""
    try:
        s = int(round(float(seconds)))
    except (TypeError, ValueError):
        return ""
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@register.filter
def tf_answer(value) -> bool:
    """A true/false question's stored answer (true/false, or [true]/[false])."""
    if isinstance(value, list | tuple):
        value = value[0] if value else False
    return bool(value)


@register.filter
def mul(value, factor):
    """Multiply (for SVG chart geometry)."""
    try:
        result = float(value) * float(factor)
    except (TypeError, ValueError):
        return 0
    return int(result) if result == int(result) else round(result, 1)


RELATED_ROUTES = {
    "newspage": "portal:news_detail",
    "exemplarpage": "portal:story_detail",
    "digestissue": "portal:digest_detail",
}


@register.simple_tag(takes_context=True)
def body_blocks(context, stream) -> list[dict]:
    """A StreamField body as typed blocks (cms.rendering: sanitised rich text, renditions,
    related pages only when visible), with playback info for the video/audio blocks whose
    asset this user may play (media_pipeline.selectors)."""
    from django.urls import reverse

    from cms.rendering import stream_to_json
    from media_pipeline.selectors import playable_assets_for, playback_info

    request = context.get("request")
    user = getattr(request, "user", None)
    blocks = stream_to_json(stream, user=user)
    media = [b for b in blocks if b["type"] in ("video", "audio") and b["value"].get("asset")]
    if media:
        ids = [b["value"]["asset"]["id"] for b in media]
        assets = {a.pk: a for a in playable_assets_for(user).filter(pk__in=ids)}
        for b in media:
            asset = assets.get(b["value"]["asset"]["id"])
            b["value"]["playback"] = (
                playback_info(asset=asset, user=user, request=request) if asset else None
            )
    for b in blocks:
        page = b["value"].get("page") if b["type"] == "related" else None
        if page and page.get("type") in RELATED_ROUTES:
            page["url"] = reverse(RELATED_ROUTES[page["type"]], args=[page["id"]])
    return blocks


@register.simple_tag(takes_context=True)
def asset_playback(context, asset_id) -> dict | None:
    """Playback info for one asset when this user may play it, else None."""
    from media_pipeline.selectors import playable_assets_for, playback_info

    request = context.get("request")
    user = getattr(request, "user", None)
    asset = playable_assets_for(user).filter(pk=asset_id).first() if asset_id else None
    return playback_info(asset=asset, user=user, request=request) if asset else None


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def has_media(blocks) -> bool:
    """True when any body block carries a playable video/audio."""
    return any(b["type"] in ("video", "audio") and b["value"].get("playback") for b in blocks or [])


@register.filter
def letter(index) -> str:
    """0 → A, 1 → B … : options are labelled by their position on this paper (the drawn
    order), while the submitted value stays the option's own key."""
    try:
        return chr(ord("A") + int(index))
    except (TypeError, ValueError):
        return ""


@register.filter
def answer_texts(question: dict) -> str:
    """The right answer of a reviewed question as option texts (choice questions) or the
    accepted answers (fill-in)."""
    answer = question.get("answer")
    answers = answer if isinstance(answer, list) else [answer]
    options = {str(o["key"]): o["text"] for o in question.get("options") or []}
    if question.get("text_format") == "html":  # shown as text here: no markup
        options = {k: strip_tags(v) for k, v in options.items()}
    if options:
        return "、".join(options.get(str(k), str(k)) for k in answers)
    return "、".join(_full_marks(a) for a in answers if _full_marks(a))


def _full_marks(a) -> str:
    """An accepted answer as a reader says it: fill-in "text", numerical "3.14 ± 0.01";
    answers worth less than full marks (GIFT =%50%) are not "the" answer."""
    if not isinstance(a, dict):
        return str(a)
    if float(a.get("weight", 100)) < 100:
        return ""
    if "value" in a:
        tolerance = float(a.get("tolerance") or 0)
        return f"{float(a['value']):g}" + (f" ± {tolerance:g}" if tolerance else "")
    return str(a.get("text", ""))


@register.filter
def utc_offset(value) -> str:
    """An aware datetime's offset as a reader says it: ``UTC+3``, ``UTC+5:45``."""
    offset = getattr(value, "utcoffset", lambda: None)()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


@register.filter
def clc_name(code) -> str:
    """A 中图法 class code as readers name it: "I25" → "报告文学" (cms.classification)."""
    from cms.classification import clc_name as name_of

    return name_of(str(code or ""))


@register.filter
def question_type(value) -> str:
    """A question's type as the paper labels it: 单选题, 多选题, 判断题, 填空题."""
    from elearning.models import Question

    try:
        return Question.Type(value).label
    except ValueError:
        return ""
