"""Highlight query words in the ORIGINAL text (Traditional stays Traditional).

Matching is done on a folded copy of the text (t2s + lower-case) that has the same length
as the original, so a span found in the copy is the same span in the original. OpenCC t2s
maps almost everything character for character; when a phrase rule changes the length
the copy is rebuilt one character at a time.
"""

from __future__ import annotations

import html
import re

from search.normalize import to_simplified

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
MAX_SCAN_CHARS = 20_000


def _folded_same_length(text: str) -> str:
    simp = to_simplified(text)
    if len(simp) != len(text):
        chars = []
        for ch in text:
            s = to_simplified(ch)
            chars.append(s if len(s) == 1 else ch)
        simp = "".join(chars)
    low = simp.lower()
    if len(low) != len(simp):
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in simp)
    return low


def _pattern(tokens: list[str]) -> re.Pattern | None:
    parts = []
    for tok in sorted(set(tokens), key=len, reverse=True):
        if tok.endswith("plus") and len(tok) > 4:
            tok = tok.removesuffix("plus")
        if not tok:
            continue
        if tok.isdigit() and len(tok) in (10, 13):
            # an ISBN may be written with hyphens or spaces
            parts.append(r"[-\s]?".join(re.escape(c) for c in tok))
        else:
            parts.append(re.escape(tok))
    if not parts:
        return None
    return re.compile("|".join(parts))


def find_spans(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    pattern = _pattern(tokens)
    if pattern is None or not text:
        return []
    folded = _folded_same_length(text[:MAX_SCAN_CHARS])
    return [m.span() for m in pattern.finditer(folded) if m.end() > m.start()]


def mark(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(MARK_OPEN + html.escape(text[start:end]) + MARK_CLOSE)
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def highlight(text: str, tokens: list[str], *, width: int = 120, lead: int = 30) -> str:
    """An HTML-escaped snippet of `text` around the first match, matches in <mark>."""
    text = (text or "").replace("\x00", "")
    spans = find_spans(text, tokens)
    if not spans:
        snippet = text[:width]
        return html.escape(snippet) + ("…" if len(text) > width else "")
    start = max(0, spans[0][0] - lead)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    window = [
        (max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start
    ]
    body = mark(text[start:end], window)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def highlight_all(text: str, tokens: list[str]) -> str:
    """The whole (short) text, HTML-escaped, with every match in <mark> — for titles."""
    text = (text or "").replace("\x00", "")
    return mark(text, find_spans(text, tokens))
