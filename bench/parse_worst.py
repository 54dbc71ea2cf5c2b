"""Worst-case parse time per format: the fuzz corpus, then the hostile files an outside
test campaign reported, at the sizes it used.

    .venv/bin/python bench/parse_worst.py                 # writes bench/results/parse_worst.md
    .venv/bin/python bench/parse_worst.py --no-write --per-format 50 --scale 1

Each file goes through `ingest.parse_bytes` (and the obligation case through
`kb.obligations.extract` as well) with the per-file budget raised to --budget seconds,
so that the table shows how long a file really takes, not where the budget cut it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from fuzz_corpus import FORMATS, docx_gridspan, generate  # noqa: E402
from ingest import IngestError, parse_bytes  # noqa: E402
from kb.config import Settings  # noqa: E402

# (name, file name, bytes, what the campaign measured before the fixes)
CAMPAIGN = [
    ("100 KB of `[`", "brackets.md", lambda: b"[" * 100_000, "127 s"),
    ("200 KB of `**a `", "bold.md", lambda: b"**a " * 50_000, "417 s"),
    ("300 KB of `а\\n`", "letters.txt", lambda: "а\n".encode() * 100_000, "> 15 min"),
    ("510 KB of `міндетті ` + obligations", "mindetti.txt", lambda: "міндетті ".encode() * 30_000, "> 15 min"),
    ("6.6 MB of nested `<table>`", "nested.html", lambda: b"<table><tr><td>" * 440_000, "> 5 min"),
    ("36 KB DOCX, gridSpan=100000000", "span.docx", lambda: docx_gridspan(100_000_000), "9 GB RAM"),
]


def _run(data: bytes, name: str, settings: Settings, obligations: bool = False) -> tuple[float, str]:
    t = time.perf_counter()
    try:
        doc = parse_bytes(data, name, settings)
        outcome = "document"
        if obligations:
            from kb.obligations import extract

            found = extract(doc, timeout_s=settings.parse_timeout_s)
            outcome = f"document, {len(found)} obligation(s)"
    except IngestError as e:
        outcome = "error: " + e.reason
    except Exception as e:  # noqa: BLE001 - reported, it is what the bench looks for
        outcome = f"UNCAUGHT {type(e).__name__}: {e}"
    return time.perf_counter() - t, outcome


def fuzz_table(settings: Settings, seed: int, per_format: int, scale: float) -> list[str]:
    worst: dict[str, tuple[float, str, str]] = defaultdict(lambda: (0.0, "", ""))
    total: dict[str, float] = defaultdict(float)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    uncaught = []
    for case in generate(seed=seed, per_format=per_format, scale=scale):
        seconds, outcome = _run(case.data, case.name, settings)
        c = counts[case.fmt]
        c[0] += 1
        c[1] += outcome == "document"
        c[2] += outcome.startswith("error")
        total[case.fmt] += seconds
        if outcome.startswith("UNCAUGHT"):
            uncaught.append(f"{case.name}: {outcome}")
        if seconds > worst[case.fmt][0]:
            worst[case.fmt] = (seconds, f"{case.kind} ({len(case.data):,} B)", outcome[:70])
    lines = [
        "| format | files | documents | clean errors | other | worst s | worst file | its outcome | mean ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt in FORMATS:
        n, docs, errs = counts[fmt]
        s, kind, outcome = worst[fmt]
        lines.append(f"| {fmt} | {n} | {docs} | {errs} | {n - docs - errs} | {s:.2f} | {kind} | {outcome} | "
                     f"{1000 * total[fmt] / max(n, 1):.0f} |")
    lines += [""] + [f"- {u}" for u in uncaught]
    return lines


def campaign_table(settings: Settings) -> list[str]:
    lines = ["| file | before | now, s | outcome |", "|---|---|---|---|"]
    for label, name, make, before in CAMPAIGN:
        seconds, outcome = _run(make(), name, settings, obligations="obligations" in label)
        lines.append(f"| {label} | {before} | {seconds:.2f} | {outcome[:90]} |")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-format", type=int, default=200)
    ap.add_argument("--scale", type=float, default=10.0,
                    help="size of the corpus' pathological files: 10 = the campaign's 100 KB shapes")
    ap.add_argument("--budget", type=float, default=600.0, help="per-file time budget for the run, s")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # pdfminer's and the decoder's per-file warnings: hundreds here
    settings = Settings(parse_timeout_s=args.budget)
    parse_bytes("Прогрев: загрузка модели языка.".encode(), "warm.txt", settings)

    t = time.perf_counter()
    campaign = campaign_table(settings)
    fuzz = fuzz_table(settings, args.seed, args.per_format, args.scale)
    elapsed = time.perf_counter() - t
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cmd = (f"python bench/parse_worst.py --seed {args.seed} --per-format {args.per_format} "
           f"--scale {args.scale:g} --budget {args.budget:g}")
    lines = [
        "# Worst-case parse time",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"date {dt.date.today().isoformat()}; load average {load:.1f} at the end; run took {elapsed:.0f} s.",
        f"Command: `{cmd}`.",
        "",
        "## The campaign's files, at its sizes",
        "",
        "Through `parse_bytes` (the obligation row also through `kb.obligations.extract`), budget raised",
        "so the time is the real one. The service's default budget is `KB_PARSE_TIMEOUT_S=60`.",
        "",
        *campaign,
        "",
        f"## Fuzz corpus (`tests/fuzz_corpus.py`, seed {args.seed}, {args.per_format} per format, "
        f"scale {args.scale:g})",
        "",
        *fuzz,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        out = REPO / "bench" / "results" / "parse_worst.md"
        out.write_text(text, encoding="utf-8")
        print("written", out)


if __name__ == "__main__":
    main()
