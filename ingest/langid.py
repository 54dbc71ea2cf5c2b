"""Language identification for Kazakh / Russian text: `detect(text) -> "kk" | "ru" | "mixed"`.

Kazakh-specific letters (әғқңөұүһі) decide most cases cheaply. Short Kazakh
strings can lack them ("Астана", "Осы шешім"), and Russian text quotes Kazakh
names ("Таза Қазақстан"), so below a letter-share threshold the packaged lingua
detector, restricted to Kazakh/Russian/English, has the last word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Lang = Literal["kk", "ru", "mixed"]

KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LETTER = re.compile(r"[^\W\d_]")
_QUOTED = re.compile(r"«[^«»]{1,80}»")
# Sentence-ish pieces, to tell a mixed text from one language quoting the other.
_PIECES = re.compile(r"[^.!?;\n]+[.!?;]*")

# Share of Kazakh-specific letters among Cyrillic letters from which a text is
# Kazakh without asking lingua. Kazakh prose runs at ~8-25 %; below this a Russian
# sentence naming a person ("Қайсағалиеву") can get close, so lingua decides.
KK_SHARE = 0.10
# A text is "mixed" when the minority language holds at least this share of letters.
MIXED_SHARE = 0.25
MIXED_MIN_LETTERS = 40
MIN_PIECE_LETTERS = 20
# lingua's cost grows with the length of a word (512 KB of one "word" took 40 s); the first
# few thousand characters decide the language as well as the whole text would.
LINGUA_MAX_CHARS = 4000


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    # Preloaded: lingua otherwise reads its models on the first call (0.4 s), which a
    # service's first searches all waited for at once.
    return LanguageDetectorBuilder.from_languages(
        Language.KAZAKH, Language.RUSSIAN, Language.ENGLISH
    ).with_preloaded_language_models().build()


def kk_letter_share(text: str) -> float:
    # Quoted names («Оңтүстік Алтай», «Таза Қазақстан») say nothing about the sentence's language.
    unquoted = _QUOTED.sub(" ", text)
    cyr = _CYRILLIC.findall(unquoted if _CYRILLIC.search(unquoted) else text)
    if not cyr:
        return 0.0
    return sum(1 for c in cyr if c in KK_LETTERS) / len(cyr)


def _one(text: str) -> str | None:
    """kk or ru for a single-language piece; None when it has no letters at all."""
    if not _LETTER.search(text):
        return None
    if kk_letter_share(text) >= KK_SHARE:
        return "kk"
    values = _detector().compute_language_confidence_values(text[:LINGUA_MAX_CHARS])
    scores = {v.language.name: v.value for v in values}
    # English (or Latin-only) text is outside the kk/ru contract: take the closer of the two.
    return "kk" if scores.get("KAZAKH", 0.0) > scores.get("RUSSIAN", 0.0) else "ru"


def detect_or_none(text: str) -> Lang | None:
    """Like `detect`, but None when the text carries no language evidence (numbers, symbols)."""
    if not _LETTER.search(text):
        return None
    # Initials and abbreviations ("А.К.", "ст.") cut sentences into scraps too short to judge.
    pieces = [p for p in _PIECES.findall(text) if len(_LETTER.findall(p)) >= MIN_PIECE_LETTERS]
    if len(pieces) <= 1:
        return _one(text)  # type: ignore[return-value]
    weights = {"kk": 0, "ru": 0}
    for piece in pieces:
        lang = _one(piece)
        if lang:
            weights[lang] += len(_LETTER.findall(piece))
    total = weights["kk"] + weights["ru"]
    minority = min(weights.values())
    if minority >= MIXED_MIN_LETTERS and minority / total >= MIXED_SHARE:
        return "mixed"
    return "kk" if weights["kk"] > weights["ru"] else "ru"


def detect(text: str, default: Lang = "ru") -> Lang:
    """Language of a text: "kk", "ru" or "mixed" (default when there is nothing to go on)."""
    return detect_or_none(text) or default


def combine(weights: dict[str, int]) -> Lang:
    """Language of a whole from per-part letter counts, e.g. a document from its blocks."""
    kk, ru = weights.get("kk", 0), weights.get("ru", 0)
    kk += weights.get("mixed", 0) // 2
    ru += weights.get("mixed", 0) - weights.get("mixed", 0) // 2
    total = kk + ru
    if not total:
        return "ru"
    if min(kk, ru) / total >= MIXED_SHARE:
        return "mixed"
    return "kk" if kk > ru else "ru"
