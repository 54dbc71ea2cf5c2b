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

Languages: without a language filter, the query runs once per language (a pool of
kk candidates and one of ru; mixed-language documents join the query's own), each
fused on its own score distribution, then merged (see `_pools`, `_merged`). In one
list the query's own language won on words the other language cannot share, so an
act that exists only in the other language fell out of the top 10 (bench/acts_search.py).

Results: one per act by default (`group="act"`): the act's best passage, and the
act's best passage in its other language as `Hit.other_lang`; `group="document"` (or
`one_per_doc`) one per document; `group="passage"` every passage (what the answerer reads).
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
from kb.index.base import RRF_K, ScoredPoint, SearchArgs, SparseVec, VectorStore
from kb.index.sparse import query_from_terms
from kb.lang import query_terms
from kb.langid import detect
from kb.models import (
    DocumentRef,
    Entity,
    Hit,
    OtherLangPassage,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)

Fusion = Literal["rrf", "dbsf", "weighted"]
PoolMerge = Literal["score", "top", "rrf"]


# What ranking, pooling and grouping read of a candidate. Candidates carry only these;
# the hits of the page get their whole payload (text, title, offsets) in one lookup at
# the end: reading payloads was most of each engine call (1.8 ms per query with the
# text, 0.75 ms with these fields, bench/results/concurrency.md).
RANK_FIELDS = ("doc_id", "act_id", "lang")


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
    # One candidate pool per language, fused per pool (see _pools); False: one pool for all.
    pool_by_lang: bool = True
    # How pools meet: "score" compares their fused scores (DBSF normalises each pool on
    # its own distribution; see other_pool_weight); "top" divides each pool by its best
    # score; "rrf" ranks by reciprocal rank within the pool (both measured worse).
    pool_merge: PoolMerge = "score"
    # In the other language's pool the lexical side matches only names and numbers, so an
    # act that exists only in that language gets a lower fused (DBSF) score than an equally
    # good match in the query's language. Acts that only the other pool reaches have their
    # passages scaled by `other_pool_weight` (all of them, or the other pool's first
    # `other_pool_top`). A trade-off, measured 2026-12-07 (bench/results/acts_search.md,
    # bench/results/scale.md):
    #                                   corpus, act only in the other language   100k passages
    #                                   cross R@10 dev / blind, nDCG@10 dev       nDCG@10
    #   unweighted                      0.928 / 0.900, 0.608                      0.862
    #   x1.5, the first act only        0.928 / 0.900, 0.755                      0.795
    #   x1.5, every such act (shipped)  0.959 / 0.967, 0.780                      0.735
    # The product promises that a question finds an act that exists only in the other
    # language (Recall@10 >= 0.95), so every such act is lifted; in a large index of
    # near-topic documents that costs ranking quality (the afternoon baseline: 0.795).
    # A gate on dense cosines (lift only acts as close to the query as the own language's
    # best) measured worse at 100k: there the dense half ranks strangers high.
    other_pool_weight: float = 1.5
    other_pool_top: int | None = None
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

    def _candidate_lists(
        self, dense: list[float] | None, sparse: SparseVec | None, filters: list[SearchFilters], limit: int
    ) -> list[list[ScoredPoint]]:
        """The top `limit` candidates under each of `filters`, from one batch of engine searches."""
        if dense is None and sparse is None:
            return [[] for _ in filters]
        if dense is None or sparse is None:
            requests = [SearchArgs(dense, sparse, f, limit) for f in filters]
            return self.store.search_many(requests, fields=RANK_FIELDS)
        n = max(limit, self.candidates)
        if self.fusion in ("rrf", "dbsf"):
            requests = [SearchArgs(dense, sparse, f, limit, self.fusion, prefetch_limit=n) for f in filters]
            return self.store.search_many(requests, fields=RANK_FIELDS)
        requests = [r for f in filters for r in (SearchArgs(dense, None, f, n), SearchArgs(None, sparse, f, n))]
        lists = self.store.search_many(requests, fields=RANK_FIELDS)
        return [self._weighted(lists[i], lists[i + 1], limit) for i in range(0, len(lists), 2)]

    def _weighted(self, dense_hits: list[ScoredPoint], lexical_hits: list[ScoredPoint], limit: int) -> list[ScoredPoint]:
        d, s = _minmax(dense_hits), _minmax(lexical_hits)
        payloads = {p.id: p.payload for p in dense_hits + lexical_hits}
        fused = {
            pid: self.dense_weight * d.get(pid, 0.0) + (1 - self.dense_weight) * s.get(pid, 0.0)
            for pid in payloads
        }
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:limit]
        return [ScoredPoint(id=pid, score=score, payload=payloads[pid]) for pid, score in ranked]

    # -- language pools ----------------------------------------------------------------------

    def _pools(self, filters: SearchFilters, qlang: str, pooled: bool = True) -> list[SearchFilters]:
        """The request's filters split into one candidate pool per language.

        In one ranked list the query's own language wins on lexical evidence the
        other language cannot have (shared words), so an act that exists only in the
        other language is crowded out. Each pool is fused (DBSF) on its own score
        distribution, so the best match of each language gets a comparable score.
        Documents of mixed language join the query's own pool (their words can
        match). One pool, the request as is, when the query's language is unknown,
        pooling is off, or the language filter leaves one language.
        """
        other = _other_lang(qlang)
        if not pooled or other is None:
            return [filters]
        allowed = set(filters.lang) or {"kk", "ru", "mixed"}
        own = [lang for lang in (qlang, "mixed") if lang in allowed]
        pools = [filters.model_copy(update={"lang": langs}) for langs in (own, [other] if other in allowed else [])
                 if langs]
        return pools if len(pools) > 1 else [filters]

    def _pooled(
        self, dense: list[float] | None, sparse: SparseVec | None, pools: list[SearchFilters], limit: int,
        prev: list[tuple[list[ScoredPoint], bool]] | None = None,
    ) -> list[tuple[list[ScoredPoint], bool]]:
        """Each pool's top `limit` candidates, and whether the pool ran out (gave fewer).
        A pool that ran out in `prev` is not asked again; the others are one engine batch."""
        ask = [i for i in range(len(pools)) if prev is None or not prev[i][1]]
        fresh = dict(zip(ask, self._candidate_lists(dense, sparse, [pools[i] for i in ask], limit)))
        return [(fresh[i], len(fresh[i]) < limit) if i in fresh else prev[i] for i in range(len(pools))]

    def _merged(self, lists: list[tuple[list[ScoredPoint], bool]], weight: float = 1.0) -> list[ScoredPoint]:
        """The pools' candidates in one ranking (see `pool_merge`); the first pool is the
        query's own language; `weight` scales the first `other_pool_top` acts that only the
        other pools reach."""
        if len(lists) == 1:
            return list(lists[0][0])
        own_acts = {act_of(p) for p in lists[0][0]}
        others = dict.fromkeys(act_of(p) for points, _ in lists[1:] for p in points if act_of(p) not in own_acts)
        lifted = set(list(others)[: self.other_pool_top] if self.other_pool_top is not None else others)
        out = []
        for i, (points, _) in enumerate(lists):
            top = points[0].score if points else 0.0
            for rank, p in enumerate(points):
                if self.pool_merge == "rrf":
                    score = 1.0 / (RRF_K + rank + 1)
                elif self.pool_merge == "top":
                    score = p.score / top if top > 0 else 0.0
                elif i and act_of(p) in lifted:
                    score = p.score * weight
                else:
                    score = p.score
                out.append(ScoredPoint(p.id, score, p.payload))
        return sorted(out, key=lambda p: p.score, reverse=True)

    def _grouped(
        self, dense: list[float] | None, sparse: SparseVec | None, pools: list[SearchFilters], want: int,
        key: Callable[[ScoredPoint], str], weight: float = 1.0,
    ) -> dict[str, list[ScoredPoint]]:
        """Candidates grouped by `key` (document or act), best group first, `want` groups if
        the index has them.

        One long document (a Code chapter) can fill the first hundred passages, so the
        candidate lists are deepened until they hold enough distinct groups or the index
        runs out of matches.
        """
        limit = max(want * 4, self.candidates)
        lists = None
        while True:
            lists = self._pooled(dense, sparse, pools, limit, lists)
            groups: dict[str, list[ScoredPoint]] = {}
            for p in self._merged(lists, weight):
                groups.setdefault(key(p), []).append(p)
            if len(groups) >= want or all(done for _, done in lists) or limit >= self.max_candidates:
                return groups
            limit = min(limit * 4, self.max_candidates)

    def _other_passages(
        self, groups: list[list[ScoredPoint]], dense: list[float] | None, sparse: SparseVec | None,
        filters: SearchFilters,
    ) -> list[ScoredPoint | None]:
        """For each act's best passage, the act's best passage in its other language.

        Taken from the other language's pool when the act is there; otherwise from a search
        inside the act's other-language version (all such searches of a page in one engine
        batch; nothing when that version is not indexed or the language filter excludes it).
        """
        allowed = set(filters.lang) or {"kk", "ru"}
        out: list[ScoredPoint | None] = []
        inside: dict[int, SearchFilters] = {}
        for n, points in enumerate(groups):
            best = points[0]
            target = _other_lang(best.payload.get("lang", ""))
            found = next((p for p in points if p.payload.get("lang") == target), None)
            act = best.payload.get("act_id")
            if found is None and target in allowed and act:
                inside[n] = filters.model_copy(update={"lang": [target], "act_id": [act]})
            out.append(found if target in allowed else None)
        for n, points in zip(inside, self._candidate_lists(dense, sparse, list(inside.values()), 1)):
            out[n] = next(iter(points), None)
        return out

    def search(self, req: SearchRequest, *, pooled: bool | None = None) -> SearchResponse:
        """`pooled` overrides `pool_by_lang` for this call (the answerer keeps one list)."""
        t0 = time.perf_counter()
        qlang = self.query_lang(req.q)
        filters = self._filters(req, qlang)
        want = req.offset + req.top_k
        # The same terms drive the lexical vector and the snippet's marks.
        words = query_terms(req.q, qlang)
        dense, sparse = self._vectors(req, words)
        pools = self._pools(filters, qlang, self.pool_by_lang if pooled is None else pooled)
        group = "document" if req.one_per_doc else req.group
        # The weight compensates for the lexical half the other language lacks in a DBSF
        # fusion; raw cosines (dense) or BM25 scores (lexical) compare across pools as they are.
        weight = self.other_pool_weight if dense is not None and sparse and self.fusion == "dbsf" else 1.0
        others: list[ScoredPoint | None] = []
        if group == "passage":
            points = self._merged(self._pooled(dense, sparse, pools, want), weight)[:want]
            total = len(points)
            page = points[req.offset:want]
        else:
            key = (lambda p: p.payload["doc_id"]) if group == "document" else act_of
            groups = list(self._grouped(dense, sparse, pools, want, key, weight).values())
            total = len(groups)
            page = [g[0] for g in groups[req.offset:want]]
            if group == "act":
                others = self._other_passages(groups[req.offset:want], dense, sparse, filters)
        # Candidates carry RANK_FIELDS only: the page's points get their whole payloads in one call.
        full = self.store.payloads([p.id for p in page] + [o.id for o in others if o is not None])
        hits = []
        for p, other in zip(page, others or [None] * len(page)):
            if p.id not in full:  # deleted since it was ranked (a concurrent delete)
                continue
            hit = self._hit(ScoredPoint(p.id, p.score, full[p.id]), words)
            if other is not None and other.id in full:
                hit.other_lang = _other_passage(ScoredPoint(other.id, other.score, full[other.id]))
            hits.append(hit)
        return SearchResponse(
            query=req.q, query_lang=qlang, total=total, hits=hits,
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
            act_id=act_of(p),
        )


def act_of(p: ScoredPoint) -> str:
    """The passage's act; points indexed before acts were known count as their own act."""
    return p.payload.get("act_id") or f"doc-{p.payload['doc_id'][:16]}"


def _other_passage(p: ScoredPoint) -> OtherLangPassage:
    pl = p.payload
    return OtherLangPassage(
        lang=pl["lang"], passage_id=p.id, doc_id=pl["doc_id"], text=pl["text"],
        block_path=pl.get("block_path") or "", start=pl["start"], end=pl["end"],
    )
