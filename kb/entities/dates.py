"""Dates in Kazakh and Russian text, normalised to ISO 8601.

Values: a day "2022-01-21"; a month, quarter or year as an interval
"2022-10-01/2022-12-31"; a duration "P10D"; a recurrence "R/P1Y". The grammar (month stems,
patterns, deictic words) lives in `kb/data/dates.yaml`. A mention without a year takes the
document date's year, else the nearest earlier explicit year, and is marked `inferred`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "dates.yaml"
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str | None
    inferred: bool
    explicit_year: int | None


@dataclass(frozen=True, slots=True)
class _Pattern:
    name: str
    regex: re.Pattern
    rel: dict | None = None


@dataclass(frozen=True, slots=True)
class _Grammar:
    patterns: dict[str, list[_Pattern]]
    month_res: dict[str, list[tuple[int, re.Pattern]]]
    units: dict[str, dict[str, str]]
    numbers: dict[str, int]
    ru_numbers: dict[str, int]
    ordinal_suffixes: list[str]
    standalone_excluded: list[str]
    capitalized_excluded: list[str]
    triggers: dict[str, re.Pattern]


@lru_cache(maxsize=1)
def grammar() -> _Grammar:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    suf, post = data["suffix"], data["post"]
    month_res: dict[str, list[tuple[int, re.Pattern]]] = {}
    month_alt: dict[str, str] = {}
    for lang, months in data["months"].items():
        month_alt[lang] = "|".join(f"(?:{v})" for v in months.values())
        month_res[lang] = [(int(k), re.compile(f"^(?:{v})", re.I)) for k, v in months.items()]

    ru_numbers = data.get("ru_numbers", {}).get("values", {})
    # Longest first, so that "двадцати" is not cut to "два".
    ru_alt = "|".join(re.escape(w) for w in sorted(ru_numbers, key=len, reverse=True)) or "(?!)"
    pieces = {"SUF": suf, "POST": post, "RUNUMWORD": rf"(?<![а-яё])(?:{ru_alt})(?![а-яё])",
              **data.get("pieces", {})}

    def build(lang: str, src: str) -> re.Pattern:
        body, prev = src, None
        while body != prev:  # pieces may refer to pieces
            prev = body
            body = body.replace("{MONTH}", f"(?:{month_alt[lang]})")
            for k, v in pieces.items():
                body = body.replace("{" + k + "}", v)
        # Every date starts a word: anchoring there lets the engine skip mid-word positions.
        return re.compile(r"\b(?:" + body + ")", re.I)

    patterns: dict[str, list[_Pattern]] = {}
    for lang in ("kk", "ru"):
        pats = [_Pattern(p["name"], build(lang, p["re"])) for p in data["patterns"].get("common", [])]
        pats += [_Pattern(p["name"], build(lang, p["re"])) for p in data["patterns"].get(lang, [])]
        for r in data["relative"].get(lang, []):
            src = r["re"] + ("{POST}" if lang == "kk" else "")
            pats.append(_Pattern("relative", build(lang, src), r))
        patterns[lang] = pats
    nums = data["kk_numbers"]
    # A spelled-out Russian number may start a duration, so it is a trigger too.
    triggers = dict(data["triggers"])
    if ru_numbers:
        triggers["ru"] = f"{triggers['ru']}|{ru_alt}"
    return _Grammar(
        patterns, month_res, data["units"], nums["values"], ru_numbers,
        sorted(nums["ordinal_suffixes"], key=len, reverse=True), data.get("standalone_excluded", []),
        data.get("standalone_capitalized_excluded", []),
        {lang: re.compile(r"\b(?:" + rx + ")", re.I) for lang, rx in triggers.items()},
    )


def _num(s: str) -> int | None:
    """ "27", "жиырма жетінші", "екі мың жиырмасыншы", "десяти" -> 27, 27, 2020, 10."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    g = grammar()
    total = current = 0
    for w in s.lower().split():
        n = g.numbers.get(w)
        if n is None:
            n = g.ru_numbers.get(w.replace("ё", "е")) or g.ru_numbers.get(w)
        if n is None:
            for suf in g.ordinal_suffixes:
                if w.endswith(suf) and w[: -len(suf)] in g.numbers:
                    n = g.numbers[w[: -len(suf)]]
                    break
        if n is None:  # a day word with its ending: "бесі", "екісінен"
            n = next((v for k, v in sorted(g.numbers.items(), key=lambda kv: -len(kv[0])) if w.startswith(k)), None)
        if n is None:
            return None
        if n == 1000:
            total += (current or 1) * 1000
            current = 0
        elif n == 100:
            current = (current or 1) * 100
        else:
            current += n
    return total + current or None


def _month(word: str, lang: str) -> int | None:
    for n, rx in grammar().month_res[lang]:
        if rx.match(word):
            return n
    return None


def _interval(a: dt.date, b: dt.date) -> str:
    return f"{a.isoformat()}/{b.isoformat()}"


def _month_interval(y: int, m: int) -> str:
    return _interval(dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1]))


def _value(p: _Pattern, m: re.Match, lang: str, year: int | None, doc_date: dt.date | None) -> str | None:
    g = m.groupdict()
    if p.rel is not None:
        kind = p.rel.get("kind")
        if kind == "recurring":
            return p.rel["value"]
        if doc_date is None or kind not in ("day", "year"):
            return None
        if kind == "day":
            return (doc_date + dt.timedelta(days=p.rel["offset"])).isoformat()
        y = doc_date.year + p.rel["offset"]
        return _interval(dt.date(y, 1, 1), dt.date(y, 12, 31))
    if g.get("n"):
        unit = grammar().units[lang].get(g["unit"].lower())
        n = _num(g["n"])
        if unit == "C":  # ISO 8601 has no century designator
            n, unit = (n or 0) * 100, "Y"
        return f"P{n}{unit}" if unit and n else None
    if g.get("unit"):
        return None
    month = int(g["mm"]) if g.get("mm") else (_month(g["m"], lang) if g.get("m") else None)
    if year is None:
        return None
    if g.get("q"):
        q = _ROMAN.get(g["q"].upper()) or _num(g["q"]) or 0
        if not 1 <= q <= 4:
            return None
        return _interval(dt.date(year, 3 * q - 2, 1), dt.date(year, 3 * q, calendar.monthrange(year, 3 * q)[1]))
    day = _num(g["d"].split("-")[0]) if g.get("d") else None
    if g.get("d2") and day and month:
        d2, m2 = _num(g["d2"].split("-")[0]), _month(g["m2"], lang) if g.get("m2") else month
        if d2 and m2:
            return _interval(dt.date(year, month, day), dt.date(year, m2, d2))
    if day and month:
        return dt.date(year, month, day).isoformat()
    if month:
        return _month_interval(year, month)
    y2 = int(g["y2"]) if g.get("y2") else year
    if y2 < year:
        return None
    return _interval(dt.date(year, 1, 1), dt.date(y2, 12, 31))


def _boundary_ok(text: str, s: int, e: int) -> bool:
    before = text[s - 1] if s > 0 else " "
    after = text[e] if e < len(text) else " "
    return not (before.isalnum() or after.isalnum() or before == "_")


def find_dates(
    text: str, lang: str, doc_date: dt.date | None = None, year_hint: int | None = None
) -> list[DateMention]:
    """Date mentions, leftmost-longest. `year_hint`: the year in force before `text` starts."""
    langs = ["kk", "ru"] if lang not in ("kk", "ru") else [lang]
    cands: list[tuple[int, int, int, _Pattern, re.Match, str]] = []
    for lg in langs:
        starts = sorted({m.start() for m in grammar().triggers[lg].finditer(text)})
        for order, p in enumerate(grammar().patterns[lg]):
            for pos in starts:
                m = p.regex.match(text, pos)
                if m is None:
                    continue
                s, e = m.span()
                if e <= s or not _boundary_ok(text, s, e):
                    continue
                if p.name == "kk_month":
                    word = m.group().lower()
                    if m.group()[:1].isupper() and any(word.startswith(x) for x in grammar().capitalized_excluded):
                        continue  # Наурыз the holiday, Қазан the city
                    if any(word.startswith(x) for x in grammar().standalone_excluded):
                        continue
                cands.append((s, e, order, p, m, lg))
    cands.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2]))
    chosen = []
    last_end = -1
    for c in cands:
        if c[0] >= last_end:
            chosen.append(c)
            last_end = c[1]
    out: list[DateMention] = []
    last_year: int | None = year_hint
    for s, e, _, p, m, lg in chosen:
        g = m.groupdict()
        explicit = _num(g["y"]) if g.get("y") else None
        if explicit is not None and not 1000 <= explicit <= 2999:
            explicit = None
        year, inferred = explicit, False
        needs_year = p.rel is None and not g.get("unit") and p.name not in ("kk_season", "kk_weekday", "kk_rel_any")
        if explicit is None and needs_year:
            year = doc_date.year if doc_date else last_year
            inferred = year is not None
        try:
            value = _value(p, m, lg, year, doc_date)
        except ValueError:  # 31 февраля and the like
            value = None
        if p.rel is not None and value is not None and p.rel.get("kind") in ("day", "year"):
            inferred = True
        out.append(DateMention(s, e, m.group(), value, inferred and value is not None, explicit))
        if explicit is not None:
            last_year = int(g["y2"]) if g.get("y2") and g["y2"].isdigit() else explicit
    return out
