"""Word-level tests the rules need: Russian infinitives and datives (pymorphy3), Kazakh head cases."""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"\w[\w\-]*", re.UNICODE)
_KK_DATIVE = re.compile(r"(?:ға|ге|қа|ке|на|не|а|е)$")


_LATIN = re.compile(r"[A-Za-z\u0259\u018f\u0275\u019f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORDS = re.compile(r"\w+")


def repair_script(text: str) -> str:
    """`text` with Latin look-alikes inside Cyrillic words replaced by Cyrillic letters
    ("мемлекеттік кipicтep органдары" -> "... кірістер ..."), one character for one, so offsets
    stay valid. The rules read words by Cyrillic letters; quotes are still cut from the original.
    Word by word (linear): one pattern for "a word with both scripts" backtracked on long words."""
    from kb.lang.script import _homoglyphs

    if not _LATIN.search(text):
        return text
    table = _homoglyphs()

    def fix(m: re.Match) -> str:
        word = m.group()
        return word.translate(table) if _LATIN.search(word) and _CYRILLIC.search(word) else word

    return _WORDS.sub(fix, text)


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=50000)
def is_infinitive(word: str) -> bool:
    w = word.lower()
    if not re.search(r"(?:ть|ти|чь)(?:ся|сь)?$", w):
        return False
    return _morph().parse(w)[0].tag.POS == "INFN"


@lru_cache(maxsize=50000)
def is_nominative(word: str) -> bool:
    if re.fullmatch(r"[А-ЯЁA-Z]{2,}", word):  # abbreviations: МЧС, МЭГПР
        return True
    return any("nomn" in p.tag for p in _morph().parse(word.lower())[:4])


@lru_cache(maxsize=50000)
def is_adjective_nom(word: str) -> bool:
    """An adjective, participle or pronoun that can be nominative ("юридические", "все")."""
    return any("nomn" in p.tag and p.tag.POS in {"ADJF", "PRTF", "NPRO"} for p in _morph().parse(word.lower())[:3])


@lru_cache(maxsize=50000)
def is_genitive(word: str) -> bool:
    return any("gent" in p.tag and p.tag.POS in {"NOUN", "ADJF", "PRTF", "NUMR"} for p in _morph().parse(word.lower())[:2])


@lru_cache(maxsize=50000)
def is_dative(word: str) -> bool:
    """A noun or adjective that can be dative ("Министерству", "акиматам", "Местным")."""
    for p in _morph().parse(word.lower())[:3]:
        if "datv" in p.tag and p.tag.POS in {"NOUN", "ADJF", "PRTF", "NPRO"}:
            return True
    return False


def head_stem(word: str, heads: list[str]) -> str | None:
    w = word.lower()
    for h in heads:
        if w.startswith(h):
            return h
    return None


def kk_head_case(word: str, heads: list[str], excluded: list[str]) -> str | None:
    """'nom', 'dat' or None for a Kazakh actor head word (None: not a head, or an oblique case)."""
    stem = head_stem(word, heads)
    if stem is None:
        return None
    rest = word.lower()[len(stem):]
    if rest and _KK_DATIVE.search(rest) and not any(rest.endswith(x) for x in ("да", "де", "та", "те")):
        return "dat"
    if rest and any(rest.endswith(x) for x in excluded):
        return None
    return "nom"


_KK_DATIVE_STRICT = re.compile(r"(?:ға|ге|қа|ке|на|не)$")


def is_kk_dative(word: str) -> bool:
    """Unambiguous dative endings only (a bare -а/-е ends many nominatives: "Жаңаарқа")."""
    return bool(_KK_DATIVE_STRICT.search(word.lower())) and len(word) > 3
