"""Question answering: exact-answer accuracy, citation accuracy, refusals and latency.

- exact-answer accuracy: the expected span (or one of its alternatives) is inside the answer;
- citation accuracy: every citation's quote is exactly the cited document's text at the cited offsets;
- refusals: share of unanswerable questions (bench/data/qa_negative.yaml) answered "no answer";
- latency of KnowledgeBase.ask in process (the HTTP figure is in bench/latency.py).

    python -m bench.qa [--data-dir bench/out/kb] [--show-misses]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

import yaml

from bench.evaldata import load_questions
from bench.search import open_kb
from kb.models import AskRequest

ROOT = Path(__file__).resolve().parents[1]


def _norm(text: str) -> str:
    text = text.replace("«", '"').replace("»", '"').replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    kb = open_kb(args.data_dir)
    questions = load_questions()
    negatives = yaml.safe_load((ROOT / "bench" / "data" / "qa_negative.yaml").read_text(encoding="utf-8"))
    kb.ask(AskRequest(question="прогрев модели"))  # first call loads the model

    by_lang: dict[str, list[bool]] = {"kk": [], "ru": []}
    cites_ok = cites_all = 0
    latencies = []
    for q in questions:
        t0 = time.perf_counter()
        ans = kb.ask(AskRequest(question=q.text))
        latencies.append((time.perf_counter() - t0) * 1000)
        ok = ans.answered and any(_norm(a) in _norm(ans.answer) for a in q.answers)
        by_lang[q.lang].append(ok)
        for c in ans.citations:
            cites_all += 1
            doc = kb.get_document(c.doc_id)
            cites_ok += bool(doc and doc.text[c.start:c.end] == c.quote)
        if args.show_misses and not ok:
            print(f"MISS {q.id} [{q.type}] {q.text}\n  want: {q.answer}\n  got:  {ans.answer[:200]!r} ({ans.confidence})")
    refused = [not kb.ask(AskRequest(question=n["text"])).answered for n in negatives]

    allq = by_lang["kk"] + by_lang["ru"]
    lat = sorted(latencies)
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    print(f"\n{'measure':<34} {'value':>8}")
    print(f"{'exact-answer accuracy (all)':<34} {sum(allq) / len(allq):>8.3f}   n={len(allq)}")
    for lang, oks in by_lang.items():
        print(f"{'exact-answer accuracy (' + lang + ')':<34} {sum(oks) / max(1, len(oks)):>8.3f}   n={len(oks)}")
    print(f"{'citation accuracy':<34} {cites_ok / max(1, cites_all):>8.3f}   n={cites_all}")
    print(f"{'refusal rate on unanswerable':<34} {sum(refused) / len(refused):>8.3f}   n={len(refused)}")
    print(f"{'ask latency p50 (ms, in process)':<34} {statistics.median(lat):>8.0f}")
    print(f"{'ask latency p95 (ms, in process)':<34} {p95:>8.0f}")


if __name__ == "__main__":
    main()
