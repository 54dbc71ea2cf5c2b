"""`POST /search` over HTTP on a knowledge base a scale run left, in a process of its own.

bench/scale.py times its sizes inside the process that grew them, which also holds the
baseline's index and vectors (11-20 GiB at 1M passages on a 24 GiB box): the engine's files
were partly out of the page cache, so its 1M figures mix search with disk reads. Here only
the service's knowledge base is in memory: the index files are read once (as a server's
would be after its first minutes), 3 warm-up requests, then the 90 evaluation queries once
each, for the shipped request and for unweighted language pools (KB_OTHER_LANG_WEIGHT=1.0).

    KB_EMBEDDING_MODEL=.cache/test-model python bench/scale_http.py bench/out/scale-1m/kb
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evaldata import load_queries  # noqa: E402
from bench.latency import Server, post_json  # noqa: E402
from bench.scale import first_unique, machine, ndcg_at, pct, source_key  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scale_http.md"


def run(kb, queries) -> dict:
    with Server(kb) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        lat, nd = [], []
        for i, q in enumerate(queries[:3] + queries):  # 3 warm-up requests, as bench/scale.py
            ms, raw = post_json(conn, "/api/v1/search", {"q": q.text, "top_k": 10})
            if i >= 3:
                lat.append(ms)
                hits = json.loads(raw)["hits"]
                nd.append(ndcg_at(first_unique([source_key(h["document"]["source"]) for h in hits], 10), q.grades()))
        conn.close()
    return dict(p50=pct(lat, 50), p95=pct(lat, 95), ndcg=float(np.mean(nd)), n=len(lat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    from kb.config import Settings
    from kb.service import KnowledgeBase

    started = dt.datetime.now(dt.timezone.utc)
    kb = KnowledgeBase(Settings(data_dir=args.data_dir, corpora_dir=ROOT / "corpora"))
    kb._reconciled = True  # measure the index as the run left it
    passages = kb.index.count()
    t = time.perf_counter()
    subprocess.run(["find", str(args.data_dir / "qdrant"), "-type", "f", "-exec", "cat", "{}", "+"],
                   stdout=subprocess.DEVNULL, check=True)
    read_s = time.perf_counter() - t
    queries = load_queries()
    ret = kb.retriever
    shipped = ret.other_pool_weight
    rows = []
    for label, weight in (("shipped (other-language-only acts x%.1f)" % shipped, shipped),
                          ("unweighted pools (KB_OTHER_LANG_WEIGHT=1.0)", 1.0),
                          ("shipped, second pass", shipped)):
        ret.other_pool_weight = weight
        r = run(kb, queries)
        rows.append(f"| {label} | {r['p50']:.0f} ms | **{r['p95']:.0f} ms** | {r['ndcg']:.3f} |")
        print(rows[-1], flush=True)
    kb.close()
    load = os.getloadavg()
    text = "\n".join([
        "# `POST /search` over HTTP at scale, in a process of its own", "",
        f"- Machine: {machine()}",
        f"- Run {started:%Y-%m-%d %H:%M} UTC; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
        f"- Command: `KB_EMBEDDING_MODEL=.cache/test-model python bench/scale_http.py {args.data_dir}`",
        f"- {passages:,} passages; KB_HNSW_EF={kb.settings.hnsw_ef}; index files read into the page cache first "
        f"({read_s:.0f} s); 90 queries once each after 3 warm-ups; query embedding included", "",
        "| request | p50 | p95 | nDCG@10 |", "|---|---:|---:|---:|", *rows, "",
    ])
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
