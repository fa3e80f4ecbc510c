"""Traditional → Simplified folding for the documents' own search (the search app's
normalisation lives a layer above; this is the same OpenCC t2s conversion)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    import opencc

    try:
        return opencc.OpenCC("t2s")
    except Exception:  # noqa: BLE001 - older builds name the configuration with .json
        return opencc.OpenCC("t2s.json")


def simplified(text: str) -> str:
    return _converter().convert(text or "")
