"""Which stored act a new document is the other language version of.

Nothing in a flat folder of arbitrary names says which files are one act, so a document is
compared with each act that lacks its language on what survives translation: requisites
(kind, date, number), the numbering of articles and points, the numbers and canonical names
in the text, and the multilingual model's similarity. Weights and thresholds are data
(kb/data/pairing.yaml) and bench/pairing.py measures them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

import numpy as np
import yaml
from pydantic import BaseModel, Field

from kb.data import __file__ as _data_init
from kb.models import Document, PairingMethod

Embed = Callable[[str], np.ndarray]

_NUMBER = re.compile(r"\d+(?:[.,/-]\d+)*")
_DIGITS = re.compile(r"\d+(?:-\d+)?")


class PairingConfig(BaseModel):
    weights: dict[str, float]
    sim_floor: float
    sim_ceiling: float
    min_items: int
    requisites_confidence: float
    date_number_confidence: float
    threshold: float
    margin: float
    opening_chars: int
    max_numbers: int


@lru_cache(maxsize=1)
def config() -> PairingConfig:
    from pathlib import Path

    path = Path(_data_init).parent / "pairing.yaml"
    return PairingConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class Signature(BaseModel):
    """What pairing compares, kept with the link so documents are never read back for it."""

    lang: str
    kind: str | None = None
    date: str | None = None
    number: str | None = None
    skeleton: list[str] = Field(default_factory=list)
    anchors: list[str] = Field(default_factory=list)
    numbers: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)
    years: list[str] = Field(default_factory=list)
    vector: str | None = Field(None, description="float16 vector, base64")

    def vec(self) -> np.ndarray | None:
        if not self.vector:
            return None
        return np.frombuffer(base64.b64decode(self.vector), dtype=np.float16).astype(np.float32)


def opening_text(doc: Document) -> str:
    """Title and the opening of the text: what the model compares across languages."""
    n = config().opening_chars
    return f"{doc.title}\n{doc.text[:n]}"


def signature(doc: Document, embed: Embed | None = None) -> Signature:
    req = doc.requisites
    skeleton = set()
    for b in doc.blocks:
        nums = ["".join(_DIGITS.findall(part)) or "_" for part in b.path]
        if any(n != "_" for n in nums):
            skeleton.add("/".join(nums))
    numbers = list(dict.fromkeys(_NUMBER.findall(doc.text)))[: config().max_numbers]
    names = sorted({e.id for e in doc.entities if e.id and e.type in ("convention", "agency")})
    # Years of the dates the text states: day and month are read less reliably across the two
    # languages than the year, and the same template re-issued a year later differs in them.
    years = sorted({e.value[:4] for e in doc.entities if e.type == "date" and e.value and e.value[:4].isdigit()})
    vector = None
    if embed is not None:
        v = np.asarray(embed(opening_text(doc)), dtype=np.float32)
        v = v / (np.linalg.norm(v) or 1.0)
        vector = base64.b64encode(v.astype(np.float16).tobytes()).decode("ascii")
    return Signature(
        lang=doc.lang,
        kind=req.kind if req else None,
        date=(req.date.isoformat() if req and req.date else (doc.date.isoformat() if doc.date else None)),
        number=_norm_number((req.number if req else None) or doc.number),
        skeleton=sorted(skeleton),
        anchors=sorted({b.anchor for b in doc.blocks if b.anchor}),
        numbers=numbers,
        names=names,
        years=years,
        vector=vector,
    )


def _norm_number(number: str | None) -> str | None:
    if not number:
        return None
    return re.sub(r"[\s№]+", "", number).lower() or None


def _jaccard(a: Iterable[str], b: Iterable[str], min_items: int | None = None) -> float | None:
    a, b = set(a), set(b)
    need = config().min_items if min_items is None else min_items
    if len(a) < need or len(b) < need:
        return None
    return len(a & b) / len(a | b)


# The signal that weighed most names how a link was made (kb.models.PairingMethod).
METHOD_OF_SIGNAL: dict[str, PairingMethod] = {
    "numbering": "numbering", "numbers": "numbers", "names": "numbers", "years": "numbers",
}


class Score(BaseModel):
    confidence: float
    method: PairingMethod
    signals: dict[str, float] = Field(default_factory=dict)


def score(new: Signature, other: Signature) -> Score:
    """How sure we are that two documents in different languages are one act."""
    cfg = config()
    if new.date and other.date and new.date != other.date:
        return Score(confidence=0.0, method="requisites", signals={"date_mismatch": 1.0})
    if new.number and other.number and new.number != other.number:
        return Score(confidence=0.0, method="requisites", signals={"number_mismatch": 1.0})
    if new.date and new.number and new.date == other.date and new.number == other.number:
        if new.kind and new.kind == other.kind:
            return Score(confidence=cfg.requisites_confidence, method="requisites")
        if not (new.kind and other.kind):
            return Score(confidence=cfg.date_number_confidence, method="requisites")
    signals: dict[str, float] = {}
    numbering = [j for j in (_jaccard(new.skeleton, other.skeleton), _jaccard(new.anchors, other.anchors))
                 if j is not None]
    if numbering:
        signals["numbering"] = max(numbering)
    for name in ("numbers", "names"):
        j = _jaccard(getattr(new, name), getattr(other, name))
        if j is not None:
            signals[name] = j
    j = _jaccard(new.years, other.years, min_items=1)
    if j is not None:
        signals["years"] = j
    a, b = new.vec(), other.vec()
    if a is not None and b is not None and a.shape == b.shape:
        cos = float(a @ b)
        signals["similarity"] = min(max((cos - cfg.sim_floor) / (cfg.sim_ceiling - cfg.sim_floor), 0.0), 1.0)
        signals["cosine"] = cos
    used = {k: v for k, v in signals.items() if k in cfg.weights}
    if not used:
        return Score(confidence=0.0, method="similarity", signals=signals)
    total = sum(cfg.weights[k] for k in used)
    confidence = sum(cfg.weights[k] * v for k, v in used.items()) / total
    # the signal that carried the most weight names the method
    top = max(used, key=lambda k: cfg.weights[k] * v if (v := used[k]) else 0.0)
    method: PairingMethod = METHOD_OF_SIGNAL.get(top, "similarity")
    return Score(confidence=round(confidence, 4), method=method, signals=signals)


def best_match(new: Signature, candidates: dict[str, list[Signature]]) -> tuple[str, Score] | None:
    """The act (id -> signatures of its versions in the other language) the document belongs
    to, or None when none is sure enough or two are about as likely."""
    cfg = config()
    scored = []
    for act_id, sigs in candidates.items():
        best = max((score(new, s) for s in sigs), key=lambda s: s.confidence, default=None)
        if best is not None:
            scored.append((best.confidence, act_id, best))
    scored.sort(key=lambda t: (-t[0], t[1]))
    if not scored or scored[0][0] < cfg.threshold:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < cfg.margin and scored[0][2].method != "requisites":
        return None
    return scored[0][1], scored[0][2]
