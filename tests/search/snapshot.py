"""Snapshot assertions for the JSON the Elasticsearch client sends.

A snapshot lives in tests/search/snapshots/<name>.json. A missing snapshot fails (so CI
never passes silently); run with EHOME_UPDATE_SNAPSHOTS=1 to (re)write them, then review
the diff like any code change."""

from __future__ import annotations

import json
import os
from pathlib import Path

DIR = Path(__file__).parent / "snapshots"


def _canonical(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"


def assert_snapshot(name: str, data) -> None:
    path = DIR / f"{name}.json"
    text = _canonical(data)
    if os.environ.get("EHOME_UPDATE_SNAPSHOTS") == "1":
        DIR.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"snapshot {path.name} missing: run with EHOME_UPDATE_SNAPSHOTS=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"JSON sent to Elasticsearch changed ({path.name}):\n{text}"
