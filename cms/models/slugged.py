"""Pages whose slug is ASCII however they are created (cms.slugs).

Wagtail fills an empty slug from the title while it validates a page (`full_clean`, or
`minimal_clean` for a draft); with WAGTAIL_ALLOW_UNICODE_SLUGS off that gives nothing
for a Chinese title, and the page could not be saved. These pages fill it first, with the
title's pinyin, unique among their siblings — for services, imports and demo data. A new
page given a Chinese slug gets its pinyin too; an existing page keeps its slug (its URL
may be linked from elsewhere). The admin form (`base_form_class`) does the same for what
an editor submits.
"""

from __future__ import annotations

from cms.forms import CmsPageForm
from cms.slugs import is_ascii_slug, page_kind, page_slug


class AsciiSlugPageMixin:
    base_form_class = CmsPageForm

    def _ascii_slug_ensure(self) -> None:
        # no path yet: the page is not in the tree, so its siblings are unknown; Wagtail
        # validates again in save() once add_child() has placed it
        if not self.path:
            return
        if self.slug and (is_ascii_slug(self.slug) or self.pk is not None):
            return
        self.slug = page_slug(
            text=self.slug or self.title or "",
            parent=self.get_parent(),
            page=self if self.pk is not None else None,
            kind=page_kind(type(self)),
        )

    def full_clean(self, *args, **kwargs):
        self._ascii_slug_ensure()
        super().full_clean(*args, **kwargs)

    def minimal_clean(self):
        self._ascii_slug_ensure()
        super().minimal_clean()
