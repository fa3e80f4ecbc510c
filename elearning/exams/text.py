"""Question text formats: what a GIFT file may declare and what the bank stores.

GIFT (like Moodle) knows four formats, written as a prefix of a text: ``[plain]``,
``[html]``, ``[markdown]`` and ``[moodle]`` (the default: HTML allowed, line breaks
kept). The bank stores a question's texts (stem, option texts, explanation, feedback) in
one of two formats, `Question.text_format`:

- ``plain``: shown escaped, line breaks kept;
- ``html``: HTML cleaned by the project's one sanitiser (`core.richtext.sanitize_html`,
  nh3): no script/style, no event handlers, no ``javascript:`` URLs.

Markdown is rendered by markdown-it (CommonMark) with raw HTML switched off and then
sanitised as well. Texts are cleaned when they are imported and again when they are
shown (`question_text_html`), so a text edited by hand in the admin is safe too.
"""

from __future__ import annotations

import html as html_lib

from core.richtext import sanitize_html

PLAIN = "plain"
HTML = "html"
SOURCE_FORMATS = ("plain", "html", "markdown", "moodle")


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).render(text)


def plain_to_html(text: str) -> str:
    return html_lib.escape(text or "").replace("\n", "<br>\n")


def source_to_html(text: str, fmt: str) -> str:
    """A text written in one of the GIFT formats → sanitised HTML."""
    if fmt == "plain":
        return plain_to_html(text)
    if fmt == "markdown":
        return sanitize_html(_markdown(text)).strip()
    if fmt == "moodle":
        return sanitize_html((text or "").replace("\n", "<br>\n"))
    return sanitize_html(text)


def needs_html(text: str, fmt: str) -> bool:
    """False when the text shows the same as plain text (so it can be stored plain)."""
    if fmt == "plain" or not text:
        return False
    if fmt == "markdown":
        return _markdown(text).strip() != f"<p>{plain_to_html(text)}</p>"
    return "<" in text or "&" in text


def question_text_html(value: str, text_format: str) -> str:
    """A stored question text, ready to show unescaped."""
    if text_format == HTML:
        return sanitize_html(value or "")
    return plain_to_html(value or "")
