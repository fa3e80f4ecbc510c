"""Text normalisation shared by indexing and querying (every backend).

Pipeline: OpenCC Traditional → Simplified, lower-case, then split the text into runs:
- Chinese runs are segmented with jieba — *search mode* for indexing (every dictionary
  word inside a long word is emitted too, so 党费 is found inside 一键交党费) and *accurate
  mode* for queries (the fewest, longest words, all of which search mode also emits);
- digit groups joined by hyphens that look like an ISBN (10 or 13 digits) become one token
  with the hyphens removed, so ``978-7-01-012345-6`` and ``9787010123456`` match;
- other Latin letters/digits are kept as lower-case words (``iso9001``, ``the``, ``art``);
- a ``+`` glued to a word adds the token ``<word>plus`` next to the word itself, so
  "互联网+" is findable as such while "互联网" still finds it;
- indexed text also carries every Chinese character of its words once, after the words
  (`index_tokens`): a one-character query finds the words that contain it.
Everything else (punctuation, emoji, NUL bytes, FTS syntax such as ``"``, ``*``, ``:``)
is dropped: tokens only ever contain letters and digits, which is what makes every
backend's query syntax safe to build from them.

Segmentation uses rjieba (jieba-rs, compiled, same dictionary and the same cuts as jieba
on our texts, ~13× faster, no dictionary loading per process) when it is installed, else
the pure-Python jieba — initialised once per process with its dictionary cache in a
writable directory (settings.VAR_DIR/jieba or the system temp dir). Set
EHOME_SEARCH_SEGMENTER=jieba to force jieba. Nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from functools import lru_cache

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN_RE = re.compile(
    rf"(?P<num>[0-9]+(?:-[0-9]+)+(?:-?x)?)"
    rf"|(?P<cjk>[{_CJK}]+)"
    rf"|(?P<word>[^\W_{_CJK}]+)"
    rf"|(?P<plus>\++)"
)
#: Single-character function words dropped from *queries* when other words remain.
QUERY_STOPWORDS = frozenset("的了和与及在是之或等对为把被将就也都而并从")
MAX_QUERY_CHARS = 200

_lock = threading.Lock()
_jieba = None


def _tmp_dir() -> str:
    try:
        from django.conf import settings

        base = os.path.join(str(settings.VAR_DIR), "jieba")
    except Exception:  # settings not configured (plain scripts)
        base = os.path.join(tempfile.gettempdir(), "ehome-jieba")
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        base = tempfile.gettempdir()
    return base


class _RJieba:
    """rjieba behind jieba's `cut` / `cut_for_search` names (both with HMM, as jieba)."""

    name = "rjieba"

    def __init__(self, module):
        self._m = module

    def cut(self, text: str) -> list[str]:
        return self._m.cut(text, True)

    def cut_for_search(self, text: str) -> list[str]:
        return self._m.cut_for_search(text, True)


def get_jieba():
    """The segmenter (rjieba, or the jieba module), initialised once per process
    (thread-safe)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None and os.environ.get("EHOME_SEARCH_SEGMENTER", "") != "jieba":
                try:
                    import rjieba
                except ImportError:
                    pass
                else:
                    rjieba.cut("初始化", True)
                    _jieba = _RJieba(rjieba)
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.dt.tmp_dir = _tmp_dir()
                jieba.initialize()
                _jieba = jieba
    return _jieba


@lru_cache(maxsize=1)
def _converter():
    import opencc

    try:
        return opencc.OpenCC("t2s")
    except Exception:  # older builds want the file name
        return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    if not text:
        return ""
    return _converter().convert(text)


def fold(text: str) -> str:
    """Traditional → Simplified and lower-case; NUL bytes removed."""
    return to_simplified(text.replace("\x00", "")).lower()


def _tokens(text: str, *, for_query: bool) -> list[str]:
    jb = get_jieba()
    cut = jb.cut if for_query else jb.cut_for_search
    out: list[str] = []
    last_end = -1
    for m in TOKEN_RE.finditer(fold(text)):
        kind = m.lastgroup
        value = m.group()
        if kind == "plus":
            if m.start() == last_end and out:
                out.append(out[-1] + "plus" * len(value))
            continue
        if kind == "cjk":
            out.extend(w for w in cut(value) if w.strip())
        elif kind == "num":
            digits = value.replace("-", "")
            if len(digits) in (10, 13):
                out.append(digits)
            else:
                out.extend(p for p in value.split("-") if p)
        else:
            out.append(value)
        last_end = m.end()
    return out


def index_tokens(text: str) -> list[str]:
    """Tokens to index: the search-mode words, then each Chinese character of them once
    (in order of first appearance, those that are not a word of their own already), so a
    one-character query finds the words that contain it (党 → 党员, 共产党, 入党). The
    characters come after every word, so the words keep their relative positions."""
    if not text:
        return []
    words = _tokens(text, for_query=False)
    single = {w for w in words if len(w) == 1}
    chars = dict.fromkeys(c for w in words if len(w) > 1 for c in w if _is_cjk(c))
    return words + [c for c in chars if c not in single]


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def index_text(text: str) -> str:
    """The normalised, space-separated text stored in the search table."""
    return " ".join(index_tokens(text))


def query_tokens(query: str) -> list[str]:
    """Tokens of a user query (accurate-mode segmentation), de-duplicated in order; the
    query is clipped to MAX_QUERY_CHARS first and single-character function words are
    dropped when other words remain."""
    if not query:
        return []
    tokens = _tokens(query[:MAX_QUERY_CHARS], for_query=True)
    seen: dict[str, None] = {}
    for t in tokens:
        seen.setdefault(t, None)
    tokens = list(seen)
    content = [t for t in tokens if t not in QUERY_STOPWORDS]
    return content or tokens


_SPACES = re.compile(r"\s+")
_SPACE_BY_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")


def query_phrases(query: str) -> tuple[str, ...]:
    """The whole query as a phrase to look for in a document's text: folded (Simplified,
    lower-case), spaces collapsed — once without the spaces next to Chinese (written
    without them: 工程 书屋 → 工程书屋) and once with them (BIM 技术 as in "BIM 技术应用") —
    then the same in Traditional characters (OpenCC s2t of the folded form), so the phrase
    is also found in Traditional text. Built from the folded form only: a query typed in
    Simplified or in Traditional gives the same phrases, hence the same ranking."""
    folded = fold((query or "")[:MAX_QUERY_CHARS])
    out: dict[str, None] = {}
    for text in (folded, _to_traditional(folded)):
        spaced = _SPACES.sub(" ", text).strip()
        for form in (_SPACE_BY_CJK.sub("", spaced), spaced):
            if form:
                out.setdefault(form, None)
    return tuple(out)


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    try:
        return opencc.OpenCC("s2t")
    except Exception:  # older builds want the file name
        return opencc.OpenCC("s2t.json")


def _to_traditional(text: str) -> str:
    return _s2t().convert(text) if text else ""


def query_text(query: str) -> str:
    return " ".join(query_tokens(query))
