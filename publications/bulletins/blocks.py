"""The bulletin's StreamField: sections (栏目), each an ordered list of items.

An item is an editorial item written for this issue (title, rich text, images) or, once
the manuscript system is in, a manuscript adopted for the bulletin (its title, body,
images and sending unit are shown from the manuscript)."""

from __future__ import annotations

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from core.richtext import SanitisedRichTextBlock

TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "blockquote", "link"]


class EditorialItemBlock(blocks.StructBlock):
    title = blocks.CharBlock(label="标题", max_length=200, help_text="本条目的标题")
    author = blocks.CharBlock(
        label="作者/来源", required=False, max_length=100, help_text="可留空，如“组织部”"
    )
    body = SanitisedRichTextBlock(features=TEXT_FEATURES, label="正文", help_text="条目正文")
    images = blocks.ListBlock(
        ImageChooserBlock(label="图片"),
        label="图片",
        min_num=0,
        default=[],
        help_text="可选：正文后排印的图片，按顺序",
    )

    class Meta:
        icon = "doc-full"
        label = "编辑部稿"


def item_blocks() -> list[tuple[str, blocks.Block]]:
    """The kinds of item a section holds (the manuscript item is added where the
    manuscript model exists: publications.bulletins.manuscript_items)."""
    from publications.bulletins.manuscript_items import manuscript_item_blocks

    return [("editorial", EditorialItemBlock()), *manuscript_item_blocks()]


class SectionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(
        label="栏目名称", max_length=50, help_text="如“工作动态”“经验交流”“基层风采”"
    )
    items = blocks.StreamBlock(item_blocks(), label="条目", min_num=1, help_text="拖动调整顺序")

    class Meta:
        icon = "list-ul"
        label = "栏目"


class SectionsBlock(blocks.StreamBlock):
    section = SectionBlock()

    class Meta:
        label = "栏目"
        min_num = 1
