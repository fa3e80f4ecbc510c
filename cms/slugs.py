"""ASCII page slugs from Chinese titles.

A Wagtail page's URL is its slugs; Wagtail's own slug for a Chinese title is the Chinese
text, which every browser bar, chat message and log line shows percent-encoded
(`/%E8%A6%81%E9%97%BB/…`). Here a title becomes toneless pinyin instead, one hyphenated
part per word (rjieba's segmentation, pypinyin's phrase readings for polyphones):
"第一工程局召开党建工作会" → ``diyi-gongchengju-zhaokai-dangjian-gongzuohui``. Latin letters
and digits are kept (lower-case, accents dropped); anything else separates words.

`page_slug` makes the slug unique among the page's siblings (``-2``, ``-3``…) and falls
back to ``<kind>-<date>`` (e.g. ``news-20261207``) when a title has nothing to spell.
The pages use it through `cms.models.slugged.AsciiSlugPageMixin` (services, imports,
demo data) and the admin through `cms.forms.AsciiSlugFormMixin` and the slug prefill
view (`cms.wagtail_hooks`).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils import timezone
from django.utils.text import slugify

#: Slugs are cut at a word boundary below this length (URLs stay readable).
MAX_SLUG_LENGTH = 60

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _words(text: str) -> list[str]:
    import rjieba

    return rjieba.cut(text, True)


def pinyin_slug(text: str, *, max_length: int = MAX_SLUG_LENGTH) -> str:
    """`text` as an ASCII slug ('' when nothing in it can be spelled)."""
    from pypinyin import lazy_pinyin

    text = unicodedata.normalize("NFKC", text or "")
    parts: list[str] = []
    for word in _words(text) if text else []:
        if _CJK.search(word):
            part = "".join(lazy_pinyin(word, errors="ignore")).lower()
            part = re.sub(r"[^a-z0-9]+", "", part)
            if part:
                parts.append(part)
        else:
            part = slugify(word, allow_unicode=False)
            if part:
                parts.append(part)
    slug = ""
    for part in "-".join(parts).split("-"):
        if not part:
            continue
        candidate = f"{slug}-{part}" if slug else part
        if len(candidate) > max_length:
            if not slug:  # one very long word: cut it
                slug = candidate[:max_length]
            break
        slug = candidate
    return slug


def is_ascii_slug(slug: str | None) -> bool:
    return bool(slug) and slug.isascii()


def fallback_slug(kind: str) -> str:
    return f"{kind}-{timezone.localdate():%Y%m%d}"


def unique_among_siblings(base: str, *, parent, page=None) -> str:
    """`base`, or `base-2`, `base-3`… — the first slug no sibling of `page` under
    `parent` uses (Wagtail's own rule: slugs are unique among siblings)."""
    from wagtail.models import Page

    if parent is None:
        return base
    candidate, n = base, 1
    while not Page._slug_is_available(candidate, parent, page):
        n += 1
        suffix = f"-{n}"
        candidate = f"{base[: MAX_SLUG_LENGTH - len(suffix)].rstrip('-')}{suffix}"
    return candidate


def page_slug(*, text: str, parent, page=None, kind: str = "page") -> str:
    """The slug a new page titled `text` gets under `parent`."""
    base = pinyin_slug(text) or fallback_slug(kind)
    return unique_among_siblings(base, parent=parent, page=page)


def page_kind(model) -> str:
    """The fallback prefix for a page model: ``news`` for NewsPage, ``digestissue``…"""
    name = model._meta.model_name
    return name.removesuffix("page") or name
