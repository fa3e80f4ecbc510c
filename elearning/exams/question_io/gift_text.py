"""GIFT text pieces: escapes that keep offsets (so errors point at the right line), and
texts waiting for their question's storage format (`Rich`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from elearning.exams.text import source_to_html

# An escaped special character becomes two private-use characters, so offsets (and line
# numbers) stay those of the file while the parser no longer sees it as special.
_MARK = "\ue000"
_ESCAPES = {
    ":": "\ue03a",
    "#": "\ue023",
    "=": "\ue03d",
    "{": "\ue07b",
    "}": "\ue07d",
    "~": "\ue07e",
    "\\": "\ue05c",
    "n": "\ue00a",
}
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()} | {_MARK: ""})
WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
TF_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def protect(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_MARK + _ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


COMMENT = "\ue001"  # a comment line inside a question (kept for the line numbers)


def restore(text: str) -> str:
    return text.replace("\n" + COMMENT, "").replace(COMMENT, "").translate(_RESTORE)


class Refused(Exception):
    """Ends the parsing of one question (its problems are already recorded)."""


@dataclass
class Rich:
    """A text in a GIFT format, converted once the question's storage format is known."""

    text: str
    fmt: str


def finalize(value, as_html: bool):
    if isinstance(value, Rich):
        return source_to_html(value.text, value.fmt) if as_html else value.text
    if isinstance(value, dict):
        return {k: finalize(v, as_html) for k, v in value.items()}
    if isinstance(value, list):
        return [finalize(v, as_html) for v in value]
    return value


def walk(value):
    if isinstance(value, Rich):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)
