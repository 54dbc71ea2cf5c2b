"""Question answering over HTTP: accuracy with true citations, refusals, list completeness, latency.

Every question is asked once, the first time, through `POST /api/v1/ask` of the real app (uvicorn in
a thread of this process, as in bench/latency.py), so the figures are what a user gets:

- answerable accuracy (per language): an expected span (or an accepted alternative) is in the answer
  AND at least one citation is true: it cites the expected act (either language version, by
  `bench.evaldata.doc_key`) and its quote is exactly the document's text at the cited offsets;
- span-only accuracy: the expected span is in the answer (the older figure);
- citation accuracy: share of all citations whose quote is the document's text at their offsets;
- refusal rate on unanswerable questions: `answered` is false (near-miss questions of the v2 set,
  `answerable: false`; for the original set, bench/data/qa_negative.yaml);
- list completeness: for questions with `items`, the share of items found in the answer;
- latency: client-side wall time of each first-time `/ask`, p50/p95.

`--split dev|blind|blind3|blind4|blind5|dev5|all` picks the questions (the original set has no split: all of it is dev;
dev5, bench/data/qa_questions_dev5.yaml, is development data written before its first run).
v2's `blind` questions were reported once and are now development data; the v3 set
(bench/data/qa_questions_v3.yaml, split `blind3`) is run once by the lead, never with `--show-misses`; so are the v4 set
(bench/data/qa_questions_v4.yaml, split `blind4`) and the v5 set (bench/data/qa_questions_v5.yaml, split `blind5`).
`--records PATH` writes one JSON line per question (its answer, confidence and correctness), for
calibration on dev (bench/qa_calibrate.py). CPU time per question is this process's (server thread and
client), reported with the load average: the machine is shared.

    python -m bench.qa --questions bench/data/qa_questions_v2.yaml --split all [--data-dir bench/out/kb-v2]
    python -m bench.qa --questions bench/data/qa_questions_v3.yaml --split blind3 --data-dir bench/out/kb-v3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from bench.evaldata import QUESTIONS_FILE, doc_key, load_questions
from bench.latency import Server, pct, post_json
from bench.search import open_kb

ROOT = Path(__file__).resolve().parents[1]
NEGATIVES = ROOT / "bench" / "data" / "qa_negative.yaml"


def _norm(text: str) -> str:
    text = text.replace("«", '"').replace("»", '"').replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class Item:
    id: str
    lang: str
    text: str
    answerable: bool
    key: str = ""  # doc key of the expected act
    answers: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    split: str = "dev"


@dataclass
class Record:
    id: str
    lang: str
    answerable: bool
    answered: bool
    span: bool  # an expected span is in the answer
    true_citation: bool  # a citation of the expected act, exact at its offsets
    correct: bool  # answerable: span and true citation; unanswerable: refused
    completeness: float | None
    confidence: float
    ms: float
    reason: str | None = None
    cpu_ms: float = 0.0  # CPU time of this process (server thread + client) during the request
    answer: str = ""


def load_items(path: Path, split: str) -> list[Item]:
    qs = load_questions(path)
    items = [
        Item(q.id, q.lang, q.text, q.answerable, q.key, q.answers if q.answerable else [], q.items, q.split)
        for q in qs if split == "all" or q.split == split
    ]
    # The original set keeps its unanswerable questions in a file of their own (all dev).
    if path.resolve() == QUESTIONS_FILE.resolve() and split in ("dev", "all"):
        negatives = yaml.safe_load(NEGATIVES.read_text(encoding="utf-8"))
        items += [Item(n["id"], n["lang"], n["text"], False) for n in negatives]
    return items


def ask_all(kb, items: list[Item]) -> tuple[list[Record], int, int]:
    import http.client

    cites_ok = cites_all = 0
    records = []
    with Server(kb) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)

        def post(question: str) -> tuple[dict, float, float]:
            cpu = time.process_time()
            ms, raw = post_json(conn, "/api/v1/ask", {"question": question})
            return json.loads(raw), ms, (time.process_time() - cpu) * 1000

        post("прогрев модели")  # the first call loads the model; not a question of the set
        for it in items:
            ans, ms, cpu_ms = post(it.text)
            text = _norm(ans["answer"]) if ans["answered"] else ""
            span = any(_norm(a) in text for a in it.answers)
            true_cite = False
            for c in ans["citations"]:
                doc = kb.get_document(c["doc_id"])
                exact = bool(doc and doc.text[c["start"]:c["end"]] == c["quote"])
                cites_all += 1
                cites_ok += exact
                true_cite = true_cite or bool(exact and doc is not None and it.key and doc_key(doc.source) == it.key)
            completeness = (sum(_norm(i) in text for i in it.items) / len(it.items)) if it.items else None
            correct = (ans["answered"] and span and true_cite) if it.answerable else not ans["answered"]
            records.append(Record(
                it.id, it.lang, it.answerable, ans["answered"], span, bool(true_cite), bool(correct),
                completeness, float(ans["confidence"]), ms, ans.get("reason"), cpu_ms=cpu_ms, answer=ans["answer"],
            ))
        conn.close()
    return records, cites_ok, cites_all


def report(records: list[Record], cites_ok: int, cites_all: int) -> list[tuple[str, str]]:
    rows = []
    pos = [r for r in records if r.answerable]
    neg = [r for r in records if not r.answerable]

    def share(rs: list[Record], attr: str) -> str:
        return f"{sum(getattr(r, attr) for r in rs) / len(rs):.3f} (n={len(rs)})" if rs else "—"

    rows.append(("answerable accuracy (span + true citation), all", share(pos, "correct")))
    for lang in ("kk", "ru"):
        rows.append((f"answerable accuracy, {lang}", share([r for r in pos if r.lang == lang], "correct")))
    rows.append(("span-only accuracy, all", share(pos, "span")))
    rows.append(("citation accuracy (quote exact at offsets)",
                 f"{cites_ok / cites_all:.3f} (n={cites_all})" if cites_all else "—"))
    rows.append(("refusal rate on unanswerable", share(neg, "correct")))
    lists = [r.completeness for r in records if r.completeness is not None]
    rows.append(("list completeness (share of items returned)",
                 f"{statistics.mean(lists):.3f} (n={len(lists)})" if lists else "—"))
    lat = [r.ms for r in records]
    rows.append(("/ask over HTTP, first time: p50 / p95 ms",
                 f"{pct(lat, 50):.0f} / {pct(lat, 95):.0f} (n={len(lat)}, max {max(lat):.0f})"))
    cpu = [r.cpu_ms for r in records]
    rows.append(("CPU per /ask (this process): p50 / p95 ms", f"{pct(cpu, 50):.0f} / {pct(cpu, 95):.0f}"))
    rows.append(("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb-v2")
    ap.add_argument("--questions", type=Path, default=QUESTIONS_FILE)
    ap.add_argument("--split", choices=["dev", "blind", "blind3", "blind4", "blind5", "dev5", "all"], default="dev",
                    help="blind: v2's (spent: now looked at as dev); blind3 / blind4 / blind5: the v3 / v4 / v5 sets', "
                         "run once by the lead")
    ap.add_argument("--show-misses", action="store_true", help="not for blind3 / blind4 / blind5")
    ap.add_argument("--records", type=Path, help="write one JSON line per question here")
    ap.add_argument("--pool-main", action="store_true",
                    help="the question's own search with one candidate pool per language (Answerer.pool_main)")
    args = ap.parse_args()
    items = load_items(args.questions, args.split)
    if args.show_misses and any(it.split in ("blind3", "blind4", "blind5") for it in items):
        ap.error("--show-misses is not for the blind3 / blind4 / blind5 questions (they are not looked at)")
    kb = open_kb(args.data_dir)
    kb.answerer.pool_main = args.pool_main
    records, cites_ok, cites_all = ask_all(kb, items)
    if args.records:
        args.records.parent.mkdir(parents=True, exist_ok=True)
        args.records.write_text("".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records),
                                encoding="utf-8")
    if args.show_misses:
        for r, it in zip(records, items):
            if not r.correct:
                what = "MISS" if r.answerable else "ANSWERED-UNANSWERABLE"
                print(f"{what} {r.id} {it.text}\n  want: {it.answers[:1]} items={len(it.items)}"
                      f"\n  got:  {r.answer[:300]!r} ({r.confidence}; span={r.span} cite={r.true_citation})")
    print(f"\n{args.questions.name} split={args.split}")
    for k, v in report(records, cites_ok, cites_all):
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
