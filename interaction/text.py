"""Plain text from members: what a comment, a question or an answer may contain.

Text is stored and served as plain text — never HTML; the portal escapes it and turns only
http(s) addresses into links (Django's `urlize`, which escapes everything else), the API
returns it as a string. NUL bytes and other control characters (bidirectional overrides
included, which make text read differently from what it is) are refused, not stripped:
the member is told what is wrong and nothing is written.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from interaction.errors import InteractionError

_ALLOWED_CONTROLS = {"\n", "\t"}
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def plain_text(value, *, label: str, max_length: int, field: str = "body") -> str:
    """`value` checked and tidied (CRLF → LF, outer whitespace removed), or
    InteractionError naming the field and the problem."""
    if not isinstance(value, str):
        raise InteractionError(f"{label}须为文本")
    if "\x00" in value:
        raise InteractionError(f"{label}不能包含 NUL 字符", code="control_characters")
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    for ch in text:
        if ch in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI:
            raise InteractionError(
                f"{label}不能包含控制字符（U+{ord(ch):04X}）", code="control_characters"
            )
    text = text.strip()
    if not text:
        raise InteractionError(f"{label}不能为空", code="empty")
    if len(text) > max_length:
        raise InteractionError(
            f"{label}最多 {max_length} 个字（现有 {len(text)} 个）", code="too_long"
        )
    return text


@lru_cache(maxsize=1)
def _converter():
    import opencc

    try:
        return opencc.OpenCC("t2s")
    except Exception:  # older builds want the file name
        return opencc.OpenCC("t2s.json")


def fold(text: str) -> str:
    """Simplified, lower-case, NFKC (full-width letters fold to ASCII): the form the
    sensitive-word filter matches in (interaction.comments.words)."""
    text = unicodedata.normalize("NFKC", text or "")
    return _converter().convert(text).lower() if text else ""
