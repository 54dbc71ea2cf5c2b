"""Snippets with the query's words marked, inflected forms included.

Words are compared by their normalised form (Russian lemma, Kazakh stem), so a
query "конвенция" marks "конвенции" and "конвенциясы". The snippet is built from
escaped text, so the only markup in it is our own <mark> tags.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from kb.lang import normalize

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=200_000)
def _forms(word: str, lang: str) -> frozenset[str]:
    # Every word of every hit's passage goes through here on each search: one cached
    # lookup per word instead of one or two normalize() calls.
    if lang in ("kk", "ru"):
        return frozenset((normalize(word, lang),))
    return frozenset((normalize(word, "kk"), normalize(word, "ru")))


def _matches(text: str, wanted: set[str], lang: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _WORD.finditer(text):
        word = m.group()
        if len(word) < 2 and not word.isdigit():
            continue
        hit = _forms(word, lang) & wanted
        if hit:
            found.append((m.start(), m.end(), next(iter(hit))))
    return found


def _best_window(matches: list[tuple[int, int, str]], length: int, width: int) -> tuple[int, int]:
    """The window of `width` characters with the most distinct matched terms."""
    if length <= width or not matches:
        return 0, min(length, width)
    best, best_score = 0, -1
    for i, (start, _, _) in enumerate(matches):
        lo = max(0, start - width // 4)
        score = len({t for s, e, t in matches[i:] if e <= lo + width})
        if score > best_score:
            best, best_score = lo, score
    return best, min(length, best + width)


def snippet(text: str, query_words: set[str], lang: str, width: int = 320) -> tuple[str, list[str]]:
    """(HTML snippet with <mark>s, the matched query terms)."""
    matches = _matches(text, query_words, lang)
    lo, hi = _best_window(matches, len(text), width)
    # Widen to word boundaries so the snippet does not start mid-word.
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    parts = ["…" if lo > 0 else ""]
    pos = lo
    for start, end, _ in matches:
        if start < lo or end > hi:
            continue
        parts.append(html.escape(text[pos:start]))
        parts.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    parts.append(html.escape(text[pos:hi]))
    parts.append("…" if hi < len(text) else "")
    return "".join(parts).strip(), sorted({t for _, _, t in matches})
