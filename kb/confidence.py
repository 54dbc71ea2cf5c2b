"""Calibrated answer confidence: the probability that an answer is right.

The answerer's ranking score orders candidates; it does not say how often the chosen one is
right (a right answer scored 0.53 and a refused one 0.50). A logistic model over a few
features of the winning candidate turns them into a probability, fitted on the development
questions (bench/qa_calibrate.py writes kb/data/confidence.yaml): label 1 when the answer
holds the expected span with a true citation, 0 when it does not or the question has no
answer in the corpus. The refusal threshold is chosen on held-out (leave-one-set-out) probabilities of
the development sets; an answer above it shows a second stage's probability, and the word bands
(high/medium/low) are read from that one's held-out reliability table (bench/qa_crossfit.py,
bench/results/qa.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

# The features the answerer computes for its best candidate (kb.answers.Answerer.analyse).
FEATURES = ("score", "meaning", "lexical", "type", "margin", "coverage", "cross", "unmatched", "cross_meaning",
            "asked_missing", "doc_missing", "asked_doc_missing", "choice", "margin_in")


@dataclass(frozen=True)
class ConfidenceModel:
    weights: dict[str, float]
    bias: float
    threshold: float  # below it, the answer is refused
    high: float  # at or above: "high"
    medium: float  # at or above: "medium"; below: "low"
    # Below this, an answer whose act never names the thing asked about (feature asked_doc_missing)
    # is refused too: near-miss questions ask for a detail no act states (a fee, a distance, a fine).
    asked_missing_threshold: float = 0.0
    # The second stage: for an answer that passed the threshold, the probability that it is right, from the
    # first stage's log-odds ("refusal_logit") and the ranker's certainty within the question ("choice",
    # "margin_in"). The first stage tells near misses from answerable questions; above its threshold it
    # cannot tell a right sentence from a wrong one of the right act, which these can. The page's number
    # and words are this one's for answers (bands: high, medium); empty: the first stage's probability.
    answered_weights: dict[str, float] = field(default_factory=dict)
    answered_bias: float = 0.0

    def refuses(self, p: float, features: dict[str, float], threshold: float | None = None) -> bool:
        """Refuse below the threshold; a caller's own threshold (benches: 0, to see every answer)
        replaces both of the model's rules."""
        if threshold is not None:
            return p < threshold
        if p < self.threshold:
            return True
        return bool(features.get("asked_doc_missing")) and p < self.asked_missing_threshold

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * float(features.get(name, 0.0)) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def shown(self, p: float, features: dict[str, float]) -> float:
        """The confidence an answer shows: the second stage's probability (the first's without one)."""
        if not self.answered_weights:
            return p
        q = min(max(p, 1e-6), 1 - 1e-6)
        values = {**features, "refusal_logit": math.log(q / (1 - q))}
        z = self.answered_bias + sum(w * float(values.get(k, 0.0)) for k, w in self.answered_weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def level(self, p: float) -> str:
        return "high" if p >= self.high else "medium" if p >= self.medium else "low"


@lru_cache
def model() -> ConfidenceModel:
    with resources.files("kb.data").joinpath("confidence.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    unknown = set(raw["weights"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"kb/data/confidence.yaml: weights: unknown features {sorted(unknown)}")
    second = raw.get("answered") or {}
    unknown = set(second.get("weights", {})) - set(FEATURES) - {"refusal_logit"}
    if unknown:
        raise ValueError(f"kb/data/confidence.yaml: answered.weights: unknown features {sorted(unknown)}")
    return ConfidenceModel(
        answered_weights={k: float(v) for k, v in second.get("weights", {}).items()},
        answered_bias=float(second.get("bias", 0.0)),
        weights={k: float(v) for k, v in raw["weights"].items()}, bias=float(raw["bias"]),
        threshold=float(raw["threshold"]), high=float(raw["bands"]["high"]), medium=float(raw["bands"]["medium"]),
        asked_missing_threshold=float(raw.get("asked_missing_threshold", 0.0)),
    )
