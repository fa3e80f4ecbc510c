"""Covers drawn from a book's own data, for the books that have no cover image.

The SVG is generated on request (the portal serves it as an ordinary, cacheable image
URL), never stored: it is a pure function of the title, subtitle, authors and 中图法
class, so a corrected title redraws it. The colour comes from the basic class, so a
shelf of one subject looks like one; every piece of text is XML-escaped, and the
document has no script, link or external reference.
"""

from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape

from cms.classification import clc_name

WIDTH, HEIGHT = 300, 400
MARGIN = 26
FONT = (
    '"Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "Noto Sans CJK SC", '
    '"PingFang SC", "Microsoft YaHei", serif'
)

# One colour per basic class: deep enough for white text (contrast ≥ 7:1).
CLASS_COLOURS = {
    "A": "#8c1c13",
    "B": "#4a3b6b",
    "C": "#2f4858",
    "D": "#a8071a",
    "E": "#3d5229",
    "F": "#1f4e79",
    "G": "#2d5f5d",
    "H": "#5b3a29",
    "I": "#6b2d5c",
    "J": "#7a3e00",
    "K": "#7c2e1e",
    "N": "#22476b",
    "O": "#283d73",
    "P": "#1d5060",
    "Q": "#2e5a1c",
    "R": "#0f5c52",
    "S": "#4b5e1a",
    "T": "#3a4a5c",
    "U": "#114a6e",
    "V": "#312e6b",
    "X": "#25572d",
    "Z": "#4d4d4d",
}
DEFAULT_COLOUR = "#595959"
ACCENT = "#f5c451"

_CLOSING = set("，。、；：？！）》」』】〕,.;:?!)]}…")


def _width(ch: str) -> float:
    """A character's advance in ems: full width for CJK and other wide characters."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56


def _tokens(text: str) -> list[str]:
    """Wide characters one by one; runs of narrow ones (Latin words, numbers) whole."""
    out: list[str] = []
    for ch in text:
        if _width(ch) == 1.0 or ch.isspace() or not out or _width(out[-1][-1]) == 1.0:
            out.append(ch)
        elif out[-1][-1].isspace():
            out.append(ch)
        else:
            out[-1] += ch
    return out


def wrap(text: str, *, em_per_line: float, max_lines: int) -> list[str]:
    """Greedy line breaking by estimated width; closing punctuation stays on the line
    before it; the last kept line ends in "…" when text is left over."""
    lines: list[str] = []
    line, used = "", 0.0
    for token in _tokens(" ".join((text or "").split())):
        w = sum(_width(c) for c in token)
        fits = used + w <= em_per_line
        if not fits and line and token not in _CLOSING:
            lines.append(line.rstrip())
            line, used = "", 0.0
            if token.isspace():
                continue
        while w > em_per_line and not line:  # a word longer than a line: cut it
            cut, cw = "", 0.0
            for c in token:
                if cw + _width(c) > em_per_line:
                    break
                cut, cw = cut + c, cw + _width(c)
            lines.append(cut)
            token = token[len(cut) :]
            w -= cw
        line, used = line + token, used + w
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and sum(_width(c) for c in last) + 1 > em_per_line:
            last = last[:-1]
        kept[-1] = last + "…"
        return kept
    return lines


def _text(x: float, y: float, size: int, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x}" y="{y}" font-size="{size}"{extra}>{escape(content)}</text>'


def book_cover_svg(*, title: str, subtitle: str = "", authors: str = "", category: str = "") -> str:
    """An SVG cover (300×400, the 3:4 of cover images)."""
    colour = CLASS_COLOURS.get((category or "")[:1].upper(), DEFAULT_COLOUR)
    inner = WIDTH - 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title or "", {chr(34): "&quot;"})}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{colour}"/>',
        f'<rect x="12" y="12" width="{WIDTH - 24}" height="{HEIGHT - 24}" fill="none" '
        f'stroke="{ACCENT}" stroke-opacity=".55" stroke-width="2"/>',
        f'<g font-family="{escape(FONT, {chr(34): "&quot;"})}" fill="#fff">',
    ]
    name = clc_name(category)
    if name:
        label = wrap(name, em_per_line=inner / 13, max_lines=1)[0]
        parts.append(_text(MARGIN, 48, 13, label, fill_opacity=".85", letter_spacing="1"))
    parts.append(f'<rect x="{MARGIN}" y="62" width="48" height="4" fill="{ACCENT}"/>')
    size = 32 if len(title or "") <= 12 else 28
    y = 92 + size
    for line in wrap(title or "", em_per_line=inner / size, max_lines=4):
        parts.append(_text(MARGIN, y, size, line, font_weight="700"))
        y += round(size * 1.3)
    if subtitle:
        for line in wrap(subtitle, em_per_line=inner / 16, max_lines=2):
            y += 2
            parts.append(_text(MARGIN, y, 16, line, fill_opacity=".9"))
            y += 22
    if authors:
        line = wrap(authors, em_per_line=inner / 16, max_lines=1)[0]
        parts.append(
            f'<rect x="12" y="{HEIGHT - 76}" width="{WIDTH - 24}" height="1" fill="#fff" '
            'fill-opacity=".35"/>'
        )
        parts.append(_text(MARGIN, HEIGHT - 42, 16, line))
    parts.append("</g></svg>")
    return "".join(parts)
