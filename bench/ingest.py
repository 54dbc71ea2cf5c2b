"""Ingestion benchmark: parse speed per format and agreement with corpora/manifest.tsv.

    .venv/bin/python bench/ingest.py            # writes bench/results/ingest.md
    .venv/bin/python bench/ingest.py --no-write

1. Every corpus file (5 seeds .txt, 40 acts .md) is parsed; language, genre and title are
   compared with the manifest (the answer key). Titles: seeds must equal the manifest's;
   the acts' manifest titles are editorial paraphrases, so an act's title counts as right
   when it is the act's own first heading.
2. Throughput (characters of clean text per second, after one warm-up parse that loads
   the language model) for txt, md, and generated PDF (3 pages, 40-row table) and DOCX.
3. Ingest of the whole corpus into an empty store, then again (everything unchanged).
4. Parse throughput serial vs parallel (`--parallel-only` runs just this): the corpus files plus
   generated PDFs (text-only and with tables) parsed in this process, then in a pool of
   KB_PARSE_WORKERS worker processes (kb.parse_pool, start-up included); files/s and PDF pages/s.
"""

from __future__ import annotations

import argparse
import csv
import os
import datetime as dt
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from ingest import mirror, parse_bytes, parse_file  # noqa: E402
from ingest_samples import make_docx, make_pdf  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.parse_pool import ParsePool  # noqa: E402
from kb.pipeline import Hooks, ingest_paths  # noqa: E402

CORPUS = REPO / "corpora"
REPEAT = 3


def accuracy() -> tuple[list[tuple[str, int, int, int, int]], list[str]]:
    rows = list(csv.DictReader(open(CORPUS / "manifest.tsv", encoding="utf-8"), delimiter="\t"))
    groups: dict[str, list[int]] = {}
    misses = []
    for r in rows:
        doc = parse_file(CORPUS / r["file"])
        group = r["file"].split("/")[0]
        if group == "seeds":
            title_ok = doc.title == r["title"]
        else:
            head = re.search(r"^#+\s+(.*?)\s*$", (CORPUS / r["file"]).read_text(encoding="utf-8"), re.M)
            title_ok = doc.title.lower() == head.group(1).lower()
        ok = [doc.lang == r["language"], doc.genre == r["genre"], title_ok]
        g = groups.setdefault(group, [0, 0, 0, 0])
        g[0] += 1
        for i, v in enumerate(ok):
            g[i + 1] += v
        if not all(ok):
            misses.append(f"{r['file']}: lang {doc.lang}/{r['language']} genre {doc.genre}/{r['genre']}")
    return [(k, *v) for k, v in groups.items()], misses


def throughput() -> list[tuple[str, int, float, float]]:
    samples = {
        "txt (5 seeds)": [(p.read_bytes(), p.name) for p in sorted(CORPUS.glob("seeds/*/*.txt"))],
        "md (40 acts)": [(p.read_bytes(), p.name) for _, p in mirror.files(CORPUS / "kazakhstan-law")],
        "pdf (generated, 3 pages)": [(make_pdf(rows=40), "plan.pdf")],
        "docx (generated)": [(make_docx(), "act.docx")],
    }
    parse_bytes(samples["txt (5 seeds)"][0][0], "warm.txt")  # loads the language model
    out = []
    for name, files in samples.items():
        times, chars = [], 0
        for _ in range(3):
            t = time.perf_counter()
            docs = [parse_bytes(data, fname) for data, fname in files]
            times.append(time.perf_counter() - t)
        chars = sum(len(d.text) for d in docs)
        best = min(times)
        out.append((name, chars, best * 1000 / len(files), chars / best))
    return out


def corpus_ingest() -> tuple[float, float, dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        t = time.perf_counter()
        first = ingest_paths([CORPUS], settings, hooks=Hooks())
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        second = ingest_paths([CORPUS], settings, hooks=Hooks())
        t2 = time.perf_counter() - t
    return t1, t2, first.counts(), second.counts()


def text_pdf(pages: int, seed: int) -> bytes:
    """A born-digital PDF of running text (no tables): PDFium alone reads it."""
    from fpdf import FPDF

    from ingest_samples import font_path

    pdf = FPDF()
    pdf.add_font("DejaVu", "", font_path())
    pdf.set_font("DejaVu", size=11)
    para = ("{n}. Министерство экологии и природных ресурсов Республики Казахстан обеспечивает "
            "выполнение мероприятий по охране атмосферного воздуха и ежегодно представляет отчет {s}. "
            "Жергілікті атқарушы органдар қалдықтарды басқару жөніндегі жоспарды іске асырады.")
    n = 0
    for _ in range(pages):
        pdf.add_page()
        for _ in range(7):
            n += 1
            pdf.multi_cell(0, 6, para.format(n=n, s=seed), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def parse_set() -> list[tuple[bytes, str]]:
    files = [(p.read_bytes(), p.name) for p in sorted(CORPUS.glob("seeds/*/*.txt"))]
    files += [(p.read_bytes(), p.name) for _, p in mirror.files(CORPUS / "kazakhstan-law")]
    files += [(text_pdf(6, i), f"text-{i}.pdf") for i in range(12)]
    files += [(make_pdf(rows=40), f"table-{i}.pdf") for i in range(4)]
    return files * REPEAT  # enough work that the workers' start-up is a small part


def _cpu() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def parallel_parse(workers: int) -> list[tuple]:
    """(mode, files, pdf pages, seconds, files/s, pdf pages/s, CPU-seconds), serial then parallel.
    CPU-seconds count this process and its (finished) workers: on a shared box, wall time
    depends on the other load, CPU time much less."""
    from ingest.options import IngestOptions

    files = parse_set()
    parse_bytes(files[0][0], "warm.txt")  # the serial run starts warm, as the workers' start-up is counted
    out = []
    for mode, n in (("serial (in process)", 1), (f"parallel ({workers} workers)", workers)):
        t, cpu = time.perf_counter(), _cpu()
        with ParsePool(n, IngestOptions(), len(files)) as pool:
            tickets = [pool.submit(data, name, name) for data, name in files]
            parsed = [pool.result(t) for t in tickets]
        secs, cpu = time.perf_counter() - t, _cpu() - cpu
        failed = [p.reason for p in parsed if p.doc is None]
        assert not failed, failed
        pages = sum(p.doc.pages or 0 for p in parsed if p.doc.meta.get("format") == "pdf")
        out.append((mode, len(files), pages, secs, len(files) / secs, pages / secs, cpu))
    return out


def parallel_lines(workers: int) -> list[str]:
    lines = [
        "",
        f"## Parse throughput, serial vs parallel ({workers} worker processes)",
        "",
        f"Corpus (5 seeds, 40 acts' files) + 12 generated text PDFs (6 pages) + 4 generated PDFs with a 40-row",
        f"table (3 pages), the set {REPEAT} times; the parallel time includes starting the workers.",
        "",
        f"Load average when it started: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "",
        "| mode | files | PDF pages | seconds | files/s | PDF pages/s | CPU-seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, n, pages, secs, fps, pps, cpu in parallel_parse(workers):
        lines.append(f"| {mode} | {n} | {pages} | {secs:.1f} | {fps:.1f} | {pps:.1f} | {cpu:.1f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--parallel-only", action="store_true", help="only the serial vs parallel parse table")
    ap.add_argument("--workers", type=int, default=Settings().parse_workers)
    args = ap.parse_args()
    if args.parallel_only:
        print("\n".join(parallel_lines(args.workers)))
        return
    lines = [
        "# Ingestion benchmark",
        "",
        f"Machine: {platform.machine()}, 2 cores / 24 GiB (shared CI box), Python {platform.python_version()}; "
        f"date {dt.date.today().isoformat()}. Reproduce: `.venv/bin/python bench/ingest.py`.",
        "",
        "## Agreement with corpora/manifest.tsv",
        "",
        "The cue lists (ingest/data/genres.yaml, numbering.yaml, boilerplate.yaml) were written while",
        "reading these files, so this is a regression check, not a held-out score.",
        "",
        "| files | n | language | genre | title |",
        "|---|---|---|---|---|",
    ]
    acc, misses = accuracy()
    for group, n, lang, genre, title in acc:
        lines.append(f"| {group} | {n} | {lang}/{n} | {genre}/{n} | {title}/{n} |")
    lines += [""] + [f"- miss: {m}" for m in misses]
    lines += [
        "",
        "## Parse throughput (best of 3, language model already loaded)",
        "",
        "| format | clean chars | ms per file | chars/s |",
        "|---|---|---|---|",
    ]
    for name, chars, ms, cps in throughput():
        lines.append(f"| {name} | {chars} | {ms:.0f} | {cps:,.0f} |")
    t1, t2, c1, c2 = corpus_ingest()
    lines += [
        "",
        "## Ingest of corpora/ (no enrichers, no index)",
        "",
        f"- first run: {t1:.1f} s — {c1}",
        f"- second run: {t2:.2f} s — {c2} (hash check only, nothing parsed)",
    ]
    lines += parallel_lines(args.workers)
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        out = REPO / "bench" / "results" / "ingest.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
