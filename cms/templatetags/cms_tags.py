"""Template filters for the portal: rich text rendered through the same sanitiser as the API."""

from django import template
from django.utils.safestring import mark_safe

from cms.rendering import rich_text_html

register = template.Library()


@register.filter
def safe_rich_text(value):
    """Expanded and nh3-sanitised rich text, safe to output unescaped."""
    return mark_safe(rich_text_html(value))  # noqa: S308 - sanitised by nh3 above
