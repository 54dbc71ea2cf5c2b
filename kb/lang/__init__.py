"""Language tools: tokenisation, Russian lemmas, Kazakh stems, lexical terms.

PLACEHOLDER: the real implementation replaces the bodies below while keeping
these signatures, which other modules rely on.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(word: str, lang: str) -> str:
    """Lemma (ru) or stem (kk) of one word, lower-cased."""
    return word.lower()


def terms(text: str, lang: str) -> list[str]:
    """Lexical index terms of a text: normalised words, stop words dropped."""
    return [normalize(w, lang) for w in _WORD.findall(text)]
