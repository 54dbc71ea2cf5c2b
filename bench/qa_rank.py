"""Fit the answer candidate ranker (kb/answer_ranker.py) on the development question sets.

Every development question is asked in process with refusals off and the hand-set score (as
bench/qa_calibrate.py does); each of its candidates is recorded with its features
(Candidate.parts) and a label: 1 when the candidate is from the expected act and holds an expected
span. A conditional logit (softmax over one question's candidates, L2 on standardised features) is
fitted to put a right candidate first.

Held-out figures: leave one question set out (the original set, v2, v3, dev5), fit on the other
three, and count the held-out set's answerable questions whose first candidate is right, beside
the hand-set score's. Nothing here reads the blind sets (v4, v5).

    python -m bench.qa_rank collect --data-dir bench/out/kb-dev      # writes bench/out/rank-cands.json
    python -m bench.qa_rank fit [--l2 30] [--write]                 # cross-validates; --write: kb/data/answer_ranker.yaml
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import yaml

from bench.evaldata import QUESTIONS_FILE, doc_key
from bench.qa import ROOT, Item, _norm, load_items
from bench.qa_calibrate import answered
from bench.search import open_kb
from kb.answer_ranker import FILE, FEATURES as ALL

DATA = ROOT / "bench" / "data"
# The development sets: the cross-validation leaves one out at a time.
SETS = {
    "orig": (QUESTIONS_FILE, "dev"),  # with qa_negative.yaml
    "v2": (DATA / "qa_questions_v2.yaml", "all"),
    "v3": (DATA / "qa_questions_v3.yaml", "all"),
    "dev5": (DATA / "qa_questions_dev5.yaml", "dev5"),
}
CACHE = ROOT / "bench" / "out" / "rank-cands.json"
OUT = ROOT / "kb" / "data" / FILE
# "hand" (the hand-set score) is left out: the ranker is to replace it, not to lean on its tuning;
# "pen" is its penalties summed, taken apart in lead/continues/boiler/other_numbers.
FEATURES = tuple(f for f in ALL if f not in ("hand", "pen", "prior"))
QTYPES = ("when", "who", "amount", "obligation", "what")
# Features whose weight may differ by question type (--typed). Off by default: held out, they lost
# (obligation questions are nearly all in the original set, so leaving it out leaves them unfitted).
TYPED: tuple[str, ...] = ()
TYPED_ON = ("type", "focus", "row", "list", "obligation")


def dev_sets() -> dict[str, list[Item]]:
    return {name: load_items(path, split) for name, (path, split) in SETS.items()}


def collect(kb, sets: dict[str, list[Item]]) -> list[dict]:
    kb.answerer.ranker = None  # the hand-set score: features do not depend on it
    out = []
    for name, items in sets.items():
        for it, ans, a in answered(kb, items):
            spans = [_norm(s) for s in it.answers]
            row = {"set": name, "id": it.id, "lang": it.lang, "answerable": it.answerable,
                   "qtype": a.qtype if a else "what", "cands": []}
            for c in (a.cands if a else []):
                right = bool(it.key) and doc_key(c.hit.document.source) == it.key and any(
                    s in _norm(c.text) for s in spans)
                row["cands"].append({"x": {k: round(float(v), 5) for k, v in c.parts.items()},
                                     "y": int(right), "best": c is a.best})
            out.append(row)
    return out


def _design(q: dict, feats: tuple[str, ...]) -> np.ndarray:
    base = [[c["x"].get(f, 0.0) for f in feats] for c in q["cands"]]
    if not TYPED:
        return np.array(base, float).reshape(len(base), len(feats))
    typed = [[c["x"].get(f, 0.0) * (q["qtype"] == t) for t in QTYPES for f in TYPED] for c in q["cands"]]
    return np.hstack([np.array(base, float), np.array(typed, float).reshape(len(base), -1)])


def names(feats: tuple[str, ...]) -> list[str]:
    return list(feats) + [f"{t}:{f}" for t in QTYPES for f in TYPED]


def fit(questions: list[dict], feats: tuple[str, ...], l2: float, typed_l2: float) -> np.ndarray:
    """Conditional logit: maximise log sum over right candidates of softmax(score) per question."""
    from scipy.optimize import minimize

    qs = [(_design(q, feats), np.array([c["y"] for c in q["cands"]], bool))
          for q in questions if q["answerable"] and any(c["y"] for c in q["cands"])]
    allx = np.vstack([x for x, _ in qs])
    sd = allx.std(0)
    sd[sd == 0] = 1.0
    qs = [(x / sd, y) for x, y in qs]
    n = allx.shape[1]
    # The hand-set score, when given, is not penalised: the others are corrections shrunk towards it.
    pen = np.array([0.0 if f == "hand" else l2 for f in feats] + [typed_l2] * (n - len(feats)))

    def loss(w):
        total, grad = 0.0, np.zeros(n)
        for x, y in qs:
            s = x @ w
            s = s - s.max()
            p = np.exp(s)
            z = p.sum()
            zp = p[y].sum()
            total -= np.log(zp / z)
            grad -= (p[y] @ x[y]) / zp - (p @ x) / z
        return total + 0.5 * (pen * w * w).sum(), grad + pen * w

    res = minimize(loss, np.zeros(n), jac=True, method="L-BFGS-B")
    return res.x / sd


def top1(questions: list[dict], score) -> tuple[int, int]:
    """(right, answerable): questions whose highest-scored candidate is right."""
    right = n = 0
    for q in questions:
        if not q["answerable"]:
            continue
        n += 1
        if q["cands"]:
            s = score(q)
            right += q["cands"][int(np.argmax(s))]["y"]
    return right, n


def hand(q: dict) -> np.ndarray:
    return np.array([c["x"]["hand"] for c in q["cands"]])


def learned(w: np.ndarray, feats):
    return lambda q: _design(q, feats) @ w


def crossval(rows: list[dict], feats, l2: float, typed_l2: float) -> dict:
    out = {}
    for held in SETS:
        train = [q for q in rows if q["set"] != held]
        test = [q for q in rows if q["set"] == held]
        w = fit(train, feats, l2, typed_l2)
        res = {}
        for lang in ("kk", "ru"):
            sub = [q for q in test if q["lang"] == lang]
            res[lang] = (top1(sub, hand), top1(sub, learned(w, feats)))
        out[held] = res
    return out


def show(cv: dict) -> tuple[int, int, int]:
    tot_h = tot_l = tot_n = 0
    for held, res in cv.items():
        cells = []
        for lang, ((hr, n), (lr, _)) in res.items():
            cells.append(f"{lang} {hr}/{n} -> {lr}/{n}")
            tot_h, tot_l, tot_n = tot_h + hr, tot_l + lr, tot_n + n
        print(f"  held out {held:5s}: " + "; ".join(cells))
    print(f"  all held out: hand {tot_h}/{tot_n} = {tot_h / tot_n:.3f}; learned {tot_l}/{tot_n} = {tot_l / tot_n:.3f}")
    return tot_h, tot_l, tot_n


def scaled_fit(rows: list[dict], feats, l2: float, typed_l2: float) -> tuple[np.ndarray, float]:
    """The fitted weights scaled to the hand-set score's spread over candidates (kb/answer_ranker.py:
    margins), and the scale."""
    w = fit(rows, feats, l2, typed_l2)
    cands = [c for q in rows for c in q["cands"]]
    learned_scores = np.concatenate([_design(q, feats) @ w for q in rows if q["cands"]])
    scale = float(np.std([c["x"]["hand"] for c in cands]) / np.std(learned_scores))
    return w * scale, scale


def ranker(rows: list[dict], feats=FEATURES + ("hand",), l2: float = 30.0, typed_l2: float = 5.0):
    """A kb.answer_ranker.Ranker fitted on these questions (for cross-fitted benches)."""
    from kb.answer_ranker import Ranker

    w, scale = scaled_fit(rows, feats, l2, typed_l2)
    nm = names(feats)
    by_type: dict[str, dict[str, float]] = {}
    for k, v in zip(nm, w):
        if ":" in k:
            t, f = k.split(":")
            by_type.setdefault(t, {})[f] = float(v)
    return Ranker(weights={k: float(v) for k, v in zip(nm, w) if ":" not in k}, by_type=by_type,
                  temperature=scale)


def write(rows: list[dict], feats, l2: float, typed_l2: float, cv_line: str) -> None:
    w, scale = scaled_fit(rows, feats, l2, typed_l2)
    nm = names(feats)
    base = {k: round(float(v), 5) for k, v in zip(nm, w) if ":" not in k}
    by_type: dict[str, dict[str, float]] = {}
    for k, v in zip(nm, w):
        if ":" in k and abs(v) > 1e-6:
            t, f = k.split(":")
            by_type.setdefault(t, {})[f] = round(float(v), 5)
    OUT.write_text(
        "# Learned answer candidate ranker (kb/answer_ranker.py): a conditional logit over each question's\n"
        "# candidates, fitted by `python -m bench.qa_rank fit --write` on the development sets (original +\n"
        f"# negatives, v2, v3, dev5; {sum(q['answerable'] for q in rows)} answerable questions), L2 {l2} "
        f"(by type {typed_l2}), scaled x{scale:.3f}\n"
        "# to the hand-set score's spread. Leave-one-set-out top-1 (held-out): " + cv_line + "\n"
        "# enabled: false switches back to the hand-set score.\n"
        + yaml.safe_dump({"enabled": True, "temperature": round(scale, 5), "weights": base, "by_type": by_type},
                         sort_keys=False),
        encoding="utf-8")
    print(f"wrote {OUT}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["collect", "fit"])
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb-dev")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--l2", type=float, default=30.0)
    ap.add_argument("--typed-l2", type=float, default=5.0)
    ap.add_argument("--drop", nargs="*", default=[], help="features left out")
    ap.add_argument("--typed", action="store_true", help="weights by question type too")
    ap.add_argument("--add", nargs="*", default=["hand"], help="features put in (default: the hand-set score)")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if args.command == "collect":
        rows = collect(open_kb(args.data_dir), dev_sets())
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        args.cache.write_text(json.dumps(rows, ensure_ascii=False))
        print(f"wrote {args.cache}: {len(rows)} questions, {sum(len(q['cands']) for q in rows)} candidates")
        return
    rows = json.loads(args.cache.read_text())
    global TYPED
    TYPED = TYPED_ON if args.typed else ()
    feats = tuple(f for f in FEATURES if f not in args.drop) + tuple(args.add)
    print(f"features: {feats}; l2 {args.l2}, typed {args.typed_l2}")
    h, lrn, n = show(crossval(rows, feats, args.l2, args.typed_l2))
    if args.write:
        write(rows, feats, args.l2, args.typed_l2, f"hand {h}/{n}, learned {lrn}/{n}")


if __name__ == "__main__":
    main()
