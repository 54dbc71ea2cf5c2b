"""Script-level helpers: which alphabet a word is in, and look-alike folding.

Kazakh-specific letters decide the language of a single word in mixed text;
Latin look-alikes inside Cyrillic words (a legacy of fonts and keyboard
layouts) are folded so that "жөнiндегi" and "жөніндегі" index the same.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u0259\u018f\u0275\u019f]")


def load_yaml(name: str) -> dict:
    """A mapping from kb/data/<name>; a clear error naming the file otherwise."""
    path = DATA_DIR / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: language data file is missing") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_word_list(name: str) -> frozenset[str]:
    """One lower-cased entry per line from kb/data/<name>; '#' starts a comment."""
    path = DATA_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: language data file is missing") from exc
    words = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            words.add(line)
    return frozenset(words)


@lru_cache(maxsize=1)
def _homoglyphs() -> dict[int, str]:
    table = load_yaml("homoglyphs.yaml")
    for key, value in table.items():
        if not (isinstance(key, str) and isinstance(value, str) and len(key) == 1):
            raise ValueError(f"{DATA_DIR / 'homoglyphs.yaml'}: entry {key!r}: expected one character -> text")
    return str.maketrans(table)


def has_kazakh_letters(word: str) -> bool:
    return any(ch in KAZAKH_LETTERS for ch in word)


def is_cyrillic(word: str) -> bool:
    return _CYRILLIC.search(word) is not None


def fold(word: str) -> str:
    """Lower-case; in a Cyrillic word, replace Latin look-alikes by Cyrillic letters."""
    if _LATIN.search(word) and _CYRILLIC.search(word):
        word = word.translate(_homoglyphs())
    return word.lower()
