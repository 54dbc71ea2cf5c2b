"""References to acts (orders, resolutions, decisions) and to articles/paragraphs.

Patterns are data (`kb/data/doc_refs.yaml`). The value is a normalised key documented
there, e.g. "order:20:2022-01-21", "decision:МК-1/21", "art:14:2".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from kb.entities.dates import find_dates

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "doc_refs.yaml"


@dataclass(frozen=True, slots=True)
class RefMention:
    start: int
    end: int
    text: str
    value: str | None
    lang: str


@lru_cache(maxsize=1)
def _grammar() -> tuple[dict[str, list[tuple[str, re.Pattern]]], dict[str, dict[str, str]]]:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    pieces = data["pieces"]

    def build(src: str) -> re.Pattern:
        for k, v in pieces.items():
            src = src.replace("{" + k + "}", v)
        return re.compile(r"\b(?:" + src + ")")

    pats: dict[str, list[tuple[str, re.Pattern]]] = {}
    for lang in ("kk", "ru"):
        pats[lang] = [(p["name"], build(p["re"])) for p in data["patterns"].get(lang, [])]
        pats[lang] += [(p["name"], build(p["re"])) for p in data["patterns"].get("common", [])]
    return pats, data["kinds"]


def _kind(word: str | None, lang: str) -> str:
    if not word:
        return "decision"
    low = word.lower()
    kinds = _grammar()[1][lang]
    for stem in sorted(kinds, key=len, reverse=True):
        if low.startswith(stem):
            return kinds[stem]
    return "act"


def _date_value(s: str | None, lang: str) -> str:
    if not s:
        return ""
    ds = find_dates(s, lang)
    return ds[0].value or "" if ds else ""


def _value(name: str, m: re.Match, lang: str) -> str:
    g = m.groupdict()
    if "art" in g and g.get("art"):
        parts = [g["art"], g.get("par") or "", g.get("sub") or ""]
        while parts and not parts[-1]:
            parts.pop()
        return "art:" + ":".join(parts)
    kind = _kind(g.get("kind"), lang)
    num = (g.get("num") or "").strip()
    date = _date_value(g.get("date"), lang)
    return f"{kind}:{num}:{date}" if date else f"{kind}:{num}"


def find_refs(text: str, lang: str) -> list[RefMention]:
    langs = ["kk", "ru"] if lang not in ("kk", "ru") else [lang]
    cands = []
    for lg in langs:
        for order, (name, rx) in enumerate(_grammar()[0][lg]):
            for m in rx.finditer(text):
                s, e = m.span()
                if e <= s or (s > 0 and text[s - 1].isalnum()):
                    continue
                cands.append((s, e, order, name, m, lg))
    cands.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2]))
    out: list[RefMention] = []
    last = -1
    for s, e, _, name, m, lg in cands:
        if s >= last:
            out.append(RefMention(s, e, m.group(), _value(name, m, lg), lg))
            last = e
    return out
