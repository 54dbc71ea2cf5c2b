"""Word tokens with offsets, and the normalised keys gazetteer matching compares.

Matching on keys rather than surface forms lets one listed name match its inflected
forms: Russian words reduce to lemmas ("Министерства" -> "министерство"), Kazakh words to
stems ("конвенциясының" -> "конвенция"). The lemmas/stems come from `kb.lang.normalize`;
because Russian lemmas there may still be a lower-casing placeholder, pymorphy3 fills in,
and Kazakh words also get the candidate stems of a small ending table
(`kb/data/entity_matching.yaml`) so that matching does not depend on one stemmer's choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

import kb.lang as kblang

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "entity_matching.yaml"
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
LANGS = ("kk", "ru", "en")
KK_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


@lru_cache(maxsize=1)
def settings() -> dict:
    with DATA_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    endings = sorted(set(data["kk_endings"]), key=len, reverse=True)
    data["kk_endings"] = endings
    data["name_gap"] = set(data["name_gap"])
    return data


_CYR = re.compile(r"[а-яёәғқңөұүһі]")


def fold(word: str) -> str:
    w = word.lower().replace("ё", "е")
    # Kazakh legal texts often type the Latin "i" for "і" ("Үкiметi"): fold it inside
    # Cyrillic words so both spellings get the same keys.
    if "i" in w and _CYR.search(w):
        w = w.replace("i", "і")
    return w


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def ru_keys(word: str) -> frozenset[str]:
    low = fold(word)
    keys = {low, fold(kblang.normalize(word, "ru"))}
    if not low.isascii():
        for p in _morph().parse(low)[:3]:
            keys.add(fold(p.normal_form))
        if not _morph().word_is_known(low):
            # an oblique form of a word the dictionary lacks ("маслихату"): its bare stems too
            cfg = settings()
            for e in cfg.get("ru_unknown_endings", []):
                if low.endswith(e) and len(low) - len(e) >= cfg.get("ru_unknown_min_stem", 4):
                    keys.add(low[: -len(e)])
    return frozenset(keys)


@lru_cache(maxsize=200_000)
def kk_keys(word: str) -> frozenset[str]:
    cfg = settings()
    endings, voicing, min_len = cfg["kk_endings"], cfg["kk_voicing"], cfg["kk_min_stem"]
    low = fold(word)
    keys = {low, fold(kblang.normalize(word, "kk"))}
    frontier = {low}
    for _ in range(3):
        nxt = set()
        for w in frontier:
            for e in endings:
                if w.endswith(e) and len(w) - len(e) >= min_len:
                    stem = w[: -len(e)]
                    nxt.add(stem)
                    if stem[-1] in voicing:
                        nxt.add(stem[:-1] + voicing[stem[-1]])
        nxt -= keys
        keys |= nxt
        frontier = nxt
        if not frontier:
            break
    return frozenset(keys)


def en_keys(word: str) -> frozenset[str]:
    low = word.lower()
    return frozenset({low, low[:-1]} if low.endswith("s") and len(low) > 3 else {low})


def keys(word: str, lang: str) -> frozenset[str]:
    if lang == "ru":
        return ru_keys(word)
    if lang == "kk":
        return kk_keys(word)
    return en_keys(word)


def name_key(word: str, lang: str) -> str:
    """The one key a listed name word is stored under (its lemma/shortest stem)."""
    ks = keys(word, lang)
    if lang == "ru":
        lemma = fold(kblang.normalize(word, "ru"))
        if lemma != fold(word):
            return lemma
        parses = [] if word.isascii() else _morph().parse(fold(word))
        return fold(parses[0].normal_form) if parses else fold(word)
    return min(ks, key=lambda k: (len(k), k))


def mention_lang(text: str, default: str) -> str:
    """kk when the span has a Kazakh-only letter, else the caller's language."""
    if any(ch in KK_LETTERS for ch in text):
        return "kk"
    return default
