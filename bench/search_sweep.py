"""Sweep of search settings on the evaluation queries: fusions, weights, chunking, BM25.

bench/search.py measures the configuration the service ships. This script is how
that configuration was chosen: it reuses the documents already stored by
bench/search.py (parsed and tagged once), embeds each query once, fetches the dense
and the lexical candidate lists once per query and language pair, and then scores
every fusion variant on those cached lists (pure Python, seconds). Chunking and
BM25 variants rebuild a temporary index from the stored documents.

    python -m bench.search_sweep                       # fusion sweep on the current chunking
    python -m bench.search_sweep --chunking            # also rebuild with other passage sizes/contexts
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ranx import Qrels, Run, evaluate

from bench.evaldata import doc_key, doc_langs, load_queries
from bench.search import METRICS, PAIRS, ROOT
from kb.config import Settings
from kb.index.base import ScoredPoint
from kb.langid import detect
from kb.models import SearchFilters

DEPTH = 100


def minmax(points: list[ScoredPoint]) -> dict[str, float]:
    if not points:
        return {}
    lo, hi = min(p.score for p in points), max(p.score for p in points)
    if hi == lo:
        return {p.id: 1.0 for p in points}
    return {p.id: (p.score - lo) / (hi - lo) for p in points}


def dbsf(points: list[ScoredPoint]) -> dict[str, float]:
    """Qdrant's distribution-based normalisation: mean +- 3 sigma mapped to [0, 1]."""
    if not points:
        return {}
    xs = [p.score for p in points]
    mu = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - mu) ** 2 for x in xs) / len(xs)) or 1.0
    lo, hi = mu - 3 * sd, mu + 3 * sd
    return {p.id: min(1.0, max(0.0, (p.score - lo) / (hi - lo))) for p in points}


def rrf(points: list[ScoredPoint], k: int = 60) -> dict[str, float]:
    return {p.id: 1.0 / (k + r + 1) for r, p in enumerate(points)}


def fuse_weighted(norm: Callable, w: float, cross: float = 1.0):
    """w * dense + (1 - w) * lexical; lexical of a passage in another language than the query's times `cross`."""

    def fuse(dense, lexical, qlang):
        d, s = norm(dense), norm(lexical)
        payloads = {p.id: p.payload for p in dense + lexical}
        out = {}
        for pid, pl in payloads.items():
            lw = (1 - w) * (1.0 if pl.get("passage_lang", pl["lang"]) == qlang else cross)
            out[pid] = w * d.get(pid, 0.0) + lw * s.get(pid, 0.0)
        return out, payloads

    return fuse


def only(which: str):
    def fuse(dense, lexical, qlang):
        pts = dense if which == "dense" else lexical
        return {p.id: p.score for p in pts}, {p.id: p.payload for p in pts}

    return fuse


def collect(store, embedder, queries, pairs=PAIRS, depth=DEPTH):
    """(query, pair) -> (dense list, lexical list, qlang) fetched once."""
    from kb.index.sparse import query_sparse

    vecs = embedder.encode_queries([q.text for q in queries])
    cache = {}
    for q, vec in zip(queries, vecs):
        qlang = detect(q.text)
        sparse = query_sparse(q.text, qlang)
        for pair in pairs:
            target = PAIRS[pair](q.lang)
            grades = {k: g for k, g in q.grades().items() if set(doc_langs(k)) & set(target)}
            if not grades:
                continue
            f = SearchFilters(lang=list(target)) if pair != "all" else None
            dense = store.search(dense=vec.tolist(), sparse=None, filters=f, limit=depth)
            lexical = store.search(dense=None, sparse=sparse, filters=f, limit=depth) if sparse else []
            cache[q.id, pair] = (dense, lexical, qlang, grades)
    return cache


def score(cache, fuse, pairs=PAIRS) -> dict[str, dict[str, float]]:
    out = {}
    for pair in pairs:
        qrels, run = {}, {}
        for (qid, p), (dense, lexical, qlang, grades) in cache.items():
            if p != pair:
                continue
            fused, payloads = fuse(dense, lexical, qlang)
            ranked: dict[str, float] = {}
            for pid, _ in sorted(fused.items(), key=lambda kv: kv[1], reverse=True):
                key = doc_key(payloads[pid]["source"])
                if key not in ranked:
                    ranked[key] = float(100 - len(ranked))
                if len(ranked) == 10:
                    break
            qrels[qid] = grades
            run[qid] = ranked or {"__none__": 0.0}
        res = evaluate(Qrels(qrels), Run(run), METRICS, make_comparable=True)
        out[pair] = {m: float(res[m]) for m in METRICS}
    return out


FUSIONS: dict[str, Callable] = {
    "lexical": only("lexical"),
    "dense": only("dense"),
    **{f"rrf k=60 (client)": lambda d, s, q: _rrf(d, s, q, 60, 1.0, 1.0)},
    **{f"weighted minmax w={w}": fuse_weighted(minmax, w) for w in (0.3, 0.4, 0.5, 0.6, 0.7)},
    **{
        f"weighted minmax w={w} cross-lex x{c}": fuse_weighted(minmax, w, c)
        for w in (0.4, 0.5, 0.6) for c in (0.0, 0.25, 0.5)
    },
    **{f"weighted dbsf w={w}": fuse_weighted(dbsf, w) for w in (0.4, 0.5, 0.6)},
    **{f"weighted dbsf w={w} cross-lex x{c}": fuse_weighted(dbsf, w, c) for w in (0.4, 0.5, 0.6) for c in (0.25, 0.5)},
}


def _rrf(dense, lexical, qlang, k, wd, wl):
    d, s = rrf(dense, k), rrf(lexical, k)
    payloads = {p.id: p.payload for p in dense + lexical}
    return {pid: wd * d.get(pid, 0.0) + wl * s.get(pid, 0.0) for pid in payloads}, payloads


def print_table(title: str, results: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"\n## {title}\n")
    print(f"| {'variant':<40} | " + " | ".join(f"{p} nDCG | {p} R@10 | {p} MRR" for p in PAIRS) + " |")
    print("|" + "---|" * (1 + 3 * len(PAIRS)))
    for name, res in results.items():
        cells = " | ".join(f"{res[p]['ndcg@10']:.3f} | {res[p]['recall@10']:.3f} | {res[p]['mrr']:.3f}" for p in PAIRS)
        print(f"| {name:<40} | {cells} |", flush=True)


_VECTORS: dict = {}


def build_index(docs, embedder, path: Path, max_tokens: int, prose_tokens: int, context: bool, sparse_context: bool,
                bm25: tuple[float, float] | None = None):
    import kb.chunking as chunking
    import kb.index.sparse as sparse_mod
    from kb.index.base import IndexPoint
    from kb.index.edge import EdgeStore
    from kb.index.sparse import doc_sparse
    from kb.indexer import passage_payload

    saved = chunking.MAX_TOKENS, chunking.PROSE_TOKENS, sparse_mod.K1, sparse_mod.B
    chunking.MAX_TOKENS, chunking.PROSE_TOKENS = max_tokens, prose_tokens
    if bm25:
        sparse_mod.K1, sparse_mod.B = bm25
    try:
        store = EdgeStore(path)
        store.ensure_collection(embedder.dim)
        n = 0
        for doc in docs:
            passages = chunking.chunk_document(doc, count=embedder.count_tokens)
            full = [f"{p.context}\n{p.text}" if p.context else p.text for p in passages]
            key = (doc.id, max_tokens, prose_tokens, context)
            if key not in _VECTORS:
                _VECTORS[key] = embedder.encode_passages(full if context else [p.text for p in passages])
            vecs = _VECTORS[key]
            store.upsert([
                IndexPoint(p.id, v.tolist(), doc_sparse(t if sparse_context else p.text, p.lang), passage_payload(doc, p))
                for p, v, t in zip(passages, vecs, full)
            ])
            n += len(passages)
        store.optimize()
        return store, n
    finally:
        chunking.MAX_TOKENS, chunking.PROSE_TOKENS, sparse_mod.K1, sparse_mod.B = saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb-search")
    ap.add_argument("--chunking", action="store_true", help="also rebuild the index with other chunk settings")
    ap.add_argument("--fusion", nargs="*", default=None, help="fusion variants for chunking runs")
    ap.add_argument("--sparse-text", action="store_true",
                    help="lexical vectors of the passage text alone (no context line): weights and BM25")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from kb.embeddings import get_embedder
    from kb.index.edge import EdgeStore
    from kb.store import DocStore

    settings = Settings(data_dir=args.data_dir, corpora_dir=ROOT / "corpora")
    embedder = get_embedder(settings)
    queries = load_queries()
    store = EdgeStore(settings.qdrant_dir)
    cache = collect(store, embedder, queries)
    store.close()
    print_table(f"fusion variants, index in {args.data_dir.name} ({len(queries)} queries)",
                {name: score(cache, f) for name, f in FUSIONS.items()})

    if args.chunking:
        docs = list(DocStore(settings))
        keep = args.fusion or ["lexical", "dense", "weighted minmax w=0.5", "weighted minmax w=0.5 cross-lex x0.25"]
        variants = [
            (380, 200, True, True, None), (380, 200, True, False, None), (380, 200, False, False, None),
            (380, 200, True, True, (1.2, 0.3)), (380, 200, True, True, (1.5, 0.75)), (380, 200, True, True, (0.9, 0.4)),
            (250, 150, True, True, None), (480, 250, True, True, None), (160, 100, True, True, None),
        ]
        if args.sparse_text:
            variants = [(380, 200, True, False, None), (380, 200, True, False, (1.2, 0.5)),
                        (380, 200, True, False, (0.9, 0.4))]
        for max_tokens, prose, ctx, sctx, bm25 in variants:
            tmp = Path(tempfile.mkdtemp(prefix="kb-sweep-"))
            try:
                store, n = build_index(docs, embedder, tmp / "q", max_tokens, prose, ctx, sctx, bm25)
                cache = collect(store, embedder, queries)
                store.close()
                label = (f"MAX_TOKENS={max_tokens} PROSE={prose} context: dense={ctx} sparse={sctx}"
                         f"{f' BM25 k1,b={bm25}' if bm25 else ''}; {n} passages")
                print_table(label, {name: score(cache, FUSIONS[name]) for name in keep})
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
