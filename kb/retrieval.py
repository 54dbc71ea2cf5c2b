"""Hybrid retrieval: dense (multilingual e5) and lexical (lemmas/stems) candidates, fused.

Dense vectors carry meaning across languages, so a Kazakh question finds a Russian
act; lexical terms carry exact words, numbers and names ("№ 351", "Бөкейорда")
that embeddings blur. Fusion options:

- ``dbsf`` (the default): Qdrant's distribution-based score fusion over both
  prefetches: each list's scores are normalised by their mean +- 3 sigma and
  summed. One engine call, no weight to tune, and the best of the three on
  bench/search.py (see bench/results/search.md);
- ``rrf``: Qdrant's reciprocal-rank fusion (rank-based; weaker here because it
  ignores how far ahead the top lexical match is);
- ``weighted``: both searches run separately, scores min-max normalised and mixed
  with ``dense_weight``.

Lexical scores of passages in the other language than the query's are kept as
they are: they come from shared numbers, names and Latin words, and down-weighting
them measured worse, also on cross-language pairs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from dataclasses import dataclass
from typing import Literal

import numpy as np

from kb.embeddings import Embedder
from kb.highlight import snippet
from kb.index.base import ScoredPoint, SparseVec, VectorStore
from kb.index.sparse import query_from_terms
from kb.lang import query_terms
from kb.langid import detect
from kb.models import DocumentRef, Entity, Hit, SearchFilters, SearchRequest, SearchResponse

Fusion = Literal["rrf", "dbsf", "weighted"]


def _other_lang(lang: str) -> str | None:
    return {"kk": "ru", "ru": "kk"}.get(lang)


def _minmax(points: list[ScoredPoint]) -> dict[str, float]:
    if not points:
        return {}
    scores = [p.score for p in points]
    lo, hi = min(scores), max(scores)
    if hi == lo:  # one candidate, or all tied: each is as good as the best
        return {p.id: 1.0 for p in points}
    return {p.id: (p.score - lo) / (hi - lo) for p in points}


@dataclass
class Retriever:
    store: VectorStore
    embedder: Embedder
    fusion: Fusion = "dbsf"
    dense_weight: float = 0.5
    candidates: int = 60
    # Deepest candidate list one_per_doc asks for (each candidate carries its payload).
    max_candidates: int = 2000
    entities_for: Callable[[str, int, int], list[Entity]] | None = None

    def __post_init__(self) -> None:
        # An answer runs two searches (own and other language) and scores sentences
        # against the same question: embed each query once, not three times. Kept small:
        # it is for the calls of one request, not a result cache.
        self.query_vector = lru_cache(maxsize=8)(self._embed_query)

    def _embed_query(self, q: str) -> np.ndarray:
        return self.embedder.encode_queries([q])[0]

    def query_lang(self, q: str) -> str:
        return detect(q)

    def _filters(self, req: SearchRequest, qlang: str) -> SearchFilters:
        filters = SearchFilters.model_validate(req.model_dump(include=set(SearchFilters.model_fields)))
        if req.cross_lingual and _other_lang(qlang):
            filters.lang = [_other_lang(qlang)]
        return filters

    def _vectors(
        self, req: SearchRequest, words: set[str]
    ) -> tuple[list[float] | None, SparseVec | None]:
        """The query's dense and sparse vectors, each None when the mode does not use it."""
        dense = self.query_vector(req.q).tolist() if req.mode != "lexical" else None
        sparse = query_from_terms(words) if req.mode != "dense" else None
        return dense, (sparse or None)

    def _candidates(
        self, dense: list[float] | None, sparse: SparseVec | None, filters: SearchFilters, limit: int
    ) -> list[ScoredPoint]:
        if dense is None and sparse is None:
            return []
        if dense is None or sparse is None:
            return self.store.search(dense=dense, sparse=sparse, filters=filters, limit=limit)
        if self.fusion in ("rrf", "dbsf"):
            return self.store.search(
                dense=dense, sparse=sparse, filters=filters, limit=limit,
                fusion=self.fusion, prefetch_limit=max(limit, self.candidates),
            )
        n = max(limit, self.candidates)
        dense_hits = self.store.search(dense=dense, sparse=None, filters=filters, limit=n)
        lexical_hits = self.store.search(dense=None, sparse=sparse, filters=filters, limit=n)
        d, s = _minmax(dense_hits), _minmax(lexical_hits)
        payloads = {p.id: p.payload for p in dense_hits + lexical_hits}
        fused = {
            pid: self.dense_weight * d.get(pid, 0.0) + (1 - self.dense_weight) * s.get(pid, 0.0)
            for pid in payloads
        }
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:limit]
        return [ScoredPoint(id=pid, score=score, payload=payloads[pid]) for pid, score in ranked]

    def _best_per_doc(
        self, dense: list[float] | None, sparse: SparseVec | None, filters: SearchFilters, want: int
    ) -> list[ScoredPoint]:
        """The best passage of each document, `want` documents if the index has them.

        One long document (a Code chapter) can fill the first hundred passages, so
        the candidate list is deepened until it holds enough distinct documents or
        the index runs out of matches.
        """
        limit = max(want * 4, self.candidates)
        while True:
            points = self._candidates(dense, sparse, filters, limit)
            seen: set[str] = set()
            unique = []
            for p in points:
                if p.payload["doc_id"] not in seen:
                    seen.add(p.payload["doc_id"])
                    unique.append(p)
            if len(unique) >= want or len(points) < limit or limit >= self.max_candidates:
                return unique
            limit = min(limit * 4, self.max_candidates)

    def search(self, req: SearchRequest) -> SearchResponse:
        t0 = time.perf_counter()
        qlang = self.query_lang(req.q)
        filters = self._filters(req, qlang)
        want = req.offset + req.top_k
        # The same terms drive the lexical vector and the snippet's marks.
        words = query_terms(req.q, qlang)
        dense, sparse = self._vectors(req, words)
        if req.one_per_doc:
            points = self._best_per_doc(dense, sparse, filters, want)
        else:
            points = self._candidates(dense, sparse, filters, want)
        hits = [self._hit(p, words) for p in points[req.offset:want]]
        return SearchResponse(
            query=req.q, query_lang=qlang, total=len(points), hits=hits,
            took_ms=round((time.perf_counter() - t0) * 1000, 1),
        )

    def _hit(self, p: ScoredPoint, words: set[str]) -> Hit:
        pl = p.payload
        text = pl["text"]
        snip, matched = snippet(text, words, pl.get("passage_lang") or pl["lang"])
        entities = self.entities_for(pl["doc_id"], pl["start"], pl["end"]) if self.entities_for else []
        return Hit(
            score=round(float(p.score), 5),
            text=text,
            snippet=snip,
            document=DocumentRef(
                id=pl["doc_id"], source=pl["source"], title=pl["title"], lang=pl["lang"],
                genre=pl["genre"], date=pl.get("date"),
            ),
            passage_id=p.id,
            block_path=pl.get("block_path") or "",
            page=pl.get("page"),
            start=pl["start"],
            end=pl["end"],
            entities=entities,
            match=("terms: " + ", ".join(matched)) if matched else "meaning (no shared words)",
            act_id=pl.get("act_id"),
        )
