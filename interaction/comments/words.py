"""The sensitive-word filter: an Aho-Corasick automaton (pyahocorasick) over the words of
a unit's list and its ancestors' lists, matched against the comment folded to Simplified
Chinese and lower case (OpenCC t2s), so "敏感詞" and "敏感词" are one word.

Automata are built once per process for each unit path and rebuilt when the lists change:
every change writes a new random version token to the cache (shared by every process: Redis, or the file
cache of the embedded default), which each lookup compares with the one it built against.
"""

from __future__ import annotations

import threading
import time
import uuid

import ahocorasick
from django.core.cache import cache
from django.db import transaction

from interaction.text import fold

VERSION_KEY = "interaction:words:version"
_built: dict[str, tuple[str | None, float, object | None]] = {}
#: an automaton is rebuilt at least this often (seconds), whatever the version says — a
#: change rolled back after this process rebuilt from it is forgotten within a minute
MAX_AGE = 60.0
_lock = threading.Lock()


def words_version() -> str | None:
    return cache.get(VERSION_KEY)


def _bump() -> None:
    # a fresh random token, not a counter: a cache flush followed by a counter restarting
    # at 1 could repeat a version a process already built against
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def words_changed() -> None:
    """A list changed: this process forgets its automata at once (it sees its own change)
    and every process rebuilds after commit."""
    with _lock:
        _built.clear()
    transaction.on_commit(_bump)


def _automaton(unit_path: str):
    from interaction.comments.models import SensitiveWord
    from organizations.models import ancestor_paths_of

    version = words_version()
    now = time.monotonic()
    hit = _built.get(unit_path)
    if hit is not None and hit[0] == version and now - hit[1] < MAX_AGE:
        return hit[2]
    rows = SensitiveWord.objects.filter(unit__path__in=ancestor_paths_of(unit_path)).values_list(
        "word", "folded"
    )
    automaton = None
    rows = [(w, f) for w, f in rows if f]
    if rows:
        automaton = ahocorasick.Automaton()
        for word, folded in rows:
            automaton.add_word(folded, word)
        automaton.make_automaton()
    with _lock:
        _built[unit_path] = (version, now, automaton)
    return automaton


def sensitive_hits(text: str, *, unit_path: str) -> list[str]:
    """The listed words (as written in the list) found in `text`, in order of first
    appearance, each once."""
    automaton = _automaton(unit_path)
    if automaton is None:
        return []
    found: list[str] = []
    for _end, word in automaton.iter(fold(text)):
        if word not in found:
            found.append(word)
    return found
