"""Act-level search in the default mode (no language filter): cross-language and same-language.

What a user gets by default is one result per act, from either language. Measured:

- **cross**: each act is indexed in ONE language only and asked about in the other, with no
  filter, so the other half of the corpus (acts in the query's language) competes as it would
  for a real user. Two indexes alternate the language per act (act i in kk in index A when i is
  even, in ru otherwise; B the reverse); each query runs on the index where its first
  grade-2 act sits in the other language. Queries whose answers are all one-language seeds in
  the query's own language are left out; a seed in the other language counts as cross.
- **same**: every act indexed in both languages (the shipped corpus), no filter.

Judgments name documents (bench/evaldata.py keys); an act is the key without its part
(`kzlaw-151312/ecocode-...` is act `kzlaw-151312`), a seed is its own act; an act's grade is the
best grade of its documents. Hits are mapped to acts the same way (from their source path), the
first 10 distinct acts count. Metrics from ranx.

    python -m bench.acts_search                               # dev split: bench/data/search_queries.yaml
    python -m bench.acts_search --queries bench/data/act_queries.yaml --split blind --label "Rules, blind"
    python -m bench.acts_search --latency 200                 # also p50/p95 of POST /search over HTTP

The knowledge base at --data-dir is brought up to date with --corpora on every run (unchanged
files are skipped); delete the directory after changing chunking or indexing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ranx import Qrels, Run, evaluate

from bench.evaldata import QUERIES_FILE, SearchQuery, doc_key, is_act, load_act_queries, load_queries
from kb.config import Settings
from kb.models import SearchRequest
from kb.service import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "acts_search.md"
METRICS = ["ndcg@10", "recall@10", "mrr"]


def act_of(key: str) -> str:
    """The act of a document key: a code part belongs to its code; a seed is its own act."""
    return key.split("/", 1)[0] if is_act(key) else key


def act_grades(q: SearchQuery) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, grade in q.grades().items():
        out[act_of(key)] = max(grade, out.get(act_of(key), 0))
    return out


# ------------------------------------------------------------------ indexes


def open_kb(data_dir: Path, corpora: Path, model: Path | None) -> KnowledgeBase:
    """The knowledge base at data_dir with every file of `corpora` (unchanged files are skipped,
    so a corpus that gained acts since the last run is brought up to date)."""
    kb = KnowledgeBase(Settings(data_dir=data_dir, corpora_dir=corpora, embedding_model=model))
    report = kb.ingest([corpora])
    print(f"corpus {corpora}: {report.count('added')} added, {report.count('updated')} updated, "
          f"{report.count('unchanged')} unchanged, {len(report.failed)} failed")
    return kb


def points_by_act(kb: KnowledgeBase) -> dict[str, list]:
    """Every stored point with its vectors, grouped by act (from the payload's source path)."""
    from bench.latency import corpus_points

    out: dict[str, list] = {}
    for p in corpus_points(kb.index):
        out.setdefault(act_of(doc_key(p.payload["source"])), []).append(p)
    return out


@dataclass
class Alternation:
    """Which language of each two-language act index A holds (index B holds the other)."""

    lang_in_a: dict[str, str]

    @classmethod
    def of(cls, by_act: dict[str, list]) -> Alternation:
        """Acts indexed in both kk and ru alternate; the rest stay as they are in both indexes."""
        two = [a for a in sorted(by_act) if {"kk", "ru"} <= {p.payload["lang"] for p in by_act[a]}]
        return cls({a: ("kk", "ru")[i % 2] for i, a in enumerate(two)})

    def lang(self, act: str, index: str) -> str | None:
        """The act's language in index "A" or "B" (None: a seed, present as it is in both)."""
        first = self.lang_in_a.get(act)
        if first is None:
            return None
        return first if index == "A" else {"kk": "ru", "ru": "kk"}[first]


def build_half(kb: KnowledgeBase, by_act: dict[str, list], alt: Alternation, index: str, path: Path):
    """An embedded index with each act in one language (as `alt` says for `index`), seeds as they are."""
    from kb.index.base import DENSE, LEXICAL, IndexPoint, SparseVec
    from kb.index.edge import EdgeStore

    store = EdgeStore(path)
    store.ensure_collection(kb.embedder.dim)
    batch = []
    for act, points in by_act.items():
        want = alt.lang(act, index)
        for p in points:
            if want is not None and p.payload["lang"] != want:
                continue
            sv = p.vector.get(LEXICAL)
            sparse = SparseVec(list(sv.indices), list(sv.values)) if sv is not None else SparseVec([], [])
            batch.append(IndexPoint(str(p.id), list(p.vector[DENSE]), sparse, dict(p.payload)))
    for i in range(0, len(batch), 500):
        store.upsert(batch[i : i + 500])
    store.flush()
    return store


# ------------------------------------------------------------------ runs


def ranked_acts(search: Callable[[SearchRequest], object], q: SearchQuery) -> dict[str, float]:
    resp = search(SearchRequest(q=q.text, top_k=10))
    scores: dict[str, float] = {}
    for hit in resp.hits:
        act = act_of(doc_key(hit.document.source))
        if act not in scores:
            scores[act] = float(100 - len(scores))
    return scores or {"__none__": 0.0}


def cross_queries(
    queries: list[SearchQuery], alt: Alternation, langs_of: dict[str, str]
) -> list[tuple[SearchQuery, str]]:
    """(query, index) pairs: the index where the query's first grade-2 act is in the other language."""
    out = []
    for q in queries:
        other = {"kk": "ru", "ru": "kk"}[q.lang]
        best = [a for a, g in act_grades(q).items() if g == 2]
        for index in ("A", "B"):
            langs = [alt.lang(a, index) or langs_of[a] for a in best]
            if langs and langs[0] == other:
                out.append((q, index))
                break
    return out


def score(qrels: dict, run: dict) -> dict[str, float]:
    return evaluate(Qrels(qrels), Run(run), METRICS, make_comparable=True)


@dataclass
class Config:
    label: str
    pool_by_lang: bool
    pool_merge: str = "score"
    other_pool_weight: float = 1.0
    other_pool_top: int | None = None


CONFIGS = [
    Config("one pool (before)", False),
    Config("pool per language, DBSF scores as they are", True, "score", 1.0),
    Config("pool per language, every act only in the other pool x1.5 (shipped)", True, "score", 1.5),
    Config("pool per language, every act only in the other pool x2.0", True, "score", 2.0),
    Config("pool per language, the other pool's first act x1.5", True, "score", 1.5, 1),
    Config("pool per language, the other pool's first 2 acts x1.5", True, "score", 1.5, 2),
    Config("pool per language, the other pool's first 2 acts x2.0", True, "score", 2.0, 2),
]


def evaluate_configs(kb, halves, by_act, queries, alt) -> list[tuple[str, str, int, dict, list[str]]]:
    from kb.retrieval import Retriever

    rows = []
    base = kb.retriever
    shipped = (base.pool_by_lang, base.pool_merge, base.other_pool_weight, base.other_pool_top)
    # An act in one language only (a seed) is in that language in both indexes.
    langs_of = {a: pts[0].payload["lang"] for a, pts in by_act.items()}
    cross = cross_queries(queries, alt, langs_of)
    for cfg in CONFIGS:
        retrievers = {
            name: Retriever(store, kb.embedder, fusion=base.fusion, dense_weight=base.dense_weight,
                            candidates=base.candidates, pool_by_lang=cfg.pool_by_lang,
                            pool_merge=cfg.pool_merge, other_pool_weight=cfg.other_pool_weight,
                            other_pool_top=cfg.other_pool_top)
            for name, store in halves.items()
        }
        qrels, run, missed = {}, {}, []
        for q, index in cross:
            qrels[q.id] = act_grades(q)
            run[q.id] = ranked_acts(retrievers[index].search, q)
            if not set(run[q.id]) & set(qrels[q.id]):
                missed.append(q.id)
        rows.append((cfg.label, "cross", len(qrels), score(qrels, run), missed))
        base.pool_by_lang, base.pool_merge, base.other_pool_weight, base.other_pool_top = (
            cfg.pool_by_lang, cfg.pool_merge, cfg.other_pool_weight, cfg.other_pool_top)
        qrels, run, missed = {}, {}, []
        for q in queries:
            qrels[q.id] = act_grades(q)
            run[q.id] = ranked_acts(kb.retriever.search, q)
            if not set(run[q.id]) & set(qrels[q.id]):
                missed.append(q.id)
        rows.append((cfg.label, "same", len(qrels), score(qrels, run), missed))
    base.pool_by_lang, base.pool_merge, base.other_pool_weight, base.other_pool_top = shipped
    return rows


LATENCY_ROWS = [
    # label, Retriever.pool_by_lang, request fields
    ("passages, one pool (the default before)", False, {"group": "passage"}),
    ("one per document, one pool (one_per_doc before)", False, {"one_per_doc": True}),
    ("one per act, pool per language (the default now)", True, {}),
    ("one per act, lang=ru (one pool)", True, {"lang": ["ru"]}),
]


def latency(kb, queries: list[SearchQuery], n: int) -> list[tuple[str, str]]:
    """Client-side ms of POST /api/v1/search per row. The rows take turns request by request,
    so a load spike on the shared machine hits them alike."""
    import http.client
    import json

    from bench.latency import Server, pct, post_json

    wall: dict[str, list[float]] = {label: [] for label, _, _ in LATENCY_ROWS}
    took: dict[str, list[float]] = {label: [] for label, _, _ in LATENCY_ROWS}
    with Server(kb) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        for i in range(n + 5):
            q = queries[i % len(queries)].text
            for label, pooled, extra in LATENCY_ROWS:
                kb.retriever.pool_by_lang = pooled
                # Each row embeds the query itself (the retriever caches the last few queries).
                kb.retriever.query_vector.cache_clear()
                ms, raw = post_json(conn, "/api/v1/search", {"q": q, "top_k": 10, **extra})
                if i >= 5:  # warm-up
                    wall[label].append(ms)
                    took[label].append(json.loads(raw)["took_ms"])
        conn.close()
    kb.retriever.pool_by_lang = True
    return [
        (label, f"p50 {pct(wall[label], 50):.1f} ms, p95 {pct(wall[label], 95):.1f} ms "
                f"(server took_ms p50 {statistics.median(took[label]):.1f})")
        for label, _, _ in LATENCY_ROWS
    ]


# ------------------------------------------------------------------ report


def table(rows, label: str) -> str:
    lines = [f"| retrieval ({label}) | pair | n | nDCG@10 | Recall@10 | MRR | queries with no relevant act in the top 10 |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for cfg, pair, n, res, missed in rows:
        vals = " | ".join(f"{res[m]:.3f}" for m in METRICS)
        lines.append(f"| {cfg} | {pair} | {n} | {vals} | {', '.join(missed) or '-'} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=Path, default=QUERIES_FILE, help="same schema as search_queries.yaml")
    ap.add_argument("--label", default="dev", help="name of the query set in the report")
    ap.add_argument("--split", choices=["dev", "blind"], default=None,
                    help="read --queries as an act-level question file (act_queries.yaml) and keep this split")
    ap.add_argument("--corpora", type=Path, default=ROOT / "corpora")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb-acts")
    ap.add_argument("--model", type=Path, default=None, help="embedding model folder (default: the bundled one)")
    ap.add_argument("--latency", type=int, default=0, help="also time N POST /search requests per row")
    ap.add_argument("--no-write", action="store_true", help=f"print only; do not append to {RESULTS}")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.split:  # the act-level question file (bench/data/act_queries.yaml) and one of its splits
        queries = load_act_queries(args.queries, args.split)
    else:
        queries = load_queries(args.queries)
    kb = open_kb(args.data_dir, args.corpora, args.model)
    tmp = Path(tempfile.mkdtemp(prefix="acts-search-"))
    try:
        by_act = points_by_act(kb)
        unknown = sorted({a for q in queries for a in act_grades(q)} - set(by_act))
        if unknown:
            raise SystemExit(f"{args.queries}: judged acts not in the index at {args.data_dir}: {unknown}")
        alt = Alternation.of(by_act)
        halves = {name: build_half(kb, by_act, alt, name, tmp / name) for name in ("A", "B")}
        rows = evaluate_configs(kb, halves, by_act, queries, alt)
        lat = latency(kb, queries, args.latency) if args.latency else []
        for store in halves.values():
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        kb.close()
    n_points = sum(len(v) for v in by_act.values())
    qfile = args.queries.resolve()
    qfile = qfile.relative_to(ROOT) if qfile.is_relative_to(ROOT) else qfile
    report = [
        f"\n## {args.label}: {qfile} ({dt.date.today().isoformat()})\n",
        f"- Machine: {os.cpu_count()} cores ({platform.machine()}), shared with other jobs",
        f"- Command: `python -m bench.acts_search --queries {qfile} --label {args.label}"
        + (f" --latency {args.latency}" if args.latency else "") + "`",
        f"- Index: {len(by_act)} acts, {len(alt.lang_in_a)} of them in both languages, {n_points} passages;"
        " cross runs use half of each act pair's passages",
        "",
        table(rows, args.label),
    ]
    if lat:
        report += ["", f"| POST /api/v1/search over HTTP, top_k=10, corpus index, {args.latency} requests a row,"
                       " rows interleaved | latency |", "| --- | --- |"]
        report += [f"| {label} | {value} |" for label, value in lat]
    text = "\n".join(report) + "\n"
    print(text)
    if not args.no_write:
        if not RESULTS.exists():
            RESULTS.write_text("# Act-level search, default mode (no language filter)\n\n"
                               "Written by `python -m bench.acts_search` (see its docstring for the method).\n",
                               encoding="utf-8")
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
