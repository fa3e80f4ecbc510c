"""The manuscript item of a bulletin section (filled in when the manuscript model exists)."""

from __future__ import annotations


def manuscript_item_blocks() -> list:
    return []


def manuscript_items_of(refs) -> dict:
    return {}


def manuscript_problems(issue) -> list[str]:
    return []
