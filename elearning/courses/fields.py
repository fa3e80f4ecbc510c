"""The integer multirange column of `LessonProgress.intervals`."""

from __future__ import annotations

import json

from django.db import models


class IntMultiRangeField(models.Field):
    """Half-open integer ranges, e.g. ``[[0, 30000], [45000, 60000]]`` (watched media
    milliseconds in `LessonProgress.intervals`).

    PostgreSQL stores an ``int4multirange`` (merged by the database with ``+``); other
    databases store the same normalised list as JSON text. Python always sees a list of
    ``[lower, upper]`` pairs, sorted and non-overlapping."""

    description = "integer multirange"

    def db_type(self, connection):
        return "int4multirange" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value or []
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{") and connection_is_pg_text(text):
                return _parse_pg_multirange(text)
            return json.loads(text or "[]")
        # psycopg Multirange of Range objects
        return [[r.lower, r.upper] for r in value if r.lower is not None]

    def get_db_prep_value(self, value, connection, prepared=False):
        value = value or []
        if connection.vendor == "postgresql":
            return "{" + ",".join(f"[{lo},{hi})" for lo, hi in value) + "}"
        return json.dumps(value)


def connection_is_pg_text(text: str) -> bool:
    return text.startswith("{") and ("[" in text or text == "{}")


def _parse_pg_multirange(text: str) -> list[list[int]]:
    out = []
    for part in text.strip("{}").split("),"):
        part = part.strip().rstrip(")")
        if not part:
            continue
        lo, hi = part.lstrip("[").split(",")
        out.append([int(lo), int(hi)])
    return out
