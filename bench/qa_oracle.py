"""Where answerable questions are lost: retrieval, candidate generation or ranking (dev only).

For each answerable question, asked in process with refusals off (as bench/qa_calibrate.py does):

- doc:      the expected document (either language version) holds an expected span at all;
- passage:  a retrieved passage of the expected act holds an expected span;
- cand:     some candidate of the expected act holds an expected span (the "oracle": the best a
            perfect ranker could do with these candidates);
- best:     the chosen answer holds it with a true citation (bench/qa.py's accuracy, refusals off);
- rank:     the position of the first right candidate in the ranking.

Not for the blind splits: `--split blind3` is refused.

    python -m bench.qa_oracle --data-dir bench/out/kb-a3 [--show]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.evaldata import doc_key
from bench.qa import ROOT, Item, _norm, load_items
from bench.qa_calibrate import answered, dev_items
from bench.search import open_kb



def diagnose(kb, items: list[Item]) -> list[dict]:
    out = []
    by_key: dict[str, list] = {}
    for d in kb.docs:
        by_key.setdefault(doc_key(d.source), []).append(d)
    for it, ans, a in answered(kb, items):
        spans = [_norm(s) for s in it.answers]

        def holds(text: str) -> bool:
            t = _norm(text)
            return any(s in t for s in spans)

        def right_doc(doc) -> bool:
            return bool(it.key) and doc_key(doc.source) == it.key

        row = {"id": it.id, "q": it.text, "lang": it.lang, "answerable": it.answerable, "answered": ans.answered,
               "confidence": ans.confidence, "answer": ans.answer[:300],
               "completeness": (sum(_norm(i) in _norm(ans.answer) for i in it.items) / len(it.items))
               if it.items else None}
        if it.answerable:
            docs = by_key.get(it.key, [])
            row["doc"] = any(holds(d.text) for d in docs) if docs else None
            hits = a.hits if a else []
            row["passage"] = any(right_doc(h.document) and holds(h.text) for h in hits)
            cands = sorted(a.cands, key=lambda c: -c.score) if a else []
            ranks = [i for i, c in enumerate(cands) if right_doc(c.hit.document) and holds(c.text)]
            row["cand"] = bool(ranks)
            row["rank"] = ranks[0] if ranks else None
            text = _norm(ans.answer)
            cite = any(
                (d := kb.get_document(c.doc_id)) is not None and d.text[c.start:c.end] == c.quote
                and right_doc(d) for c in ans.citations)
            row["best"] = bool(any(s in text for s in spans) and cite)
            row["want"] = it.answers[:1]
            row["n_cands"] = len(cands)
            row["n_hits"] = len(hits)
            row["top"] = [(round(c.score, 3), c.kind, c.text[:120]) for c in cands[:3]]
            if ranks:
                c = cands[ranks[0]]
                row["right"] = (round(c.score, 3), {k: round(v, 3) for k, v in c.parts.items()}, c.text[:160])
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb-v2")
    ap.add_argument("--questions", type=Path, help="default: the dev questions (original set + v2)")
    ap.add_argument("--split", default="all")
    ap.add_argument("--show", action="store_true", help="print each question that is not right")
    ap.add_argument("--out", type=Path, help="write the rows as JSON lines")
    args = ap.parse_args()
    if args.split.startswith("blind3") or args.split in ("blind4", "blind5"):
        ap.error("not for the blind splits")
    items = load_items(args.questions, args.split) if args.questions else dev_items()
    if any(it.split in ("blind3", "blind4", "blind5") for it in items):
        ap.error("not for the blind splits")
    kb = open_kb(args.data_dir)
    rows = diagnose(kb, items)
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    from kb.confidence import model

    thr = model().threshold
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    lists = [r["completeness"] for r in rows if r.get("completeness") is not None]
    print(f"with refusals (threshold {thr}): acc "
          + " ".join(f"{lang}={sum(r['best'] and r['confidence'] >= thr for r in pos if r['lang'] == lang) / max(1, sum(r['lang'] == lang for r in pos)):.3f}"
                     for lang in ("kk", "ru"))
          + f" refusal={sum(r['confidence'] < thr for r in neg) / max(1, len(neg)):.3f} (n={len(neg)})"
          + (f" lists={sum(lists) / len(lists):.3f} (n={len(lists)})" if lists else ""))
    for lang in ("kk", "ru", "all"):
        rs = [r for r in pos if lang == "all" or r["lang"] == lang]
        if not rs:
            continue
        share = {k: sum(bool(r[k]) for r in rs) / len(rs) for k in ("doc", "passage", "cand", "best")}
        print(f"{lang}: n={len(rs)} " + " ".join(f"{k}={v:.3f}" for k, v in share.items()))
    if args.show:
        for r in pos:
            if not r["best"]:
                print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
