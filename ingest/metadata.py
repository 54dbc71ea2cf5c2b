"""Document metadata from the text: genre, title, kind of act, number, date, issuer.

Cues live in ingest/data/genres.yaml; month names come from ingest/data/requisites.yaml. Only what the document states about itself is taken: the
dates and numbers of acts it cites ("в постановление ... от 26 сентября 2017 года
№ 593") are not its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.data import load
from ingest.pieces import Piece

TITLE_MAX = 300


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern
    weight: float
    each: bool
    max: int
    raw: bool


@lru_cache(maxsize=1)
def cues() -> dict:
    raw = load("genres.yaml")
    genres = {
        genre: [
            Cue(
                re.compile(c["cue"], re.I | re.M),
                float(c["weight"]),
                bool(c.get("each")),
                int(c.get("max", 1)),
                bool(c.get("raw")),
            )
            for c in items
        ]
        for genre, items in raw["genres"].items()
    }
    return {
        "min_score": float(raw["min_score"]),
        "genres": genres,
        "act_kinds": [(re.compile(a["cue"], re.I | re.M), a["kind"]) for a in raw["act_kinds"]],
        "kind_genres": dict(raw.get("kind_genres", {})),
        "issuer_verbs": re.compile(raw["issuer"]["verbs"], re.I),
        "issuer_cut": raw["issuer"]["cut_after"],
        "issuer_max_words": int(raw["issuer"]["max_words"]),
        "issuer_starts": re.compile(raw["issuer"]["starts"]),
        "issuer_leading": re.compile(raw["issuer"]["leading"]),
        "title_patterns": [re.compile(p, re.I) for p in raw["title_patterns"]],
        "number": re.compile(raw["number"]),
        "self_lines": int(raw["self_reference_lines"]),
        "self_starts": re.compile(raw["self_reference_starts"], re.I),
        "subject_title": re.compile(raw["subject_title"], re.I),
    }


def genre_scores(text: str, raw_text: str = "") -> dict[str, float]:
    scores: dict[str, float] = {}
    for genre, items in cues()["genres"].items():
        total = 0.0
        for cue in items:
            hay = text + "\n" + raw_text if cue.raw else text
            if cue.each:
                total += cue.weight * min(cue.max, len(cue.pattern.findall(hay)))
            elif cue.pattern.search(hay):
                total += cue.weight
        if total:
            scores[genre] = total
    return scores


def genre_for_kind(kind: str | None) -> str | None:
    """The genre an act's stated kind implies (None when the kind is unknown or says nothing)."""
    return cues()["kind_genres"].get(kind) if kind else None


def genre(text: str, raw_text: str = "") -> str:
    scores = genre_scores(text, raw_text)
    if not scores:
        return "other"
    best = max(scores, key=lambda g: scores[g])
    return best if scores[best] >= cues()["min_score"] else "other"


def act_kind(text: str) -> str | None:
    for pattern, kind in cues()["act_kinds"]:
        if pattern.search(text):
            return kind
    return None


def issuer(text: str) -> str | None:
    """The body named right before the operative formula ("... Правительство Республики
    Казахстан ПОСТАНОВЛЯЕТ:", "..., маслихат города Нур-Султан РЕШИЛ:")."""
    c = cues()
    m = c["issuer_verbs"].search(text)
    if not m:
        return None
    line_start = text.rfind("\n", 0, m.start()) + 1
    before = text[line_start:m.start()].rstrip()
    cut = max((before.rfind(sep) + len(sep) for sep in c["issuer_cut"] if sep in before), default=0)
    phrase = before[cut:]
    starts = list(c["issuer_starts"].finditer(phrase))
    if starts:
        phrase = phrase[starts[-1].start():]
    words = phrase.split()
    if not words:
        lead = c["issuer_leading"].match(before)
        words = lead.group("issuer").split() if lead else []
    if not words or len(words) > c["issuer_max_words"]:
        return None
    name = " ".join(words).strip(" ,.:;")
    return name[:1].upper() + name[1:] if name else None


@lru_cache(maxsize=1)
def _date_patterns() -> list[tuple[re.Pattern, str]]:
    months = load("requisites.yaml")["months"]
    ru = "|".join(f"(?P<ru{n}>{p})" for n, p in months["ru"].items())
    kk = "|".join(f"(?P<kk{n}>{p})" for n, p in months["kk"].items())
    return [
        (re.compile(rf"(?P<d>\d{{1,2}})\s+(?:{ru})\w*\s+(?P<y>\d{{4}})", re.I), "ru"),
        (re.compile(rf"(?P<y>\d{{4}})\s+жыл\w*\s+(?P<d>\d{{1,2}})\s+(?:{kk})\w*", re.I), "kk"),
        (re.compile(r"\b(?P<d>\d{2})\.(?P<mm>\d{2})\.(?P<y>\d{4})\b"), "num"),
    ]


def find_date(text: str) -> dt.date | None:
    """The first full date written out in the text (Russian, Kazakh or dd.mm.yyyy)."""
    found: list[tuple[int, dt.date]] = []
    for pattern, _ in _date_patterns():
        for m in pattern.finditer(text):
            groups = m.groupdict()
            if groups.get("mm"):
                month = int(groups["mm"])
            else:
                month = next(
                    int(k[2:]) for k, v in groups.items() if v and k[:2] in ("ru", "kk") and k[2:].isdigit()
                )
            try:
                found.append((m.start(), dt.date(int(groups["y"]), month, int(groups["d"]))))
            except ValueError:
                continue
            break
    return min(found)[1] if found else None


def find_number(text: str) -> str | None:
    m = cues()["number"].search(text)
    return m.group("num") if m else None


def self_reference(pieces: list[Piece], title_index: int | None) -> tuple[dt.date | None, str | None]:
    """Date and number the document gives itself: in its heading lines, or in the label
    of its appendix ("Приложение к решению ... от 14 декабря 2021 года № 12/111-VII")."""
    from ingest.structure import is_appendix_opener

    c = cues()
    candidates = []
    for i, p in enumerate(pieces[: c["self_lines"]]):
        if p.kind == "table_row" or c["issuer_verbs"].search(p.text):
            break
        if i == title_index or c["self_starts"].search(p.text):
            candidates.append(p.text)
    candidates += [p.text for p in pieces if p.note and is_appendix_opener(p.text)]
    date = number = None
    for text in candidates:
        d, n = find_date(text), find_number(text)
        if d and n:
            return d, n
        date, number = date or d, number or n
    return date, number


def pick_title(pieces: list[Piece], meta: dict[str, str]) -> tuple[str, int | None]:
    """The document's title and the index of the piece that holds it (None if it is only
    the first sentence of a longer paragraph, or comes from the file's metadata)."""
    c = cues()
    head = pieces[:12]
    for i, p in enumerate(head):
        if p.kind != "table_row" and any(t.match(p.text) for t in c["title_patterns"]):
            return tidy_title(p.text), i
    for i, p in enumerate(head):  # formats that mark headings (Markdown, HTML, DOCX)
        if p.kind == "heading" and p.level is not None and p.level <= 3 and _has_letters(p.text):
            return tidy_title(p.text), i
    for key in ("docx_title", "html_title"):
        if meta.get(key):
            return tidy_title(meta[key]), None
    for i, p in enumerate(pieces):
        if p.kind != "table_row" and _has_letters(p.text) and not p.note:
            if len(p.text) <= TITLE_MAX and (p.kind == "heading" or not p.text.endswith(".")):
                return _subject(pieces, i)
            return tidy_title(first_sentence(p.text)), None
    return "", None


def _subject(pieces: list[Piece], i: int) -> tuple[str, int]:
    """Skip a first line that only names the kind of act for the subject line after it."""
    c = cues()
    if c["self_starts"].search(pieces[i].text) and not c["subject_title"].search(pieces[i].text):
        for j in range(i + 1, min(i + 3, len(pieces))):
            nxt = pieces[j]
            if nxt.kind != "table_row" and len(nxt.text) <= TITLE_MAX and c["subject_title"].search(nxt.text):
                return tidy_title(nxt.text), j
    return tidy_title(pieces[i].text), i


def first_sentence(text: str) -> str:
    m = re.match(r"(.{20,}?[.!?])\s+(?=[«\"(]?[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])", text)
    sentence = m.group(1) if m else text
    if len(sentence) > TITLE_MAX:
        sentence = sentence[:TITLE_MAX].rsplit(" ", 1)[0] + "…"
    return sentence


def tidy_title(text: str) -> str:
    """No Markdown heading marks, no trailing full stop; an ALL-CAPS heading in sentence
    case after its number."""
    text = re.sub(r"^(?:#{1,6}\s*)+", "", text.strip())
    text = re.sub(r"\s+#+\s*$", "", text)
    text = text.strip().rstrip(".").strip()
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) / len(letters) > 0.8:
        m = re.match(r"^(\S+\s+\d+[.:]?\s+|\d+[-‑]\S+[.:]?\s+)?(.*)$", text)
        prefix, rest = (m.group(1) or ""), m.group(2)
        prefix = prefix[:1].upper() + prefix[1:].lower()
        rest = rest[:1].upper() + rest[1:].lower()
        text = prefix + rest
    return text


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
