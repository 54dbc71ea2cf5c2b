"""The one sentence splitter: obligation extraction (kb.obligations.extract), answers
(kb.answers) and chunking (kb.chunking) all cut text here, so a sentence ends in the same
places for each of them. What counts is data (kb/data/sentences.yaml): the words after which a
full stop is an abbreviation ("ст.", "ж.", "т.б.") and what may open a sentence.

A boundary is end punctuation, whitespace, then a capital letter or digit (optionally after
an opening quote or parenthesis). Callers choose the punctuation (`ends`), punctuation after
which any whitespace ends a sentence (`always`: extraction cuts after every ";"), and whether
line breaks end sentences (`newlines`). Linear in the length of the text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.lang.script import load_yaml

DATA_FILE = "sentences.yaml"


@lru_cache(maxsize=1)
def _data() -> tuple[frozenset[str], str, str]:
    raw = load_yaml(DATA_FILE)
    words = raw.get("no_split_after")
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        raise ValueError(f"kb/data/{DATA_FILE}: no_split_after: expected a list of words")
    return frozenset(words), str(raw.get("openers", "")), str(raw.get("capitals", ""))


@lru_cache(maxsize=16)
def _pattern(ends: str, always: str, newlines: bool) -> re.Pattern:
    _, openers, capitals = _data()
    start = f"[{re.escape(openers)}]?[{capitals}A-Z0-9]"
    alts = []
    if ends:
        alts.append(f"(?<=[{re.escape(ends)}])\\s+(?={start})")
    if always:
        alts.append(f"(?<=[{re.escape(always)}])\\s+")
    if newlines:
        alts.append(r"\n+")
    return re.compile("|".join(alts))


def _abbreviation_before(text: str, dot: int) -> bool:
    """True when the full stop at text[dot] closes an abbreviation or an initial."""
    if dot < 0 or text[dot] != ".":
        return False
    k = dot
    while k > 0 and (text[k - 1].isalpha() or (text[k - 1] == "." and k - 1 > 0 and text[k - 2].isalpha())):
        k -= 1
        if dot - k > 12:
            return False
    word = text[k:dot]
    if not word:
        return False
    words, _, _ = _data()
    last = word.rsplit(".", 1)[-1]
    if len(last) == 1 and last.isupper() and (last.isascii() or "\u0400" <= last <= "\u04ff"):
        return True  # an initial: "А.", "К."
    return word in words or last in words


def boundaries(text: str, ends: str = ".!?", always: str = "", newlines: bool = False) -> list[tuple[int, int]]:
    """The gaps between sentences as (end of one sentence, start of the next), in order."""
    out = []
    for m in _pattern(ends, always, newlines).finditer(text):
        # a line break ends a sentence for callers that split lines; a full stop after an
        # abbreviation or an initial never does
        if not (newlines and "\n" in m.group(0)) and _abbreviation_before(text, m.start() - 1):
            continue
        out.append((m.start(), m.end()))
    return out


def split(text: str, ends: str = ".!?", always: str = "", newlines: bool = False) -> list[tuple[int, int]]:
    """Sentence spans (start, end) covering the text between the boundaries (not trimmed)."""
    spans, last = [], 0
    for a, b in boundaries(text, ends, always, newlines):
        spans.append((last, a))
        last = b
    spans.append((last, len(text)))
    return spans
