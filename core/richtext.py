"""The one rich-text sanitiser: what editors store and what apps and the portal show.

Output (`sanitize_html`, `rich_text_html`): stored rich text is expanded with Wagtail's
`expand_db_html` (internal links → URLs, embedded images → renditions) and cleaned with
nh3: only a fixed set of tags and attributes survive; no <script>/<style>, no event
handlers, no `javascript:` URLs. The API, the portal's `safe_rich_text` filter and the
StreamField JSON all go through it, so rows stored before sanitising on save are safe too.

Storage (`sanitize_stored_html`): the same policy on Wagtail's database format, which
additionally keeps what the editor itself writes — `<a linktype id>` page/document links,
`<embed embedtype id format alt url/>` images and media, and the `data-block-key` that
anchors comments. `SanitisedRichTextField` and `SanitisedRichTextBlock` apply it on every
write (admin, imports, the ORM), so the database never holds a script either.
"""

from __future__ import annotations

import re

import nh3
from django.utils.functional import cached_property
from wagtail.blocks import RichTextBlock
from wagtail.fields import RichTextField
from wagtail.rich_text import RichText, expand_db_html

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "ul", "ol", "li", "blockquote", "a", "img", "figure", "figcaption", "table", "thead", "tbody",
    "tr", "th", "td", "span", "code", "pre",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_STORED_TAGS = ALLOWED_TAGS | {"embed"}
_STORED_ATTRIBUTES = {
    **ALLOWED_ATTRIBUTES,
    "a": ALLOWED_ATTRIBUTES["a"] | {"linktype", "id"},
    "embed": {"embedtype", "id", "format", "alt", "url"},
    "*": {"data-block-key"},
}
_EMBED = re.compile(r"<embed(\s[^>]*?)?\s*/?>")


def sanitize_html(html: str) -> str:
    """HTML that is safe to show: the allow-listed tags and attributes only."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _stored_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "embed" and attribute == "url":
        return value if value.lower().startswith(("https://", "http://")) else None
    return value


def sanitize_stored_html(html: str) -> str:
    """Wagtail database-format rich text with everything unsafe removed (idempotent)."""
    if not html:
        return html or ""
    clean = nh3.clean(
        html,
        tags=_STORED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_STORED_ATTRIBUTES,
        attribute_filter=_stored_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    return _EMBED.sub(_stored_embed, clean)


def _stored_embed(match: re.Match) -> str:
    attrs = match.group(1) or ""
    if 'embedtype="media"' in attrs and " url=" not in attrs:
        return ""  # its URL was refused; Wagtail cannot render a media embed without one
    return f"<embed{attrs}/>"  # Wagtail's rewriters only recognise the self-closing form


def rich_text_html(value) -> str:
    """Stored rich text (a RichText object or DB-format HTML) → expanded, safe HTML."""
    source = getattr(value, "source", value)
    return sanitize_html(expand_db_html(str(source or "")))


class SanitisedRichTextField(RichTextField):
    """A `RichTextField` whose value is sanitised on every write. Migrations see a plain
    RichTextField: the column and the editor are the same, only the writes are cleaner."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return sanitize_stored_html(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = sanitize_stored_html(value)
            setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "wagtail.fields.RichTextField", args, kwargs


class SanitisedRichTextBlock(RichTextBlock):
    """A StreamField `RichTextBlock` whose HTML is sanitised when the stream is saved
    (also seen by migrations as a plain RichTextBlock)."""

    def get_prep_value(self, value):
        return sanitize_stored_html(super().get_prep_value(value))

    def normalize(self, value):
        value = super().normalize(value)
        return RichText(sanitize_stored_html(value.source)) if value is not None else value

    @cached_property
    def canonical_module_path(self):
        return "wagtail.blocks.RichTextBlock"
