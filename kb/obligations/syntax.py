"""Russian dependency syntax for present-tense duties: natasha's news syntax parser (slovnet +
navec; the models ship inside the PyPI packages and run offline).

present.py asks, for a finite verb of a clause, which word is its subject (``nsubj``), its
passive agent (an instrumental ``obl``), or, for a coordinated verb (``conj``), whose subject it
shares. Morphology (pymorphy3) still decides what a verb and an actor head are; the parse only
says which noun belongs to which verb, where "the nearest actor noun" guesses wrong ("Эксплуатирующая
организация, осуществляющая ... (далее – заявитель), направляет").

Bounded: the model loads once per process (~2 s); only clauses that hold a candidate verb are
parsed, at most ``MAX_TOKENS`` tokens each (a longer clause keeps the morphology-only reading).
When natasha is not installed or KB_OBLIGATIONS_SYNTAX=0, ``parse`` returns None and present.py
falls back to morphology alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

MAX_TOKENS = 80
TOKEN = re.compile(r"\w[\w\-]*|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Dep:
    head: int  # index of the head word in the caller's word list, -1 for the root / a punctuation head
    rel: str


@lru_cache(maxsize=1)
def _parser():
    if os.environ.get("KB_OBLIGATIONS_SYNTAX", "1") == "0":
        return None
    try:
        from natasha import NewsEmbedding, NewsSyntaxParser
    except ImportError:  # optional: morphology alone still works
        return None
    return NewsSyntaxParser(NewsEmbedding())


def available() -> bool:
    return _parser() is not None


def parse(core: str, words: list[re.Match]) -> list[Dep] | None:
    """One Dep per word of `words` (WORD matches over `core`), or None when no parse is made."""
    parser = _parser()
    if parser is None:
        return None
    toks = list(TOKEN.finditer(core))
    if not toks or len(toks) > MAX_TOKENS:
        return None
    # map token index -> word index (words are \w runs; punctuation tokens map to None)
    by_start = {w.start(): n for n, w in enumerate(words)}
    tok2word = [by_start.get(t.start()) for t in toks]
    try:
        markup = parser([t.group(0) for t in toks])
    except Exception:  # a model failure must not stop extraction; morphology takes over
        return None
    out: list[Dep] = [Dep(-1, "")] * len(words)
    for k, tok in enumerate(markup.tokens):
        n = tok2word[k] if k < len(tok2word) else None
        if n is None:
            continue
        try:
            h = int(tok.head_id) - 1
        except (TypeError, ValueError):
            h = -1
        head = tok2word[h] if 0 <= h < len(tok2word) and tok2word[h] is not None else -1
        out[n] = Dep(head, tok.rel or "")
    return out
