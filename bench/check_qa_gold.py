"""Checks a Q&A gold file against the corpus texts, without running any part of the system.

For every question: `doc` exists under corpora/ and is not a reserved act; `answer`, each
`answer_alt` and each `items` entry is an exact substring of one line of `doc` (ingestion joins
hard-wrapped lines, so a span across a break would not survive); `answer` / `answer_alt` are 1-12
words; unanswerable questions carry `why` and no answer; ids are unique; the file loads with the
benchmark's own loader (bench.evaldata.load_questions). Prints counts per language and kind
(factual / list / near-miss) and, with --against, question texts repeated from other gold files.

    python bench/check_qa_gold.py bench/data/qa_questions_v3.yaml \
        --against bench/data/qa_questions.yaml bench/data/qa_questions_v2.yaml
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
RESERVED = Path("/work/shared/eval/reserved-acts.txt")
MAX_WORDS = 12


def reserved_codes(path: Path = RESERVED) -> set[str]:
    """act_codes held back for independent evaluation (empty when the list is absent)."""
    if not path.exists():
        return set()
    return {ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")}


def _norm_q(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def check(path: Path, against: list[Path]) -> tuple[list[str], Counter]:
    errors: list[str] = []
    counts: Counter = Counter()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        return [f"{path}: cannot read as YAML: {e}"], counts
    if not isinstance(raw, list):
        return [f"{path}: expected a list of questions"], counts
    reserved = reserved_codes()
    seen: set[str] = set()
    for i, q in enumerate(raw):
        qid = q.get("id", f"#{i}") if isinstance(q, dict) else f"#{i}"
        if not isinstance(q, dict):
            errors.append(f"{qid}: not a mapping")
            continue
        if qid in seen:
            errors.append(f"{qid}: duplicate id")
        seen.add(qid)
        doc = q.get("doc", "")
        code = re.search(r"-(\d+)/", doc)
        if code and code.group(1) in reserved:
            errors.append(f"{qid}: doc is reserved act {code.group(1)}")
        file = CORPORA / doc
        if not file.is_file():
            errors.append(f"{qid}: doc {doc!r} is not a file under corpora/")
            continue
        lines = file.read_text(encoding="utf-8").splitlines()
        answerable = q.get("answerable", True)
        spans = [q.get("answer", "")] + list(q.get("answer_alt", []))
        if answerable:
            for s in spans:
                n = len(s.split())
                if not 1 <= n <= MAX_WORDS:
                    errors.append(f"{qid}: answer {s!r} has {n} words (want 1-{MAX_WORDS})")
            for s in spans + list(q.get("items", [])):
                if not s or not any(s in ln for ln in lines):
                    errors.append(f"{qid}: {s!r} is not a substring of one line of {doc}")
            if q.get("items") and q.get("answer") not in q["items"] and not any(
                    all(it in ln for it in q["items"]) and q["answer"] in ln for ln in lines):
                errors.append(f"{qid}: with items, answer should be the first item or the whole list line")
        else:
            if q.get("answer") or q.get("answer_alt") or q.get("items"):
                errors.append(f"{qid}: unanswerable question carries an answer or items")
            if not q.get("why"):
                errors.append(f"{qid}: unanswerable question needs `why`")
        kind = "near-miss" if not answerable else ("list" if q.get("items") else "factual")
        counts[(q.get("lang"), kind)] += 1
        counts[("split", q.get("split"))] += 1

    old = {}
    for other in against:
        for q in yaml.safe_load(other.read_text(encoding="utf-8")) or []:
            old[_norm_q(q["text"])] = f"{other.name}:{q['id']}"
    for q in raw:
        hit = old.get(_norm_q(q.get("text", "")))
        if hit:
            errors.append(f"{q.get('id')}: same text as {hit}")

    try:  # the benchmark's own loader, so the file is usable as is
        sys.path.insert(0, str(ROOT))
        from bench.evaldata import load_questions
        load_questions(path)
    except Exception as e:  # noqa: BLE001 - report any loader complaint as a finding
        errors.append(f"bench.evaldata.load_questions rejects the file: {e}")
    return errors, counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("--against", type=Path, nargs="*", default=[],
                    help="older gold files whose question texts must not be repeated")
    args = ap.parse_args()
    errors, counts = check(args.questions, args.against)
    for (a, b), n in sorted(counts.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        print(f"{a:6} {b:10} {n}")
    for e in errors:
        print("ERROR", e)
    print(f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
