"""Scale benchmark of the embedded index (Qdrant Edge): 100,000 synthetic passages.

Dense vectors are random unit 384-d vectors (the embedder's size), drawn around
random topic and document centres so that, like real embeddings, a document's
passages lie close together and a query has true near neighbours. (Uniformly
random 384-d vectors, `--uniform`, are all nearly equidistant: HNSW recall on
them measures noise, and they are the slowest case to index.) Sparse vectors are BM25
weights of passages stitched from real sentences of corpora/ (acts and seeds),
analysed with kb.lang.terms, so term statistics look like the real corpus.
Measures upsert throughput, optimize() time, and search latency p50/p95 of the
vector search only (no query embedding, no HTTP) before and after optimize,
plus HNSW recall@10 against exact search.

    .venv/bin/python bench/index_scale.py               # 100k, writes bench/results/index.md
    .venv/bin/python bench/index_scale.py --n 20000 --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import qdrant_edge as qe  # noqa: E402

from kb.index.base import DENSE, IndexPoint  # noqa: E402
from kb.index.edge import EdgeStore  # noqa: E402
from kb.index.sparse import query_from_terms, weights_from_counts  # noqa: E402
from kb.lang import terms  # noqa: E402
from kb.models import SearchFilters  # noqa: E402

DIM = 384
GENRES = ["decision", "plan", "press_release", "news", "law", "order", "report"]
CONVENTIONS = ["basel", "stockholm", "rotterdam", "minamata", "unfccc", "paris", "aarhus", "espoo"]
AGENCIES = ["ecogeo", "minprom", "minzdrav", "akimat_almaty", "kazhydromet", "unep"]
_SENT = re.compile(r"(?<=[.!?;:])\s+|\n+")


def corpus_sentences() -> dict[str, list[list[str]]]:
    """Analysed sentences per language (each analysed once, reused by many passages)."""
    out: dict[str, list[list[str]]] = {"kk": [], "ru": []}
    for lang in out:
        from ingest import mirror

        files = [p for lg, p in mirror.files(REPO / "corpora/kazakhstan-law") if lg == lang] + sorted(
            (REPO / "corpora/seeds" / lang).glob("*.txt")
        )
        for f in files:
            for sent in _SENT.split(f.read_text(encoding="utf-8")):
                toks = terms(sent, lang)
                if len(toks) >= 4:
                    out[lang].append(toks)
    return out


def unit_rows(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=1, keepdims=True)


class Vectors:
    """Passage vectors = topic centre + document offset + passage noise (all random)."""

    def __init__(self, rng: np.random.Generator, uniform: bool, topics: int = 300):
        self.rng = rng
        self.uniform = uniform
        self.common = unit_rows(rng.standard_normal((1, DIM)))  # embeddings share a mean direction
        self.topics = unit_rows(rng.standard_normal((topics, DIM)))
        self.sample: list[np.ndarray] = []  # passages that queries are made from

    def passages(self, start: int, count: int) -> np.ndarray:
        noise = unit_rows(self.rng.standard_normal((count, DIM)))
        if self.uniform:
            out = noise
        else:
            docs = np.arange(start, start + count) // 20
            doc_offset = unit_rows(np.random.default_rng(docs[:, None] + 10**6).standard_normal((count, DIM)))
            out = unit_rows(
                0.8 * self.common + self.topics[docs % len(self.topics)] + 0.7 * doc_offset + 0.45 * noise
            )
        self.sample.extend(out[:: max(1, count // 20)])
        return out.astype(np.float32)

    def query(self) -> list[float]:
        if self.uniform:
            v = self.rng.standard_normal(DIM)
        else:
            base = self.sample[self.rng.integers(len(self.sample))]
            v = base + 0.6 * unit_rows(self.rng.standard_normal((1, DIM)))[0]
        return (v / np.linalg.norm(v)).tolist()


def make_points(start: int, count: int, sents, vectors: Vectors, prng: random.Random):
    dense = vectors.passages(start, count)
    pts = []
    for k in range(count):
        i = start + k
        doc = i // 20  # 20 passages a document -> 5,000 documents
        drng = random.Random(doc)
        lang = "kk" if doc % 2 else "ru"
        counts: Counter[str] = Counter()
        for _ in range(prng.randint(2, 6)):
            counts.update(prng.choice(sents[lang]))
        payload = {
            "doc_id": f"doc{doc:05d}",
            "lang": lang,
            "genre": drng.choice(GENRES),
            "date": (dt.date(2000, 1, 1) + dt.timedelta(days=drng.randrange(9500))).isoformat(),
            "conventions": drng.sample(CONVENTIONS, drng.randint(0, 2)),
            "agencies": drng.sample(AGENCIES, drng.randint(0, 2)),
            "number": i % 20,
        }
        pid = f"{i:08d}-0000-4000-8000-000000000000"
        pts.append(IndexPoint(pid, dense[k].tolist(), weights_from_counts(counts), payload))
    return pts


def make_queries(n: int, sents, vectors: Vectors, prng: random.Random):
    qs = []
    for _ in range(n):
        lang = prng.choice(["kk", "ru"])
        sent = prng.choice(sents[lang])
        words = prng.sample(sent, min(len(sent), prng.randint(2, 5)))
        qs.append((vectors.query(), query_from_terms(words)))
    return qs


FILTERS = {
    "none": None,
    "lang": SearchFilters(lang=["kk"]),
    "date+convention": SearchFilters(
        date_from=dt.date(2015, 1, 1), date_to=dt.date(2020, 12, 31), convention=["basel"]
    ),
}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def time_searches(store: EdgeStore, queries, mode: str, filters, limit=10) -> tuple[float, float, float]:
    lat = []
    for dense, sparse in queries:
        t = time.perf_counter()
        store.search(
            dense=dense if mode in ("hybrid", "dense") else None,
            sparse=sparse if mode in ("hybrid", "lexical") else None,
            filters=filters,
            limit=limit,
        )
        lat.append((time.perf_counter() - t) * 1000)
    return pct(lat, 50), pct(lat, 95), statistics.mean(lat)


def dense_recall(store: EdgeStore, queries, ef: int | None, k=10) -> tuple[float, float]:
    """HNSW recall@k against exact search (dense vector only), and p50 ms of the HNSW search."""
    shard = store._shard
    hits = 0
    lat = []
    params = qe.SearchParams(hnsw_ef=ef) if ef else None
    for dense, _ in queries:
        q = qe.Query.Nearest(dense, using=DENSE)
        t = time.perf_counter()
        approx = {p.id for p in shard.query(qe.QueryRequest(limit=k, query=q, params=params))}
        lat.append((time.perf_counter() - t) * 1000)
        exact = {p.id for p in shard.query(qe.QueryRequest(limit=k, query=q, params=qe.SearchParams(exact=True)))}
        hits += len(approx & exact)
    return hits / (k * len(queries)), pct(lat, 50)


def du(path: Path) -> int:
    """Bytes actually allocated (the engine preallocates sparse files)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--pre-queries", type=int, default=30, help="queries timed before optimize (exact search)")
    ap.add_argument("--dir", type=Path, default=None, help="index directory (default: a temporary one)")
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/index.md")
    ap.add_argument("--uniform", action="store_true", help="uniformly random dense vectors")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    rng = np.random.default_rng(42)
    vectors = Vectors(rng, args.uniform)
    prng = random.Random(42)
    t0 = time.perf_counter()
    sents = corpus_sentences()
    analyse_s = time.perf_counter() - t0
    print(f"corpus: {len(sents['kk'])} kk + {len(sents['ru'])} ru sentences analysed in {analyse_s:.1f}s")

    tmp = None
    path = args.dir
    if path is None:
        tmp = tempfile.mkdtemp(prefix="kb-index-bench-")
        path = Path(tmp) / "qdrant"
    rows: list[tuple[str, str]] = []
    try:
        store = EdgeStore(path)
        store.ensure_collection(DIM)
        build_s = write_s = 0.0
        done = 0
        while done < args.n:
            count = min(args.batch, args.n - done)
            t = time.perf_counter()
            pts = make_points(done, count, sents, vectors, prng)
            t1 = time.perf_counter()
            store.upsert(pts)
            t2 = time.perf_counter()
            build_s += t1 - t
            write_s += t2 - t1
            done += count
            if done % (args.batch * 20) == 0 or done == args.n:
                print(f"  {done:>7} points  upsert {done / write_s:,.0f} pts/s")
        t = time.perf_counter()
        store.flush()
        flush_s = time.perf_counter() - t
        rows.append(("points", f"{store.count():,}"))
        rows.append(("documents (doc_id facet)", f"{len(store.document_ids()):,}"))
        rows.append(("upsert throughput (engine, batches of %d)" % args.batch, f"{args.n / write_s:,.0f} points/s"))
        rows.append(("upsert incl. building points in Python", f"{args.n / (write_s + build_s):,.0f} points/s"))
        rows.append(("flush after ingestion", f"{flush_s:.2f} s"))

        queries = make_queries(args.queries, sents, vectors, prng)
        pre = queries[: args.pre_queries]
        p50, p95, _ = time_searches(store, pre, "hybrid", None)
        rows.append((f"hybrid search before optimize ({len(pre)} q, exact)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"))

        t = time.perf_counter()
        store.optimize()
        opt_s = time.perf_counter() - t
        info = store._shard.info()
        rows.append(("optimize()", f"{opt_s:.1f} s"))
        rows.append(("segments / indexed vectors (dense + sparse)", f"{info.segments_count} / {info.indexed_vectors_count:,}"))
        rows.append(("disk size", f"{du(path) / 2**20:,.0f} MiB"))

        for dense, sparse in queries[:5]:  # warm-up
            store.search(dense=dense, sparse=sparse, filters=None, limit=10)
        for mode in ("hybrid", "dense", "lexical"):
            for fname, f in FILTERS.items():
                if mode != "hybrid" and fname != "none":
                    continue
                p50, p95, mean = time_searches(store, queries, mode, f)
                rows.append((f"{mode} search, filter={fname} (top 10)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"))
        for ef in (None, 256):
            recall, p50 = dense_recall(store, queries[:50], ef)
            label = "default hnsw_ef" if ef is None else f"hnsw_ef={ef}"
            rows.append((f"dense recall@10 vs exact, {label} (50 q)", f"{recall:.3f} (p50 {p50:.1f} ms)"))
        t = time.perf_counter()
        store.close()
        reopen = EdgeStore(path)
        reopen_s = time.perf_counter() - t
        assert reopen.count() == args.n
        reopen.close()
        rows.append(("close + reopen", f"{reopen_s:.2f} s"))
        rows.append(("peak RSS", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(k) for k, _ in rows)
    print()
    print(f"{'measure':<{width}}  value")
    print("-" * (width + 30))
    for k, v in rows:
        print(f"{k:<{width}}  {v}")

    if not args.no_write:
        cmd = "python bench/index_scale.py" + ("" if args.n == 100_000 else f" --n {args.n}")
        cmd += " --uniform" if args.uniform else ""
        lines = [
            "# Vector index at scale (embedded Qdrant Edge)",
            "",
            f"- Machine: {os.cpu_count()} cores / 24 GiB ({platform.machine()}), date 2026-11-22",
            f"- Command: `.venv/bin/{cmd}`",
            f"- {args.n:,} synthetic passages: random unit {DIM}-d dense vectors"
            + (" (uniform)" if args.uniform else " (clustered: topic + document centre + noise)")
            + "; sparse BM25 vectors of 2-6",
            "  real corpus sentences each (kb.lang.terms analyser); 5,000 documents; payload indexes on",
            "  doc_id, lang, genre, date, conventions, agencies. Vector search only: no query",
            "  embedding, no HTTP. Hybrid = dense + lexical prefetch (50 each) fused with RRF.",
            "",
            "| measure | value |",
            "| --- | --- |",
            *[f"| {k} | {v} |" for k, v in rows],
            "",
        ]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines), encoding="utf-8")
        print(f"\nwritten to {args.out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
