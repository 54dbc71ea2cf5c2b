"""Question answering: exact-answer accuracy, citation accuracy, refusals and latency.

- exact-answer accuracy: the expected span (or one of its alternatives) is inside the answer;
- citation accuracy: every citation's quote is exactly the cited document's text at the cited offsets;
- refusals: share of unanswerable questions (bench/data/qa_negative.yaml) answered "no answer";
- latency of KnowledgeBase.ask in process (the HTTP figure is in bench/latency.py).

Every question is asked once with the refusal threshold off, so the best candidate and its
score are known for all of them; the table is then computed at the configured threshold and,
for calibration, at a sweep of thresholds (the threshold is only compared at the very end of
`Answerer.ask`, so this is exactly what the service would answer at each of them).

    python -m bench.qa [--data-dir bench/out/kb] [--show-misses]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.evaldata import load_questions
from bench.search import open_kb
from kb.models import AskRequest

ROOT = Path(__file__).resolve().parents[1]
SWEEP = [0.40, 0.45, 0.48, 0.50, 0.52, 0.55, 0.58, 0.60]


def _norm(text: str) -> str:
    text = text.replace("«", '"').replace("»", '"').replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class Result:
    id: str
    lang: str
    negative: bool
    score: float  # best candidate's score (0 when refused before scoring)
    candidate: bool  # the best candidate (answered or not) holds an expected span
    scored: bool  # reached scoring (not refused for language or an empty retrieval)
    ms: float


def _answered(r: Result, threshold: float) -> bool:
    return r.scored and r.score >= threshold


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--pool-main", action="store_true",
                    help="the question's own search with one candidate pool per language (Answerer.pool_main)")
    args = ap.parse_args()
    kb = open_kb(args.data_dir)
    answerer = kb.answerer
    answerer.pool_main = args.pool_main
    threshold = answerer.threshold
    questions = load_questions()
    negatives = yaml.safe_load((ROOT / "bench" / "data" / "qa_negative.yaml").read_text(encoding="utf-8"))
    kb.ask(AskRequest(question="прогрев модели"))  # first call loads the model

    answerer.threshold = 0.0
    results: list[Result] = []
    cites_ok = cites_all = 0
    items = [(q.id, q.lang, q.text, q.answers, q.answer, False) for q in questions]
    items += [(n["id"], n["lang"], n["text"], [], "", True) for n in negatives]
    for qid, lang, text, answers, want, negative in items:
        t0 = time.perf_counter()
        ans = kb.ask(AskRequest(question=text))
        ms = (time.perf_counter() - t0) * 1000
        scored = ans.answered  # with the threshold off, only language/empty-retrieval refusals remain
        hit = scored and any(_norm(a) in _norm(ans.answer) for a in answers)
        results.append(Result(qid, lang, negative, ans.confidence if scored else 0.0, hit, scored, ms))
        for c in ans.citations:
            cites_all += 1
            doc = kb.get_document(c.doc_id)
            cites_ok += bool(doc and doc.text[c.start:c.end] == c.quote)
        if args.show_misses and not negative and not (hit and ans.confidence >= threshold):
            print(f"MISS {qid} {text}\n  want: {want}\n  got:  {ans.answer[:200]!r} ({ans.confidence})")
        if args.show_misses and negative and scored and ans.confidence >= threshold:
            print(f"ANSWERED-NEGATIVE {qid} {text}\n  got:  {ans.answer[:200]!r} ({ans.confidence})")
    # Same questions again: the answerer keeps candidate vectors in memory, so a serving
    # process that has seen these passages answers faster than a cold one.
    warm = []
    for _, _, text, _, _, negative in items:
        if not negative:
            t0 = time.perf_counter()
            kb.ask(AskRequest(question=text))
            warm.append((time.perf_counter() - t0) * 1000)
    answerer.threshold = threshold

    pos = [r for r in results if not r.negative]
    neg = [r for r in results if r.negative]

    def accuracy(rs: list[Result], t: float) -> float:
        return sum(r.candidate and _answered(r, t) for r in rs) / max(1, len(rs))

    def refusal(rs: list[Result], t: float) -> float:
        return sum(not _answered(r, t) for r in rs) / max(1, len(rs))

    lat = sorted(r.ms for r in pos)
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    print(f"\nthreshold {threshold}")
    print(f"{'measure':<36} {'value':>8}")
    print(f"{'exact-answer accuracy (all)':<36} {accuracy(pos, threshold):>8.3f}   n={len(pos)}")
    for lang in ("kk", "ru"):
        rs = [r for r in pos if r.lang == lang]
        print(f"{'exact-answer accuracy (' + lang + ')':<36} {accuracy(rs, threshold):>8.3f}   n={len(rs)}")
    print(f"{'citation accuracy':<36} {cites_ok / max(1, cites_all):>8.3f}   n={cites_all}")
    print(f"{'refusal rate on unanswerable':<36} {refusal(neg, threshold):>8.3f}   n={len(neg)}")
    for lang in sorted({r.lang for r in neg}):
        rs = [r for r in neg if r.lang == lang]
        print(f"{'refusal rate (' + lang + ')':<36} {refusal(rs, threshold):>8.3f}   n={len(rs)}")
    print(f"{'ask latency p50 (ms, in process)':<36} {statistics.median(lat):>8.0f}")
    print(f"{'ask latency p95 (ms, in process)':<36} {p95:>8.0f}")
    warm.sort()
    print(f"{'  same, repeated (vectors cached) p50':<36} {statistics.median(warm):>8.0f}")
    print(f"{'  same, repeated (vectors cached) p95':<36} {warm[min(len(warm) - 1, int(0.95 * len(warm)))]:>8.0f}")

    print("\nthreshold sweep (accuracy on answerable / refusal on unanswerable)")
    print(f"{'threshold':>9} {'acc all':>8} {'acc kk':>7} {'acc ru':>7} {'refusal':>8}")
    for t in SWEEP:
        kk = [r for r in pos if r.lang == "kk"]
        ru = [r for r in pos if r.lang == "ru"]
        print(f"{t:>9.2f} {accuracy(pos, t):>8.3f} {accuracy(kk, t):>7.3f} {accuracy(ru, t):>7.3f} {refusal(neg, t):>8.3f}")


if __name__ == "__main__":
    main()
