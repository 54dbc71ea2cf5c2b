"""Search latency over HTTP (query embedding included) and ingestion throughput.

What a user waits for: `POST /api/v1/search` against uvicorn serving
`api.app:create_app(kb)` on 127.0.0.1, timed by the client (keep-alive
connection, one request at a time, the 90 evaluation queries in turn). Measured on

(a) the corpus index (corpora/: ~600 passages), and
(b) the same index grown to --grow passages (default 100,000): copies of the real
    passages with noise added to their dense vectors (so they cluster like real
    embeddings do) and the sparse vectors of 1-3 real passages merged, written
    straight through the VectorStore. Payloads are the real ones (passage text
    included) under synthetic document ids. Measured with exact search (no HNSW),
    and with --optimize also after `optimize()` builds HNSW (slow on 2 cores).

Also: query embedding alone with 1 and 2 torch threads, and ingest throughput:
parse pages/s (a generated multi-page PDF, and the corpus files) and embed passages/s.

    .venv/bin/python -m bench.latency                 # reuses bench/out/kb-search (bench.search builds it)
    .venv/bin/python -m bench.latency --grow 20000 --requests 100 --no-write
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latency.md"


NOTES = """
Reading the table:

- The query embedding (multilingual-e5-small, CPU) is most of every hybrid/dense request; the vector
  search, fusion, snippets and JSON add 5-30 ms (see the lexical rows, which embed nothing).
- Without HNSW the engine scans all vectors; that is still within the 150 ms budget at 100,000
  passages. `KnowledgeBase.ingest` builds HNSW (`optimize()`) after bulk loads only.
- Torch threads: 2 threads embed a query faster when the machine is idle, but the server shares its
  2 cores with the engine and other requests; the service default stays at 1 (KB_TORCH_THREADS).
- Responses carry the passage text and snippet of each hit, never vectors; 10 hits are 10-40 KiB.
- The machine was shared with other jobs while measuring (load 3-5 on 2 cores), so absolute
  numbers are pessimistic; compare rows within one run.
"""


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# ------------------------------------------------------------------ server


class Server:
    """uvicorn in a background thread of this process, bound to 127.0.0.1 only."""

    def __init__(self, kb, port: int = 0):
        import socket

        import uvicorn

        from api.app import create_app

        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port = port
        config = uvicorn.Config(create_app(kb), host="127.0.0.1", port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def post_json(conn: http.client.HTTPConnection, path: str, payload: dict) -> tuple[float, bytes]:
    """POST `payload` as JSON on a keep-alive connection: (client-side milliseconds, response body).
    A status other than 200 stops the benchmark with the service's answer."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    t = time.perf_counter()
    conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    ms = (time.perf_counter() - t) * 1000
    if resp.status != 200:
        raise RuntimeError(f"{path} returned {resp.status}: {raw[:300]!r}")
    return ms, raw


def time_requests(
    port: int, bodies: list[dict], warmup: int = 5, path: str = "/api/v1/search"
) -> tuple[list[float], list[float], float]:
    """Client-side ms per request, server-reported took_ms, and the mean response size in bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    wall, took, sizes = [], [], []
    for i, body in enumerate(bodies[:warmup] + bodies):
        ms, raw = post_json(conn, path, body)
        if i >= warmup:
            wall.append(ms)
            took.append(json.loads(raw).get("took_ms", ms))
            sizes.append(len(raw))
    conn.close()
    return wall, took, statistics.mean(sizes)


def request_bodies(n: int, **extra) -> list[dict]:
    from bench.evaldata import load_queries

    queries = load_queries()
    return [{"q": queries[i % len(queries)].text, "top_k": 10, **extra} for i in range(n)]


# ------------------------------------------------------------------ synthetic growth


def corpus_points(store) -> list:
    """Every stored point with its vectors (scrolled from the embedded shard)."""
    import qdrant_edge as qe

    out, offset = [], None
    while True:
        page = store._shard.scroll(qe.ScrollRequest(limit=1000, offset=offset, with_payload=True, with_vector=True))
        points, offset = page if isinstance(page, tuple) else (page, None)
        out.extend(points)
        if offset is None or not points:
            return out


def grow(store, target: int, seed: int = 13, batch: int = 1000) -> tuple[int, float]:
    """Add synthetic passages until the store holds `target` points; (added, seconds)."""
    from kb.index.base import DENSE, LEXICAL, IndexPoint, SparseVec

    base = corpus_points(store)
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    dense = np.array([p.vector[DENSE] for p in base], dtype=np.float32)
    sparse = []
    for p in base:
        sv = p.vector.get(LEXICAL)
        sparse.append(dict(zip(sv.indices, sv.values)) if sv is not None else {})
    have = store.count()
    need = max(0, target - have)
    t0 = time.perf_counter()
    done = 0
    while done < need:
        n = min(batch, need - done)
        picks = rng.integers(0, len(base), size=n)
        noise = rng.standard_normal((n, dense.shape[1]), dtype=np.float32) * 0.03
        vecs = dense[picks] + noise
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        pts = []
        for k in range(n):
            i = done + k
            src = base[picks[k]]
            merged: Counter = Counter(sparse[picks[k]])
            for _ in range(prng.randint(0, 2)):
                for idx, w in sparse[prng.randrange(len(base))].items():
                    merged[idx] = max(merged[idx], w)
            indices = sorted(merged)
            payload = dict(src.payload)
            payload["doc_id"] = f"synthetic-{i // 20:06d}"  # 20 passages a document
            payload["number"] = i % 20
            pid = f"{i:08x}-0000-4000-8000-{seed:012d}"
            pts.append(IndexPoint(pid, vecs[k].tolist(), SparseVec(indices, [merged[j] for j in indices]), payload))
        store.upsert(pts)
        done += n
        if done % 20000 < batch:
            print(f"  grown by {done:,} / {need:,}", flush=True)
    store.flush()
    return need, time.perf_counter() - t0


# ------------------------------------------------------------------ ingest throughput


def parse_throughput() -> list[tuple[str, str]]:
    import sys

    from ingest import parse_bytes

    sys.path.insert(0, str(ROOT / "tests"))
    rows = []
    try:
        from ingest_samples import make_pdf

        pdf = make_pdf(rows=400)
        parse_bytes(pdf, "warm.pdf")
        t = time.perf_counter()
        doc = parse_bytes(pdf, "plan.pdf")
        s = time.perf_counter() - t
        rows.append((f"parse PDF ({doc.pages} pages, generated table)", f"{doc.pages / s:,.1f} pages/s"))
    except ImportError as e:  # fpdf2 missing: the corpus files still measure the text path
        rows.append(("parse PDF", f"skipped ({e})"))
    from ingest import mirror

    files = [p for _, p in mirror.files(ROOT / "corpora" / "kazakhstan-law")] + sorted(
        ROOT.glob("corpora/seeds/*/*.txt")
    )
    data = [(f.read_bytes(), f.name) for f in files]
    t = time.perf_counter()
    chars = sum(len(parse_bytes(d, n).text) for d, n in data)
    s = time.perf_counter() - t
    # A "page" here is 1,800 characters of clean text (a typical printed page of an act).
    rows.append(
        (f"parse corpus files ({len(files)} txt/md, {chars:,} chars)", f"{chars / 1800 / s:,.1f} pages/s (1,800 chars/page)")
    )
    return rows


def embed_throughput(kb, limit: int = 400) -> tuple[str, str]:
    from kb.chunking import chunk_document

    texts = []
    for doc in kb.docs:
        for p in chunk_document(doc, count=kb.embedder.count_tokens):
            texts.append(f"{p.context}\n{p.text}" if p.context else p.text)
    texts = texts[:limit]
    kb.embedder.encode_passages(texts[:16])
    t = time.perf_counter()
    kb.embedder.encode_passages(texts, batch_size=kb.settings.embed_batch_size)
    s = time.perf_counter() - t
    return (f"embed passages ({len(texts)} corpus passages, batch {kb.settings.embed_batch_size})", f"{len(texts) / s:,.1f} passages/s")


def query_embedding(kb, threads: int, n: int = 60) -> tuple[float, float]:
    import torch

    from bench.evaldata import load_queries

    torch.set_num_threads(threads)
    qs = [q.text for q in load_queries()]
    lat = []
    for i in range(n + 3):
        t = time.perf_counter()
        kb.embedder.encode_queries([qs[i % len(qs)]])
        if i >= 3:
            lat.append((time.perf_counter() - t) * 1000)
    return pct(lat, 50), pct(lat, 95)


# ------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb-search",
                    help="an ingested corpus knowledge base (copied; never changed)")
    ap.add_argument("--grow", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="torch threads while serving")
    ap.add_argument("--optimize", action="store_true",
                    help="also build HNSW at full size and measure again (20+ minutes on 2 cores)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import torch

    from kb.config import Settings
    from kb.service import KnowledgeBase

    if not (args.data_dir / "qdrant").exists():
        from bench.search import open_kb

        print(f"no index at {args.data_dir}: ingesting corpora/ first")
        open_kb(args.data_dir).close()

    rows: list[tuple[str, str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="kb-latency-"))
    try:
        work = tmp / "kb"
        shutil.copytree(args.data_dir, work, ignore=shutil.ignore_patterns("models"))
        settings = Settings(
            data_dir=work, corpora_dir=ROOT / "corpora", torch_threads=args.threads,
            embedding_model=Settings(data_dir=args.data_dir).model_dir,
        )
        kb = KnowledgeBase(settings)
        n0 = kb.index.count()
        kb.retriever  # loads the model and reconciles before timing

        for threads in (1, 2):
            p50, p95 = query_embedding(kb, threads)
            rows.append((f"query embedding alone, torch threads={threads}", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"))
        torch.set_num_threads(args.threads)

        def measure(label: str, **extra) -> None:
            wall, took, size = time_requests(server.port, request_bodies(args.requests, **extra))
            rows.append((
                f"{label}: POST /api/v1/search, {len(wall)} requests",
                f"p50 {pct(wall, 50):.1f} ms, p95 {pct(wall, 95):.1f} ms, max {max(wall):.0f} ms "
                f"(server took_ms p50 {statistics.median(took):.1f}; mean response {size / 1024:.0f} KiB)",
            ))
            print(rows[-1], flush=True)

        with Server(kb) as server:
            measure(f"(a) corpus, {n0:,} passages, hybrid")
            measure(f"(a) corpus, {n0:,} passages, hybrid, one_per_doc", one_per_doc=True)
            from bench.evaldata import load_questions

            asks = [{"question": q.text} for q in load_questions()]
            wall, _, size = time_requests(server.port, asks, warmup=3, path="/api/v1/ask")
            rows.append((
                f"(a) corpus: POST /api/v1/ask, {len(wall)} questions (first time each)",
                f"p50 {pct(wall, 50):.0f} ms, p95 {pct(wall, 95):.0f} ms, max {max(wall):.0f} ms "
                f"(mean response {size / 1024:.0f} KiB)",
            ))
            print(rows[-1], flush=True)

        kb = KnowledgeBase(settings)  # the app closed the previous one at shutdown
        # Reconcile first: afterwards it would drop the synthetic points (no stored documents).
        kb.retriever
        added, grow_s = grow(kb.index, args.grow)
        n1 = kb.index.count()
        rows.append((f"grow index to {n1:,} passages (synthetic, upsert)", f"{added / grow_s:,.0f} points/s"))
        with Server(kb) as server:
            def at_size(how: str) -> None:
                measure(f"(b) {n1:,} passages, {how}, hybrid")
                measure(f"(b) {n1:,} passages, {how}, hybrid, one_per_doc", one_per_doc=True)
                measure(f"(b) {n1:,} passages, {how}, dense", mode="dense")
                measure(f"(b) {n1:,} passages, {how}, lexical", mode="lexical")
                measure(f"(b) {n1:,} passages, {how}, hybrid, lang=ru", lang=["ru"])
                torch.set_num_threads(2)
                measure(f"(b) {n1:,} passages, {how}, hybrid, torch threads=2")
                torch.set_num_threads(args.threads)

            at_size("no HNSW (exact search)")
            if args.optimize:
                t = time.perf_counter()
                kb.index.optimize()
                rows.append(("optimize() at that size", f"{time.perf_counter() - t:.1f} s"))
                at_size("HNSW built")

        kb = KnowledgeBase(settings)
        rows.append(embed_throughput(kb))
        rows.extend(parse_throughput())
        kb.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(k) for k, _ in rows)
    print(f"\n{'measure':<{width}}  value")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    if not args.no_write:
        cmd = "python -m bench.latency" + ("" if args.grow == 100_000 else f" --grow {args.grow}") + (
            " --optimize" if args.optimize else "")
        lines = [
            "# Search latency and ingest throughput",
            "",
            f"- Machine: {os.cpu_count()} cores / 24 GiB ({platform.machine()}), date 2026-11-22",
            f"- Command: `.venv/bin/{cmd}` (after `python -m bench.search` built bench/out/kb-search)",
            "- Latency is client-side over HTTP on 127.0.0.1 (uvicorn in-process thread, keep-alive, one",
            "  request at a time, top_k=10, the 90 evaluation queries in turn), query embedding included.",
            "",
            "| measure | value |",
            "| --- | --- |",
            *[f"| {k} | {v} |" for k, v in rows],
            NOTES,
        ]
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("\n".join(lines), encoding="utf-8")
        print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
