"""Fit the answer confidence (kb/confidence.py) on development questions; report its reliability.

Every question is asked in process with refusals off, so the answer the service would give at
any threshold is known, with the features of its best candidate. Label: 1 when that answer holds
an expected span with a true citation (bench/qa.py's definition), 0 when it does not or the
question has no answer in the corpus. A logistic regression (L2, numpy IRLS: a handful of
features, ~100 questions) maps features to the probability of a right answer.

    python -m bench.qa_calibrate crossfit [--write]  # the shipped file: bench/qa_crossfit.py (two stages, held-out figures)
    python -m bench.qa_calibrate fit        # the earlier one-stage fit (original set + all of v2 + dev5, 5-fold)
    python -m bench.qa_calibrate reliability --questions bench/data/qa_questions_v3.yaml --split blind3

`crossfit` (session 5) is how kb/data/confidence.yaml is made now: leave-one-question-set-out over the four
development sets for the ranker, the model and the threshold, and a second stage for answers (see
bench/qa_crossfit.py). `fit` writes a one-stage file without the second stage.

`fit` also prints a cross-fitted (5-fold) reliability table on dev, so the model is never judged
on the questions it was fitted on. The refusal threshold is chosen on dev's cross-fitted
probabilities: the most accurate one among those that refuse at least 90% of the unanswerable
questions (the issue's target; none does: the one that maximises accuracy + refusal rate; ties:
the lower threshold); the "high" band starts where the answers above it were right at least 90%
of the time on dev.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bench.evaldata import QUESTIONS_FILE, doc_key
from bench.qa import Item, _norm, load_items
from bench.search import open_kb
from kb.confidence import FEATURES as ALL_FEATURES, ConfidenceModel

# "cross" (answer in the other language) is computed but not fitted: on dev it mostly marks the
# Kazakh questions over Russian-only seeds, which are right by construction, so it learned to
# trust any cross-language answer (a Kazakh football question got "high" from a Russian plan).
# "cross_meaning" (the meaning score, for cross-language answers only) carries what is right in it:
# across languages the meaning is the only evidence.
FEATURES = tuple(f for f in ALL_FEATURES if f != "cross")
from kb.models import AskRequest

ROOT = Path(__file__).resolve().parents[1]
V2 = ROOT / "bench" / "data" / "qa_questions_v2.yaml"
DEV5 = ROOT / "bench" / "data" / "qa_questions_dev5.yaml"
OUT = ROOT / "kb" / "data" / "confidence.yaml"
BINS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0001]


@dataclass
class Sample:
    id: str
    lang: str
    answerable: bool
    x: dict[str, float] | None  # None: refused before scoring (language, nothing retrieved)
    label: int
    set: str = ""  # the question set (bench/qa_rank.py SETS), for leave-one-set-out fits


def answered(kb, items: list[Item]):
    """Each question asked once with refusals off: (item, answer, the answerer's analysis or None).
    The answerer is left as it was found."""
    answerer = kb.answerer
    seen: dict = {}
    orig = answerer.analyse

    def spy(req):
        seen["a"] = orig(req)
        return seen["a"]

    answerer.refusal_threshold = 0.0
    answerer.analyse = spy
    try:
        kb.ask(AskRequest(question="прогрев модели"))
        for it in items:
            seen.clear()
            ans = kb.ask(AskRequest(question=it.text))
            yield it, ans, seen.get("a")
    finally:
        answerer.analyse = orig
        answerer.refusal_threshold = None


def collect(kb, items: list[Item]) -> list[Sample]:
    out = []
    for it, ans, a in answered(kb, items):
        x = a.features if a is not None and a.best is not None else None
        text = _norm(ans.answer) if ans.answered else ""
        span = any(_norm(s) in text for s in it.answers)
        cite = False
        for c in ans.citations:
            doc = kb.get_document(c.doc_id)
            cite |= bool(doc and doc.text[c.start:c.end] == c.quote and doc_key(doc.source) == it.key)
        out.append(Sample(it.id, it.lang, it.answerable, x, int(it.answerable and ans.answered and span and cite)))
    return out


def _matrix(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    xs = [s for s in samples if s.x is not None]
    return np.array([[s.x[f] for f in FEATURES] for s in xs], dtype=float), np.array([s.label for s in xs], float)


def fit_lr(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method on standardised features; weights returned raw."""
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    reg = np.eye(len(w)) * l2
    reg[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + reg @ w
        hess = z.T @ (z * (p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    raw = w[1:] / sd
    return raw, float(w[0] - (raw * mu).sum())


def _probs(model: ConfidenceModel, samples: list[Sample]) -> list[float]:
    return [model.probability(s.x) if s.x is not None else 0.0 for s in samples]


def rates(samples: list[Sample], probs: list[float], t: float, gate: float | None = None) -> dict[str, float]:
    """Accuracy and refusal at threshold t; gate: the asked-missing rule's threshold (None: the file's)."""
    def share(rs):
        return sum(rs) / len(rs) if rs else float("nan")
    pos = [(s, p) for s, p in zip(samples, probs) if s.answerable]
    neg = [(s, p) for s, p in zip(samples, probs) if not s.answerable]
    from kb.confidence import model as fitted

    gate = fitted().asked_missing_threshold if gate is None else gate

    def refused(s, p):
        return p < t or bool(s.x and s.x.get("asked_doc_missing")) and p < gate

    out = {"acc": share([s.label and not refused(s, p) for s, p in pos]),
           "refusal": share([refused(s, p) for s, p in neg])}
    for lang in ("kk", "ru"):
        out[f"acc_{lang}"] = share([s.label and not refused(s, p) for s, p in pos if s.lang == lang])
    return {k: round(float(v), 3) for k, v in out.items()}


def reliability(samples: list[Sample], probs: list[float]) -> list[str]:
    """Accuracy per confidence bin: the share of answers in the bin that are right (answerable,
    span + true citation; an answer to an unanswerable question is wrong)."""
    rows = ["| confidence | n | answers right | mean confidence |", "|---|---|---|---|"]
    for lo, hi in zip(BINS, BINS[1:]):
        inb = [(s, p) for s, p in zip(samples, probs) if s.x is not None and lo <= p < hi]
        if inb:
            acc = sum(s.label for s, _ in inb) / len(inb)
            rows.append(f"| {lo:.1f}–{min(hi, 1):.1f} | {len(inb)} | {acc:.2f} | {np.mean([p for _, p in inb]):.2f} |")
        else:
            rows.append(f"| {lo:.1f}–{min(hi, 1):.1f} | 0 | — | — |")
    return rows


# The refusal target: the threshold is the one with the most right answers among those that
# refuse at least this share of dev's unanswerable questions under cross-fitting (an in-sample
# refusal rate flatters the threshold: its negatives were fitted on).
REFUSAL_TARGET = 0.90


def choose(samples: list[Sample], weights: np.ndarray, bias: float,
           cv_probs: list[float] | None = None) -> ConfidenceModel:
    base = ConfidenceModel(dict(zip(FEATURES, map(float, weights))), bias, 0.5, 0.8, 0.5)
    probs = _probs(base, samples)
    grid = [round(float(t), 2) for t in np.arange(0.05, 0.96, 0.01)]
    judged = cv_probs if cv_probs is not None else probs
    meeting = [t for t in grid if rates(samples, judged, t)["refusal"] >= REFUSAL_TARGET]
    if meeting:
        best_t = max(meeting, key=lambda t: (rates(samples, judged, t)["acc"], -t))
    else:
        best_t = max(grid, key=lambda t: (round(sum(v for k, v in rates(samples, judged, t).items()
                                                    if k in ("acc", "refusal")), 6), -t))
    high = next((t for t in grid if t >= best_t and _acc_above(samples, probs, t) >= 0.9), 0.9)
    return ConfidenceModel(base.weights, bias, float(best_t), float(max(high, best_t)), float(best_t))


def _acc_above(samples, probs, t) -> float:
    got = [s.label for s, p in zip(samples, probs) if s.x is not None and p >= t]
    return sum(got) / len(got) if got else 0.0


def fitted_asked_missing() -> float:
    from kb.confidence import model as fitted

    return fitted().asked_missing_threshold


def dev_items() -> list[Item]:
    # v2's blind questions were reported once (issue 15, first session) and are development data
    # since; the held-out set is v3's `blind3` (bench/data/qa_questions_v3.yaml).
    # dev5 (bench/data/qa_questions_dev5.yaml) was written before the answerer ran on it; its first-run
    # figure is recorded (BENCHMARKS.md) and it is development data since: its six near-miss questions
    # are the hard negatives the original set's off-topic ones are not.
    return load_items(QUESTIONS_FILE, "dev") + load_items(V2, "all") + load_items(DEV5, "dev5")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["fit", "reliability", "crossfit"])
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "kb-v2")
    ap.add_argument("--split", choices=["dev", "blind", "blind3", "blind4", "blind5", "dev5", "all"], default="dev",
                    help="reliability: the split of --questions to judge the fitted model on")
    ap.add_argument("--questions", type=Path, default=V2, help="reliability: the question file")
    ap.add_argument("--samples", type=Path, help="cache of the collected features (JSON)")
    # Only 4 dev answers are cross-language (all right, Kazakh questions over Russian-only seeds):
    # with L2 = 1 `cross_meaning` got weight 8 from them and a Kazakh football question drew a
    # Russian "главный эксперт" sentence at p 0.49. L2 = 10 measures the same on dev (repeated 5-fold
    # with the threshold chosen inside the training folds: acc + refusal 1.515 vs 1.509) with weights
    # half as steep.
    ap.add_argument("--l2", type=float, default=None,
                    help="ridge penalty on standardised features (fit: 10; crossfit: bench/qa_crossfit.py L2)")
    ap.add_argument("--ranker", choices=["learned", "hand"], default="learned", help="crossfit: the candidate ranker")
    ap.add_argument("--write", action="store_true", help="crossfit: write kb/data/confidence.yaml")
    args = ap.parse_args()
    if args.command == "crossfit":
        from bench.qa_crossfit import run

        run(args)
        return
    args.l2 = 10.0 if args.l2 is None else args.l2
    if args.samples and args.samples.exists():
        samples = [Sample(**d) for d in json.loads(args.samples.read_text())]
        for smp in samples:  # caches written before the feature existed
            if smp.x is not None and "cross_meaning" not in smp.x:
                smp.x["cross_meaning"] = smp.x["meaning"] * smp.x["cross"]
    else:
        kb = open_kb(args.data_dir)
        items = dev_items() if args.command == "fit" else load_items(args.questions, args.split)
        samples = collect(kb, items)
        if args.samples:
            args.samples.write_text(json.dumps([s.__dict__ for s in samples], ensure_ascii=False))
    if args.command == "fit":
        x, y = _matrix(samples)
        weights, bias = fit_lr(x, y, l2=args.l2)
        # Cross-fitted probabilities: each question scored by a model fitted without it.
        scored = [s for s in samples if s.x is not None]
        cv = {}
        rng = np.random.default_rng(7)
        folds = rng.permutation(len(scored)) % 5
        for k in range(5):
            train = [s for s, f in zip(scored, folds) if f != k]
            w, b = fit_lr(*_matrix(train), l2=args.l2)
            m = ConfidenceModel(dict(zip(FEATURES, map(float, w))), b, 0.5, 0.8, 0.5)
            for s, f in zip(scored, folds):
                if f == k:
                    cv[s.id] = m.probability(s.x)
        cv_probs = [cv.get(s.id, 0.0) for s in samples]
        model = choose(samples, weights, bias, cv_probs)
        print("dev, cross-fitted (5-fold) reliability:")
        print("\n".join(reliability(samples, cv_probs)))
        print(f"dev at threshold {model.threshold} (cross-fitted): {rates(samples, cv_probs, model.threshold)}")
        print(f"dev at threshold {model.threshold} (in-sample):   {rates(samples, _probs(model, samples), model.threshold)}")
        OUT.write_text(
            "# Logistic confidence model (kb/confidence.py), fitted by `python -m bench.qa_calibrate fit` on the\n"
            "# development questions (bench/data/qa_questions.yaml + qa_negative.yaml + all of v2 + dev5), "
            f"{len(scored)} scored.\n"
            "# threshold: refuse below this probability (chosen on dev); bands: the words the page shows;\n"
            "# asked_missing_threshold: an answer from an act that never names the thing asked about needs\n"
            "# at least this probability (a rule kept from the file, not fitted).\n"
            + yaml.safe_dump({
                "weights": {k: round(v, 4) for k, v in model.weights.items()}, "bias": round(model.bias, 4),
                "threshold": model.threshold, "bands": {"high": model.high, "medium": model.medium},
                # Not fitted: a rule (kb/confidence.py), kept from the file.
                "asked_missing_threshold": fitted_asked_missing(),
            }, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        print(f"wrote {OUT}")
    else:
        from kb.confidence import model as fitted

        m = fitted()
        probs = _probs(m, samples)
        print(f"{args.split}: reliability of the fitted model (not fitted on these questions)")
        print("\n".join(reliability(samples, probs)))
        print(f"at threshold {m.threshold}: {rates(samples, probs, m.threshold)}")
        # What an answer shows (the second stage), for the answers above the threshold, and per word band.
        shown = [(s, m.shown(p, s.x)) for s, p in zip(samples, probs)
                 if s.x is not None and not m.refuses(p, s.x)]
        if shown:
            print(f"answers above the threshold ({len(shown)}): the confidence shown")
            print("\n".join(reliability([s for s, _ in shown], [q for _, q in shown])))
            for band in ("high", "medium", "low"):
                got = [s.label for s, q in shown if m.level(q) == band]
                print(f"{band}: n={len(got)} right={sum(got)}" + (f" ({sum(got) / len(got):.2f})" if got else ""))


if __name__ == "__main__":
    main()
