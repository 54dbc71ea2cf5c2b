"""Held-out figures for the answer confidence: leave one question set out, for the ranker and the model.

`python -m bench.qa_calibrate crossfit [--ranker learned|hand] [--write]`

For each development set (bench/qa_rank.py SETS: the original set with its negatives, v2, v3, dev5):

1. its questions are answered with the candidate ranker fitted on the other three sets (or the hand-set
   score: `--ranker hand`), refusals off, and each answer's confidence features and label recorded
   (bench/qa_calibrate.py `collect`);
2. the logistic confidence model is fitted on the other three sets' samples and scores this set's;
3. the refusal threshold is chosen on the other three sets alone (their own leave-one-set-out
   probabilities: the most accurate threshold that refuses >= 0.90 of their unanswerable questions) and
   applied to this set.

So every figure printed per set is for questions that neither the ranker, the model nor the threshold
saw. `--write` then fits the shipped model on all four sets, chooses its threshold on the pooled
held-out probabilities, sets the word bands from their reliability table and writes
kb/data/confidence.yaml (the table with it). The blind sets (v4, v5) are never read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from bench import qa_rank
from bench.qa_calibrate import OUT, REFUSAL_TARGET, Sample, collect, fit_lr
from bench.qa_calibrate import rates as _rates
from kb.confidence import ConfidenceModel

# The fitted features, and the ridge penalty. Measured held out (pooled over the four sets, each at the
# threshold chosen without it; kk / ru accuracy of 70 + 70, refusal of 52):
# - all of bench/qa_calibrate.py's (L2 10): 0.514 / 0.629 / 0.904; L2 30: 0.514 / 0.629 / 0.942;
# - without the word-overlap ones (lexical, coverage, unmatched), L2 30: 0.571 / 0.643 / 0.923 (kept).
#   Word overlap with the question says how the question was written more than whether the answer is
#   right: the original set's questions borrow the act's words, questions by other writers paraphrase
#   (v3's right answers had coverage 0.14-0.43), and the model learned to doubt them. The overlap still
#   ranks candidates (the ranker's score) and stays in "score".
# - with "choice" / "margin_in" (the ranker's own certainty within the question; the best single features,
#   AUC 0.83 / 0.81 held out): 0.486-0.529 / 0.586-0.629 / 0.865-0.904: left out, computed for the record.
# - weighting the four sets equally: no better (0.500-0.543 / 0.600-0.657 / 0.885-0.923).
# "cross" is left out as in bench/qa_calibrate.py. These choices were made on the same held-out figures,
# so the figures for the chosen setting are somewhat optimistic.
FEATURES = ("score", "meaning", "type", "margin", "cross_meaning", "asked_missing", "doc_missing",
            "asked_doc_missing")
L2 = 30.0
# The asked-missing rule (kb/confidence.py: an answer from an act that never names the asked thing needs
# p >= this). Held out it cost answers and refusals alike (at 0.85: kk/ru/refusal 0.543/0.586/0.865;
# off: 0.514/0.629/0.904): the model's own feature asked_doc_missing does its job. Off.
ASKED_GATE = 0.0


def rates(samples, probs, t):
    return _rates(samples, probs, t, gate=ASKED_GATE)


def fitted_asked_missing() -> float:
    return ASKED_GATE


ROOT = Path(__file__).resolve().parents[1]
# Narrower bins than bench/qa_calibrate.py's: the bands are set from this table.
BINS = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001]
# The word bands (second_bands): "high" where held-out answers were right at least this often.
HIGH_ACCURACY = 0.9


def cache_path(mode: str) -> Path:
    return ROOT / "bench" / "out" / f"crossfit-samples-{mode}.json"


def gather(data_dir: Path, mode: str) -> list[Sample]:
    from bench.search import open_kb

    kb = open_kb(data_dir)
    rows = json.loads(qa_rank.CACHE.read_text())
    out = []
    for name, items in qa_rank.dev_sets().items():
        kb.answerer.ranker = None if mode == "hand" else qa_rank.ranker([q for q in rows if q["set"] != name])
        for smp in collect(kb, items):
            smp.set = name
            out.append(smp)
    return out


def _model(samples: list[Sample], l2: float) -> ConfidenceModel:
    xs = [s for s in samples if s.x is not None]
    x = np.array([[s.x[f] for f in FEATURES] for s in xs], float)
    y = np.array([s.label for s in xs], float)
    w, b = fit_lr(x, y, l2=l2)
    return ConfidenceModel(dict(zip(FEATURES, map(float, w))), b, 0.5, 0.8, 0.5)


def held_out_probs(samples: list[Sample], l2: float) -> list[float]:
    """Each sample scored by a model fitted on the other sets."""
    probs = [0.0] * len(samples)
    for name in dict.fromkeys(s.set for s in samples):
        m = _model([s for s in samples if s.set != name], l2)
        for i, s in enumerate(samples):
            if s.set == name and s.x is not None:
                probs[i] = m.probability(s.x)
    return probs


def threshold(samples: list[Sample], probs: list[float]) -> float:
    grid = [round(float(t), 2) for t in np.arange(0.05, 0.96, 0.01)]
    meeting = [t for t in grid if rates(samples, probs, t)["refusal"] >= REFUSAL_TARGET]
    if meeting:
        return max(meeting, key=lambda t: (rates(samples, probs, t)["acc"], -t))
    return max(grid, key=lambda t: (rates(samples, probs, t)["acc"] + rates(samples, probs, t)["refusal"], -t))


def table(samples: list[Sample], probs: list[float]) -> list[dict]:
    out = []
    for lo, hi in zip(BINS, BINS[1:]):
        inb = [(s, p) for s, p in zip(samples, probs) if s.x is not None and lo <= p < hi]
        out.append({"from": lo, "to": round(min(hi, 1.0), 2), "n": len(inb),
                    "right": sum(s.label for s, _ in inb),
                    "accuracy": round(sum(s.label for s, _ in inb) / len(inb), 3) if inb else None})
    return out


def show_sets(samples: list[Sample], probs: list[float], l2: float) -> dict:
    """Per held-out set: the threshold chosen on the other sets, and this set's figures at it."""
    res = {}
    for name in dict.fromkeys(s.set for s in samples):
        rest = [s for s in samples if s.set != name]
        t = threshold(rest, held_out_probs(rest, l2))
        mine = [(s, p) for s, p in zip(samples, probs) if s.set == name]
        r = rates([s for s, _ in mine], [p for _, p in mine], t)
        refused_off = rates([s for s, _ in mine], [p for _, p in mine], 0.0)
        res[name] = {"threshold": t, **r, "acc_no_refusal": refused_off["acc"],
                     "n_pos": sum(s.answerable for s, _ in mine), "n_neg": sum(not s.answerable for s, _ in mine)}
        print(f"  held out {name:5s} (threshold {t:.2f} from the others): acc kk {r['acc_kk']:.3f} ru {r['acc_ru']:.3f}"
              f" refusal {r['refusal']:.3f} (n {res[name]['n_pos']}+{res[name]['n_neg']}); refusals off: acc {refused_off['acc']:.3f}")
    return res




# The second stage (kb/confidence.py `shown`): fitted on the answers that pass the threshold.
SECOND = ("choice", "margin_in")
L2_SECOND = 10.0


def _second_x(s: Sample, p: float) -> list[float]:
    q = min(max(p, 1e-6), 1 - 1e-6)
    values = {**s.x, "refusal_logit": float(np.log(q / (1 - q)))}
    return [values[f] for f in SECOND]


def second_model(samples: list[Sample], probs: list[float], thr: float) -> tuple[np.ndarray, float]:
    pairs = [(s, p) for s, p in zip(samples, probs) if s.x is not None and p >= thr]
    x = np.array([_second_x(s, p) for s, p in pairs], float)
    y = np.array([s.label for s, _ in pairs], float)
    return fit_lr(x, y, l2=L2_SECOND)


def held_out_second(samples: list[Sample], probs: list[float], thr: float) -> list[float | None]:
    """For each answered sample (held-out probability >= thr), the second stage fitted on the other sets'."""
    out: list[float | None] = [None] * len(samples)
    for name in dict.fromkeys(s.set for s in samples):
        rest = [(s, p) for s, p in zip(samples, probs) if s.set != name]
        w, b = second_model([s for s, _ in rest], [p for _, p in rest], thr)
        for i, (s, p) in enumerate(zip(samples, probs)):
            if s.set == name and s.x is not None and p >= thr:
                out[i] = float(1 / (1 + np.exp(-(b + np.dot(w, _second_x(s, p))))))
    return out


# Bands of the second stage's probability, each at least MIN_BAND held-out answers: "high" right at least
# HIGH_ACCURACY of the time, "medium" at least MEDIUM_ACCURACY and at least 0.1 below high, "low" below
# MEDIUM_ACCURACY. Of the boundaries that meet these, the largest high band, then the largest medium one.
# None meets them: two bands (medium empty, its boundary at high's).
MEDIUM_ACCURACY = 0.5
MIN_BAND = 10


def second_bands(samples: list[Sample], shown: list[float | None]) -> tuple[float, float, list[dict]]:
    pairs = [(s, q) for s, q in zip(samples, shown) if q is not None]

    def acc(lo, hi):
        got = [s.label for s, q in pairs if lo <= q < hi]
        return (sum(got) / len(got) if got else None), len(got)

    grid = [round(float(t), 2) for t in np.arange(0.05, 0.96, 0.01)]
    best = None
    for h in grid:
        ah, nh = acc(h, 2.0)
        if nh < MIN_BAND or ah < HIGH_ACCURACY:
            continue
        for m in [0.0] + grid:  # 0: every answer below high is medium
            if m >= h:
                break
            am, nm = acc(m, h)
            al, nl = acc(0.0, m)
            if nm >= MIN_BAND and MEDIUM_ACCURACY <= am <= ah - 0.1 and (nl == 0 or al < MEDIUM_ACCURACY):
                key = (nh, nm)
                if best is None or key > best[0]:
                    best = (key, h, m)
    if best is None:
        h = next((t for t in grid if (r := acc(t, 2.0))[1] >= MIN_BAND and r[0] >= HIGH_ACCURACY), 0.95)
        high, medium = h, h
    else:
        _, high, medium = best
    rows = []
    for name, lo, hi in (("high", high, 2.0), ("medium", medium, high), ("low", 0.0, medium)):
        a, n = acc(lo, hi)
        rows.append({"band": name, "from": lo, "n": n, "accuracy": round(a, 3) if a is not None else None})
    return high, medium, rows


def run(args) -> None:
    mode = getattr(args, "ranker", None) or "learned"
    path = args.samples or cache_path(mode)
    if path.exists():
        samples = [Sample(**d) for d in json.loads(path.read_text())]
    else:
        samples = gather(args.data_dir, mode)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([s.__dict__ for s in samples], ensure_ascii=False))
    args.l2 = args.l2 if args.l2 is not None else L2
    probs = held_out_probs(samples, args.l2)
    print(f"ranker: {mode}; confidence L2 {args.l2}; {len(samples)} questions")
    res = show_sets(samples, probs, args.l2)
    # Pooled held-out: each set at the threshold chosen without it.
    right = {"kk": [0, 0], "ru": [0, 0]}
    neg = [0, 0]
    for s, p in zip(samples, probs):
        t = res[s.set]["threshold"]
        refused = p < t or bool(s.x and s.x.get("asked_doc_missing")) and p < fitted_asked_missing()
        if s.answerable:
            right[s.lang][0] += int(s.label and not refused)
            right[s.lang][1] += 1
        else:
            neg[0] += int(refused)
            neg[1] += 1
    print("  pooled held out: " + " ".join(f"acc {k} {a}/{n} = {a / n:.3f}" for k, (a, n) in right.items())
          + f"; refusal {neg[0]}/{neg[1]} = {neg[0] / neg[1]:.3f}")
    thr = threshold(samples, probs)
    rel = table(samples, probs)
    shown = held_out_second(samples, probs, thr)
    answered = [(s, q) for s, q in zip(samples, shown) if q is not None]
    rel2 = table([s for s, _ in answered], [q for _, q in answered])
    high, medium, band_rows = second_bands(samples, shown)
    print(f"threshold on all held-out probabilities: {thr} -> {rates(samples, probs, thr)}")
    print("| confidence | n | right | accuracy |\n|---|---|---|---|")
    for r in rel:
        print(f"| {r['from']:.1f}–{r['to']:.1f} | {r['n']} | {r['right']} | {r['accuracy'] if r['accuracy'] is not None else '—'} |")
    print(f"answers above the threshold ({len(answered)}): the second stage's held-out reliability")
    print("| confidence shown | n | right | accuracy |\n|---|---|---|---|")
    for r in rel2:
        print(f"| {r['from']:.1f}–{r['to']:.1f} | {r['n']} | {r['right']} | {r['accuracy'] if r['accuracy'] is not None else '—'} |")
    print("| band (answers) | from | n | accuracy |\n|---|---|---|---|")
    for b in band_rows:
        print(f"| {b['band']} | {b['from']:.2f} | {b['n']} | {b['accuracy']} |")
    if getattr(args, "write", False):
        m = _model(samples, args.l2)
        w2, b2 = second_model(samples, probs, thr)
        OUT.write_text(
            "# Logistic confidence model (kb/confidence.py), fitted by `python -m bench.qa_calibrate crossfit --write`\n"
            "# on the development sets (original + qa_negative.yaml, v2, v3, dev5), "
            f"{sum(s.x is not None for s in samples)} scored, answers from the\n"
            f"# {mode} candidate ranker. threshold: refuse below this probability, chosen on the held-out\n"
            "# (leave-one-set-out) probabilities as the most accurate one refusing >= 0.90 of unanswerable questions.\n"
            "# answered: the second stage (kb/confidence.py `shown`), fitted on the answers above the threshold; an\n"
            "# answer shows its probability and the word of its band. bands (of that probability, held out): high from\n"
            f"# the lowest one above which answers were right >= {HIGH_ACCURACY} (n >= {MIN_BAND}); medium down to where the answers\n"
            f"# between were right >= {MEDIUM_ACCURACY}; below, low (a refusal is low too). reliability: the held-out tables they\n"
            "# were read from (bench/results/qa.md). asked_missing_threshold: an answer from an act that never\n"
            "# names the thing asked about needs at least this probability; 0: off (held out, the rule cost answers\n"
            "# and refusals alike: bench/qa_crossfit.py ASKED_GATE).\n"
            + yaml.safe_dump({
                "weights": {k: round(v, 4) for k, v in m.weights.items()}, "bias": round(m.bias, 4),
                "threshold": float(thr), "bands": {"high": float(high), "medium": float(medium)},
                "asked_missing_threshold": fitted_asked_missing(),
                "answered": {"weights": {k: round(float(v), 4) for k, v in zip(SECOND, w2)}, "bias": round(float(b2), 4)},
                "reliability": {"refusal_stage_bins": rel, "answered_bins": rel2, "bands": band_rows,
                                "held_out_by_set": res},
            }, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        print(f"wrote {OUT}")
