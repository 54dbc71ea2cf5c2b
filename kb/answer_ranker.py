"""The learned candidate ranker: which sentence, row, list or record of the retrieved passages answers.

The answerer's hand-set score (kb/answers.py `_score`) weighs meaning, word match, answer type and
a few penalties with weights chosen by trying settings on the development questions; on questions
written by someone else it picks a wrong candidate far more often than on those (the expected span
is among the candidates for 97% of development questions). This ranker is a conditional logit
(softmax over one question's candidates) on the same parts taken apart, plus a few facts about the
candidate, fitted by `python -m bench.qa_rank fit` with leave-one-question-set-out cross-validation
(bench/results/qa.md). Its weights are data: kb/data/answer_ranker.yaml.

Scale: a conditional logit's score is a log-odds; the file's weights are scaled so that the spread
of scores over candidates matches the hand-set score's, so the answerer's relative margins
(`version_margin`, `list_margin`) keep their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

# The candidate features kb/answers.py puts in Candidate.parts that a ranker may weigh.
FEATURES = (
    "meaning", "lexical", "type", "prior", "support", "lang", "pen", "hand", "lead", "continues", "boiler",
    "other_numbers", "cross", "coverage", "title", "row", "list", "obligation", "unretrieved", "length", "item",
    "focus", "rank", "doc_rank", "sim",
)
FILE = "answer_ranker.yaml"


@dataclass(frozen=True)
class Ranker:
    weights: dict[str, float]
    # Weights added for one question type ("when", "who", "amount", "obligation", "what").
    by_type: dict[str, dict[str, float]]
    # The softmax temperature that turns scores back into the fitted choice probabilities (the
    # weights were scaled by it); kb/answers.py's confidence feature "choice" uses it.
    temperature: float = 0.04

    def score(self, parts: dict[str, float], qtype: str) -> float:
        extra = self.by_type.get(qtype, {})
        return sum(w * float(parts.get(k, 0.0)) for k, w in self.weights.items()) + sum(
            w * float(parts.get(k, 0.0)) for k, w in extra.items())


def parse(raw: dict, where: str = f"kb/data/{FILE}") -> Ranker | None:
    """A ranker from the file's mapping; None when the file switches it off (`enabled: false`)."""
    if not isinstance(raw, dict) or "weights" not in raw:
        raise ValueError(f"{where}: expected a mapping with 'weights'")
    if not raw.get("enabled", True):
        return None
    by_type = raw.get("by_type") or {}
    for name, ws in [("weights", raw["weights"]), *((f"by_type.{k}", v) for k, v in by_type.items())]:
        if not isinstance(ws, dict):
            raise ValueError(f"{where}: {name}: expected a mapping of feature to weight")
        unknown = set(ws) - set(FEATURES)
        if unknown:
            raise ValueError(f"{where}: {name}: unknown features {sorted(unknown)}")
    return Ranker(weights={k: float(v) for k, v in raw["weights"].items()},
                  by_type={t: {k: float(v) for k, v in ws.items()} for t, ws in by_type.items()},
                  temperature=float(raw.get("temperature", 0.04)))


@lru_cache
def model() -> Ranker | None:
    path = resources.files("kb.data").joinpath(FILE)
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as fh:
        return parse(yaml.safe_load(fh))
