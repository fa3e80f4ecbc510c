"""What an issue's contents are made of (publications.bulletins.contents)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Item:
    kind: str  # "editorial" | "manuscript"
    title: str
    byline: str
    body_html: str
    image_ids: list[int] = field(default_factory=list)
    #: a manuscript's image attachments (files in the project's storage)
    attachments: list = field(default_factory=list)
    manuscript_id: int | None = None
    anchor: str = ""


@dataclass
class Section:
    heading: str
    items: list[Item]
    anchor: str = ""
