"""Search quality: Recall@10, nDCG@10 and MRR for lexical, dense and hybrid retrieval.

Same-language runs restrict results to documents in the query's language (both
language versions are indexed); cross-language runs restrict them to the other
language, which is the same as indexing only the other language's version of
each act. Seeds exist in one language only, so a query whose relevant documents
have no version in the target language is left out of that run.

    python -m bench.search                 # ingests corpora/ into bench/out/kb once, then evaluates
    python -m bench.search --fusions rrf dbsf weighted --weights 0.4 0.5 0.6
    python -m bench.search --fusions dbsf --candidates 30 60 120 --skip-halves
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ranx import Qrels, Run, evaluate

from bench.evaldata import doc_key, doc_langs, load_queries
from kb.config import Settings
from kb.models import SearchRequest
from kb.service import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
METRICS = ["ndcg@10", "recall@10", "mrr"]


def open_kb(data_dir: Path) -> KnowledgeBase:
    kb = KnowledgeBase(Settings(data_dir=data_dir, corpora_dir=ROOT / "corpora"))
    if len(kb.docs) == 0:
        report = kb.ingest([ROOT / "corpora"])
        print(f"ingested: {report}")
    return kb


PAIRS = {
    "all": lambda lang: ("kk", "ru"),  # no language filter: what a user gets by default
    "same": lambda lang: (lang,),
    "cross": lambda lang: ({"kk": "ru", "ru": "kk"}[lang],),
}


def run_queries(kb: KnowledgeBase, queries, mode: str, pair: str) -> tuple[dict, dict]:
    qrels, run = {}, {}
    for q in queries:
        target = PAIRS[pair](q.lang)
        grades = {k: g for k, g in q.grades().items() if set(doc_langs(k)) & set(target)}
        if not grades:
            continue
        lang = list(target) if pair != "all" else []
        # Both language versions of an act map to one key, so ask for extra hits
        # and keep the first occurrence of each key.
        resp = kb.search(SearchRequest(q=q.text, top_k=20, mode=mode, one_per_doc=True, lang=lang))
        scores: dict[str, float] = {}
        for hit in resp.hits:
            key = doc_key(hit.document.source)
            if key not in scores and len(scores) < 10:
                scores[key] = float(100 - len(scores))
        qrels[q.id] = grades
        run[q.id] = scores or {"__none__": 0.0}
    return qrels, run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb")
    ap.add_argument("--fusions", nargs="+", default=["dbsf", "rrf", "weighted"])
    ap.add_argument("--weights", nargs="+", type=float, default=[0.5])
    ap.add_argument("--candidates", nargs="+", type=int, default=[None],
                    help="hybrid candidate depth per side (Retriever.candidates); default: the shipped value")
    ap.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    ap.add_argument("--skip-halves", action="store_true", help="only the hybrid rows")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    kb = open_kb(args.data_dir)
    queries = load_queries()
    retriever = kb.retriever
    shipped = (retriever.fusion, retriever.dense_weight, retriever.candidates)
    print(f"shipped: fusion={shipped[0]} dense_weight={shipped[1]} candidates={shipped[2]}")
    configs = [] if args.skip_halves else [("lexical", "-", None, None), ("dense", "-", None, None)]
    for fusion in args.fusions:
        for w in args.weights if fusion == "weighted" else [None]:
            for depth in args.candidates:
                configs.append(("hybrid", fusion, w, depth))
    rows = []
    for mode, fusion, w, depth in configs:
        if mode == "hybrid":
            retriever.fusion = fusion
            retriever.dense_weight = w if w is not None else shipped[1]
            retriever.candidates = depth or shipped[2]
        for pair in args.pairs:
            qrels, run = run_queries(kb, queries, mode, pair)
            res = evaluate(Qrels(qrels), Run(run), METRICS, make_comparable=True)
            label = mode if mode != "hybrid" else f"hybrid/{fusion}" + (f"/w={w}" if w is not None else "")
            if depth:
                label += f"/depth={depth}"
            rows.append((label, pair, len(qrels), *(res[m] for m in METRICS)))
    width = max(22, *(len(r[0]) for r in rows))
    print(f"\n{'retrieval':<{width}} {'pair':<6} {'n':>3} " + " ".join(f"{m:>10}" for m in METRICS))
    for label, pair, n, *vals in rows:
        print(f"{label:<{width}} {pair:<6} {n:>3} " + " ".join(f"{v:>10.3f}" for v in vals))


if __name__ == "__main__":
    main()
