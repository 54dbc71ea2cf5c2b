"""spaCy pipelines for Kazakh and Russian text: `get_nlp(lang)`.

`get_nlp("ru")` is a blank Russian pipeline, `get_nlp("kk")` our blank Kazakh
one (kb/lang/kazakh.py); "mixed" or anything else gets the Russian one, whose
tokenizer also handles Kazakh letters. Each has, in order:

The Russian tokenizer gets the legal abbreviations of kb/data/abbreviations.yaml
(пп., абз., ч., утв.) as special cases, the Kazakh one has them built in.

* ``kb_list_markers``: marks numbered points ("1.", "2)", "а)") at the start of
  a line or after ".;:" as sentence starts and keeps the sentencizer from
  splitting between the number and its text;
* ``sentencizer``: spaCy's rule-based sentence splitter;
* ``kb_normalizer``: sets ``token._.norm_form`` to the lemma (ru) or stem (kk)
  of each word, chosen per word as `kb.lang.normalize` does.

Pipelines are cached per language: one object per process. Adding a component
(entities, obligations):

    from spacy.language import Language
    from kb.lang.pipeline import get_nlp

    @Language.component("kb_obligations")
    def kb_obligations(doc):
        ...
        return doc

    nlp = get_nlp("kk")
    if "kb_obligations" not in nlp.pipe_names:
        nlp.add_pipe("kb_obligations", last=True)

Add it once (check `pipe_names`, as above, since the object is shared) and
register Doc/Token extensions with `set_extension(..., force=True)` or behind a
`has_extension` check, as `ensure_extensions()` does here. Components that need
sentences go after "sentencizer"; `after="kb_normalizer"` gives them
`token._.norm_form`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

import kb.lang.kazakh  # noqa: F401  (registers spacy.blank("kk"))
from kb.lang import normalize
from kb.lang.kazakh import abbreviation_exceptions

# Sentence-final characters for the sentencizer: spaCy's defaults cover these
# but we keep the list short and explicit; ";" and ":" do not end sentences in
# legal text (they separate the items of one enumerated provision).
PUNCT_CHARS = [".", "!", "?", "…", "。", "！", "？"]
_MARKER = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})*|[а-яәғқңөұүһіa-z])$", re.IGNORECASE)
_MARKER_END = {".", ")"}


def ensure_extensions() -> None:
    """Register the Token/Doc extensions this package sets (idempotent)."""
    if not Token.has_extension("norm_form"):
        Token.set_extension("norm_form", default=None)
    if not Doc.has_extension("kb_lang"):
        Doc.set_extension("kb_lang", default=None)


def _line_start(doc: Doc, i: int) -> bool:
    """True if token i begins a line, the doc, or follows a . ; : token."""
    if i == 0:
        return True
    prev = doc[i - 1]
    return "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text) or prev.text in {".", ";", ":"}


@Language.component("kb_list_markers")
def kb_list_markers(doc: Doc) -> Doc:
    n = len(doc)
    for i in range(n - 1):
        tok, nxt = doc[i], doc[i + 1]
        if nxt.text in _MARKER_END and _MARKER.match(tok.text) and not tok.whitespace_ and _line_start(doc, i):
            tok.is_sent_start = True
            nxt.is_sent_start = False
            if i + 2 < n:
                doc[i + 2].is_sent_start = False
    return doc


@Language.factory("kb_normalizer", default_config={"lang": "mixed"})
def make_kb_normalizer(nlp: Language, name: str, lang: str):
    ensure_extensions()

    def kb_normalizer(doc: Doc) -> Doc:
        doc._.kb_lang = lang
        for tok in doc:
            if tok.is_alpha or tok.like_num:
                tok._.norm_form = normalize(tok.text, lang)
        return doc

    return kb_normalizer


@lru_cache(maxsize=4)
def get_nlp(lang: str) -> Language:
    """The shared pipeline for "kk", "ru" or anything else (mixed)."""
    ensure_extensions()
    base = "kk" if lang == "kk" else "ru"
    nlp = spacy.blank(base)
    if base == "ru":
        # spaCy's Russian exceptions know ст. and г. but not пп., абз., ч., утв.
        for text, attrs in abbreviation_exceptions("ru").items():
            nlp.tokenizer.add_special_case(text, attrs)
    nlp.add_pipe("kb_list_markers")
    nlp.add_pipe("sentencizer", config={"punct_chars": PUNCT_CHARS})
    nlp.add_pipe("kb_normalizer", config={"lang": lang if lang in ("kk", "ru") else "mixed"})
    return nlp
