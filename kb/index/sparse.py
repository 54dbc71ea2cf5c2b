"""Sparse lexical vectors: BM25 term-frequency weights over our analyser's terms.

Terms come from `kb.lang.terms` (Russian lemmas, Kazakh stems), so "отходов"
and "отходы" (or "қалдықтарды" and "қалдықтар") meet on one index. Qdrant's IDF
modifier multiplies in the inverse document frequency at query time, so the
document side stores only the saturated, length-normalised term frequency and
the query side a weight of 1 per unique term: their dot product is BM25.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from kb.index.base import SparseVec
from kb.lang import query_terms, terms

# BM25 parameters (Robertson's usual values).
K1 = 1.2
B = 0.75
# A fixed average length keeps each passage's weights independent of the rest of
# the corpus, so adding documents never requires re-weighting stored vectors.
# ~ terms in a typical passage of a few sentences after stop-word removal.
AVG_LEN = 60.0



def term_index(term: str) -> int:
    """Stable uint32 index of a term (same in every process and release, unlike hash())."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


def weights_from_counts(counts: Counter[str] | dict[str, int], length: int | None = None) -> SparseVec:
    """BM25 document weights of term counts; `length` defaults to the total count."""
    if length is None:
        length = sum(counts.values())
    norm = K1 * (1.0 - B + B * length / AVG_LEN)
    merged: dict[int, float] = {}
    for term, tf in counts.items():
        if tf <= 0:
            continue
        idx = term_index(term)
        # Two terms hashing to one index (rare) add up rather than overwrite.
        merged[idx] = merged.get(idx, 0.0) + tf * (K1 + 1.0) / (tf + norm)
    indices = sorted(merged)
    return SparseVec(indices, [merged[i] for i in indices])


def doc_sparse(text: str, lang: str | None) -> SparseVec:
    """Sparse vector of a passage to index.

    A "mixed" (or unknown, None) passage goes to the analyser as "mixed", which
    decides word by word; unioning both analyses here would count every word
    twice and inflate the passage's length.
    """
    return weights_from_counts(Counter(terms(text, lang or "mixed")))


def query_sparse(text: str, lang: str | None) -> SparseVec:
    """Sparse vector of a query: weight 1 per unique term (IDF comes from Qdrant).

    Pass lang=None (or "mixed") when the query language is unsure: the terms of
    both analyses are then unioned.
    """
    return query_from_terms(query_terms(text, lang))


def query_from_terms(unique_terms: Iterable[str]) -> SparseVec:
    indices = sorted({term_index(t) for t in unique_terms})
    return SparseVec(indices, [1.0] * len(indices))
