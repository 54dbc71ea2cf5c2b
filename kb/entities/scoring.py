"""Offset-free scoring of entity predictions against `tests/data/entities_gold.yaml`.

Gold mentions are (type, text, id-or-value) without offsets, because the clean text's
offsets move as ingestion evolves. Predictions are matched as a multiset: a predicted
(type, text) pair is a hit while the gold still has an unmatched copy of it ("span"); the
"strict" score also requires the same id (conventions, agencies) or value (dates). Texts
are compared with whitespace runs collapsed, so line breaks inside a name do not matter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.models import Entity

SCORED_TYPES = ("convention", "agency", "date")
_WS = re.compile(r"\s+")


@dataclass
class GoldDoc:
    file: str
    lang: str
    doc_date: dt.date | None
    mentions: list[tuple[str, str, str | None]]
    blind: bool = False  # annotated before the tagger was run on it


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0


def norm_text(s: str) -> str:
    return _WS.sub(" ", s).strip()


def load_gold(path: Path | str) -> list[GoldDoc]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    docs = []
    for d in data["documents"]:
        date = d.get("doc_date")
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        mentions = [(str(t), str(x), None if v is None else str(v)) for t, x, v in d["mentions"]]
        docs.append(GoldDoc(d["file"], d["lang"], date, mentions, bool(d.get("blind", False))))
    return docs


def _key(e: Entity) -> str | None:
    return e.value if e.type == "date" else e.id


def score_doc(gold: GoldDoc, pred: list[Entity], scores: dict[str, dict[str, PRF]],
              errors: list[str] | None = None) -> None:
    pred = [e for e in pred if e.type in SCORED_TYPES]
    for mode in ("span", "strict"):
        g = Counter((t, norm_text(x)) + ((v,) if mode == "strict" else ()) for t, x, v in gold.mentions)
        p = Counter((e.type, norm_text(e.text)) + ((_key(e),) if mode == "strict" else ()) for e in pred)
        for key in set(g) | set(p):
            prf = scores.setdefault(mode, {}).setdefault(key[0], PRF())
            hit = min(g[key], p[key])
            prf.tp += hit
            prf.fp += p[key] - hit
            prf.fn += g[key] - hit
            if errors is not None and mode == "strict" and g[key] != p[key]:
                errors.append(f"{gold.file}: {key} gold={g[key]} pred={p[key]}")


def score_gold(gold_path: Path | str, root: Path | str, extract_fn, errors: list[str] | None = None,
               only_blind: bool = False) -> dict[str, dict[str, PRF]]:
    """P/R/F1 per type and mode ("span", "strict"); `extract_fn(text, lang, doc_date)`."""
    scores: dict[str, dict[str, PRF]] = {"span": {}, "strict": {}}
    for gd in load_gold(gold_path):
        if only_blind and not gd.blind:
            continue
        text = (Path(root) / gd.file).read_text(encoding="utf-8")
        score_doc(gd, extract_fn(text, gd.lang, gd.doc_date), scores, errors)
    return scores
