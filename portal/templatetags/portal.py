"""Template helpers for the portal."""

from __future__ import annotations

from django import template

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
