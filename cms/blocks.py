"""StreamField blocks shared by news, exemplar stories and digests (bakerydemo style).

Every block carries a Chinese label and help text; the API turns a body into typed JSON
blocks through `cms.rendering.stream_to_json`, so a new block type here also needs a
case there.
"""

from __future__ import annotations

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from core.richtext import SanitisedRichTextBlock
from media_pipeline.blocks import MediaAssetChooserBlock

RICH_TEXT_FEATURES = [
    "h2",
    "h3",
    "h4",
    "bold",
    "italic",
    "ol",
    "ul",
    "hr",
    "link",
    "document-link",
    "image",
    "blockquote",
]


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label="图片", help_text="从图片库选择或上传一张图片")
    caption = blocks.CharBlock(
        label="图注", required=False, max_length=200, help_text="显示在图片下方的说明文字"
    )

    class Meta:
        icon = "image"
        label = "图片"


class GalleryBlock(blocks.StructBlock):
    title = blocks.CharBlock(label="图集标题", required=False, max_length=100, help_text="可留空")
    images = blocks.ListBlock(ImageBlock(), label="图片", help_text="按显示顺序添加图片")

    class Meta:
        icon = "image"
        label = "图集"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label="引文", help_text="引用的原话")
    attribution = blocks.CharBlock(
        label="出处", required=False, max_length=200, help_text="说话人或文献出处"
    )

    class Meta:
        icon = "openquote"
        label = "引用"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label="附件", help_text="PDF、Word、Excel 等文件")
    title = blocks.CharBlock(
        label="显示名称", required=False, max_length=200, help_text="留空则使用文件标题"
    )

    class Meta:
        icon = "doc-full"
        label = "附件"


class MediaBlock(blocks.StructBlock):
    asset = MediaAssetChooserBlock(label="音视频", help_text="从媒体库选择已上传的音视频")
    caption = blocks.CharBlock(
        label="说明", required=False, max_length=200, help_text="显示在播放器下方"
    )

    class Meta:
        icon = "media"


class VideoBlock(MediaBlock):
    class Meta:
        icon = "media"
        label = "视频"


class AudioBlock(MediaBlock):
    class Meta:
        icon = "media"
        label = "音频"


class RelatedContentBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(
        label="相关内容",
        target_model=["cms.NewsPage", "cms.ExemplarPage"],
        help_text="选择一篇相关的新闻或先进典型",
    )
    note = blocks.CharBlock(label="推荐语", required=False, max_length=200, help_text="可留空")

    class Meta:
        icon = "link"
        label = "相关内容"


class BodyBlock(blocks.StreamBlock):
    """The body of news pages and exemplar deeds."""

    rich_text = SanitisedRichTextBlock(
        features=RICH_TEXT_FEATURES, label="正文", help_text="正文段落"
    )
    image = ImageBlock()
    gallery = GalleryBlock()
    quote = QuoteBlock()
    document = DocumentBlock()
    video = VideoBlock()
    audio = AudioBlock()
    related = RelatedContentBlock()

    class Meta:
        label = "正文"
