"""Language tools: Russian lemmas, Kazakh stems, lexical index terms.

`normalize(word, lang)` gives one word's index form, `terms(text, lang)` the
index terms of a text. Both are cached per word and need no spaCy; the spaCy
pipelines live in `kb.lang.pipeline` and the Kazakh stemmer in
`kb.lang.kk_stemmer`.

Which analyser a word gets:
* lang "kk": the Kazakh stemmer for every Cyrillic word. Most Kazakh words
  have no Kazakh-only letter (жоспарды, туралы, бойынша), so the letters cannot
  decide; a stray Russian word in Kazakh text just loses less.
* lang "ru": pymorphy3 lemmas, except words with a Kazakh-only letter
  (әғқңөұүһі: place names like Қарағанды in Russian text), which are stemmed.
* "mixed" or anything else: per word. A Kazakh-only letter means Kazakh;
  otherwise pymorphy3 first if it knows the word from its dictionary
  (`word_is_known`), else the Kazakh stemmer. pymorphy3 guesses a lemma for
  ANY word (жоспарды -> "жоспард"), so "known" is the test, not its parse.
  Kazakh words that pymorphy3 also knows (алу, беру, ету, орта) are listed in
  kb/data/kk_ru_homographs.txt and go to the stemmer; unknown words with an
  ending only Russian has (kb/data/ru_endings.txt: -ого, -ых, -ской, -ов...)
  still get pymorphy3's guess (озоноразрушающих, алматинской).
* Latin words and numbers are only lower-cased.

Russian lemma: the first pymorphy3 parse's normal form, lower-cased, ё -> е;
one deliberate exception: when the first parse is a participle (PRTF/PRTS)
and the word also has an adjective or noun reading, that reading's normal form
is used, so обязан/обязаны/обязанные all give "обязанный" and "данные" stays
"данные" instead of becoming the verb "дать".
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.lang.kk_stemmer import default_stemmer
from kb.lang.script import fold, has_kazakh_letters, is_cyrillic, load_word_list

__all__ = ["normalize", "terms", "ru_lemma", "kk_stem", "tokenize", "stop_words"]

_LEXICAL_POS = ("ADJF", "ADJS", "NOUN")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3  # a 0.1 s load: only when the first Russian word comes

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def ru_lemma(word: str) -> str:
    """pymorphy3 lemma of one Russian word (конвенции -> конвенция)."""
    w = fold(word).replace("ё", "е")
    parses = _morph().parse(w)
    if not parses:
        return w
    best = parses[0]
    if best.tag.POS in ("PRTF", "PRTS"):
        best = next((p for p in parses[1:] if p.tag.POS in _LEXICAL_POS), best)
    return best.normal_form.replace("ё", "е")


@lru_cache(maxsize=200_000)
def _ru_known(word: str) -> bool:
    return _morph().word_is_known(word)


def kk_stem(word: str) -> str:
    """Stem of one Kazakh word (министрлігінің -> министрлік)."""
    return default_stemmer().stem(word)


@lru_cache(maxsize=400_000)
def _normalize(w: str, lang: str) -> str:
    if not is_cyrillic(w):
        return w
    if lang == "kk" or has_kazakh_letters(w):
        return kk_stem(w)
    if lang == "ru":
        return ru_lemma(w)
    if w in _kk_homographs():
        return kk_stem(w)
    if _ru_known(w.replace("ё", "е")) or w.endswith(_ru_endings()):
        return ru_lemma(w)
    return kk_stem(w)


@lru_cache(maxsize=1)
def _kk_homographs() -> frozenset[str]:
    return load_word_list("kk_ru_homographs.txt")


@lru_cache(maxsize=1)
def _ru_endings() -> tuple[str, ...]:
    return tuple(load_word_list("ru_endings.txt"))


def normalize(word: str, lang: str) -> str:
    """Lemma (ru) or stem (kk) of one word, lower-cased."""
    return _normalize(fold(word.strip()), lang)


@lru_cache(maxsize=4)
def stop_words(lang: str) -> frozenset[str]:
    """The stop list for "kk", "ru", or both for anything else."""
    if lang == "kk":
        return load_word_list("kk_stopwords.txt")
    if lang == "ru":
        return load_word_list("ru_stopwords.txt")
    return load_word_list("kk_stopwords.txt") | load_word_list("ru_stopwords.txt")


# One pass of one regex; alternatives in priority order:
#   мк-1/21, pm2.5 : letters joined to digits (document codes, pollutants)
#   351, 1/21, 806,40, 400-vi, 351-п, 1-ші : numbers with an optional short tail
#   words, hyphenated words (сондай-ақ, БҰҰ-ның) : split below
_TOKEN = re.compile(
    r"[^\W\d_]{1,6}-\d+(?:[./-]\d+)*"
    r"|[^\W\d_]+\d+(?:[.,]\d+)?"
    r"|\d+(?:[./,]\d+)*(?:-[^\W\d_]{1,3}\b)?"
    r"|[^\W\d_]+(?:[-‐‑'’][^\W\d_]+)*"
)
_HYPHENS = re.compile(r"[-‐‑]")


def tokenize(text: str) -> list[str]:
    """Raw word and number tokens of `text` (no lower-casing, no filtering)."""
    return _TOKEN.findall(text)


@lru_cache(maxsize=400_000)
def _word_terms(token: str, lang: str) -> tuple[str, ...]:
    w = fold(token)
    if w[0].isdigit():
        head, _, tail = w.partition("-")
        # 2022-ге, 1-ші: a Kazakh case or ordinal ending on a number; one
        # letter (351-п, 45-н) is part of a document number
        if len(tail) >= 2 and (default_stemmer().is_suffix(tail) or tail in ("ншы", "нші", "ыншы", "інші", "шы", "ші")):
            return (head,)
        return (w,)
    if any(ch.isdigit() for ch in w):
        return (w,)
    stops = stop_words(lang)
    if w in stops:
        return ()
    parts = _HYPHENS.split(w) if _HYPHENS.search(w) else [w]
    out = []
    for i, part in enumerate(parts):
        if i > 0 and default_stemmer().is_suffix(part):
            continue  # БҰҰ-ның: the ending belongs to the acronym
        if len(part) < 2 or part in stops:
            continue
        norm = normalize(part, lang)
        # Russian inflections are listed by lemma (которых -> который); Kazakh
        # stems are not checked: ал (stop word) is also the stem of алу (take)
        if norm in stops and (lang == "ru" or (lang != "kk" and not has_kazakh_letters(part) and _ru_known(part))):
            continue
        out.append(norm)
    return tuple(out)


def terms(text: str, lang: str) -> list[str]:
    """Lexical index terms of a text: normalised words, stop words dropped."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        out.extend(_word_terms(token, lang))
    return out


def query_terms(text: str, lang: str | None) -> set[str]:
    """Unique terms of a query. When its language is unsure (None, "mixed"), the
    union of both analyses, so it matches a passage whichever way its words were
    analysed (lemma or stem)."""
    if lang in ("kk", "ru"):
        return set(terms(text, lang))
    return set(terms(text, "kk")) | set(terms(text, "ru"))
