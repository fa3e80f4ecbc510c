"""The API's JSON parser: JSON that no endpoint can use is refused as it is read.

Every JSON body of every DRF view passes through `StrictJSONParser` (settings
``DEFAULT_PARSER_CLASSES``), so no view, serializer or service has to think about:

- **lone UTF-16 surrogates** (``"k\\udc00"``): valid JSON escapes, but not characters;
  Python keeps them in the string and the database driver fails to encode it (a 500);
- **NUL characters** (``"a\\u0000b"``): PostgreSQL text and jsonb cannot store them;
- **nesting deeper than** `MAX_DEPTH`: Python's JSON decoder recurses once per level
  (``RecursionError`` at ~1,000 levels, a 500), and so would validation and storage.

Each is a 400 with the common error body: ``code`` ``invalid``, and ``fields`` naming
where the bad string is (``answers.12``). A raw NUL byte or an unescaped surrogate cannot
reach this far: the first is invalid JSON, the second invalid UTF-8 (both ``parse_error``).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

# Deeper than any body the API accepts (the deepest, a progress report, has 3 levels).
MAX_DEPTH = 32

NUL_MESSAGE = "文本不能包含空字符（NUL，\\u0000）"
SURROGATE_MESSAGE = "文本包含无效的 Unicode 字符（单独的代理项，如 \\ud800）"
DEPTH_MESSAGE = f"JSON 嵌套层数超过上限（{MAX_DEPTH} 层）"


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path)[:200] or "non_field_errors"


def json_problem(data) -> tuple[str, str] | None:
    """(field path, message) of the first unusable part of parsed JSON, else None.
    Iterative: a deep document cannot exhaust the stack here."""
    stack = [(data, (), 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = _bad_text(value)
            if problem:
                return _where(path), problem
            continue
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if depth > MAX_DEPTH:
            return _where(path), DEPTH_MESSAGE
        for key, item in items:
            if isinstance(key, str):
                problem = _bad_text(key)
                if problem:
                    return _where((*path, key)), problem
            stack.append((item, (*path, key), depth + 1))
    return None


def refuse(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]}, code="invalid")


class StrictJSONParser(JSONParser):
    """DRF's JSON parser plus the checks of this module (400 naming the field)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise refuse("non_field_errors", DEPTH_MESSAGE) from None
        problem = json_problem(data)
        if problem is not None:
            raise refuse(*problem)
        return data
