"""Search quality: Recall@10, nDCG@10 and MRR for lexical, dense and hybrid retrieval.

Same-language runs restrict results to documents in the query's language (both
language versions are indexed); cross-language runs restrict them to the other
language, which is the same as indexing only the other language's version of
each act. Seeds exist in one language only, so a query whose relevant documents
have no version in the target language is left out of that run.

    python -m bench.search                 # ingests corpora/ into bench/out/kb once, then evaluates
    python -m bench.search --fusions rrf dbsf weighted --weights 0.5 0.6 0.7 0.8
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
    ap.add_argument("--fusions", nargs="+", default=["weighted", "rrf"])
    ap.add_argument("--weights", nargs="+", type=float, default=[0.7])
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    kb = open_kb(args.data_dir)
    queries = load_queries()
    retriever = kb.retriever
    configs = [("lexical", "-", None), ("dense", "-", None)]
    for fusion in args.fusions:
        for w in args.weights if fusion == "weighted" else [None]:
            configs.append(("hybrid", fusion, w))
    rows = []
    for mode, fusion, w in configs:
        if mode == "hybrid":
            retriever.fusion = fusion
            if w is not None:
                retriever.dense_weight = w
        for pair in PAIRS:
            qrels, run = run_queries(kb, queries, mode, pair)
            res = evaluate(Qrels(qrels), Run(run), METRICS, make_comparable=True)
            label = mode if mode != "hybrid" else f"hybrid/{fusion}" + (f"/w={w}" if w is not None else "")
            rows.append((label, pair, len(qrels), *(res[m] for m in METRICS)))
    print(f"\n{'retrieval':<22} {'pair':<6} {'n':>3} " + " ".join(f"{m:>10}" for m in METRICS))
    for label, pair, n, *vals in rows:
        print(f"{label:<22} {pair:<6} {n:>3} " + " ".join(f"{v:>10.3f}" for v in vals))


if __name__ == "__main__":
    main()
