"""An issue's contents, one shape for the PDF, the portal and the API: its sections in
order, each with its items (title, byline, sanitised body HTML, image ids)."""

from __future__ import annotations

import copy

from core.richtext import rich_text_html
from publications.bulletins.shapes import Item, Section


def _editorial(value) -> Item:
    images = [img.pk for img in (value.get("images") or []) if img is not None]
    return Item(
        kind="editorial",
        title=value.get("title") or "",
        byline=value.get("author") or "",
        body_html=rich_text_html(value.get("body")),
        image_ids=images,
    )


def issue_contents(issue) -> list[Section]:
    from publications.bulletins.manuscript_items import manuscript_items_of

    raw = []
    manuscript_refs = []
    for block in issue.sections or []:
        value = block.value
        items = []
        for child in value.get("items") or []:
            if child.block_type == "editorial":
                items.append(_editorial(child.value))
            else:
                items.append(("manuscript", child.value))
                manuscript_refs.append(child.value)
        raw.append((value.get("heading") or "", items))
    manuscripts = manuscript_items_of(manuscript_refs)  # one query for them all
    sections = []
    n = 0
    for s, (heading, items) in enumerate(raw, start=1):
        out = []
        for item in items:
            if isinstance(item, tuple):
                found = manuscripts.get(_ref_id(item[1]))
                if found is None:  # a manuscript deleted since: nothing to show
                    continue
                item = copy.copy(found)  # the same manuscript may appear twice
            n += 1
            item.anchor = f"item-{n}"
            out.append(item)
        sections.append(Section(heading=heading, items=out, anchor=f"section-{s}"))
    return sections


def _ref_id(value) -> int | None:
    ref = value.get("manuscript") if hasattr(value, "get") else value
    return getattr(ref, "pk", ref)


def image_ids_of(sections: list[Section]) -> list[int]:
    return [i for s in sections for item in s.items for i in item.image_ids]


def attachments_of(sections: list[Section]) -> list:
    """The manuscripts' images in the order they are printed (position 1, 2, …: the
    issue's image URLs)."""
    return [a for s in sections for item in s.items for a in item.attachments]
