"""An act's requisites from its official requisite line, and from its text.

`parse_requisite(line)` reads a requisite line as the official database writes it, in
Russian or Kazakh: the act (kind, issuer, date, number), then its registration with the
Ministry of Justice and its repeal when stated ("... Зарегистрировано ... № 1256.
Утратило силу решением маслихата ... от 14 февраля 2025 года № 269/34-VIII (...)").
`from_text(text, ...)` finds what the text says about itself: a requisite line or clause
in its first lines or notes, a COP decision's symbol, a press release's dateline, the
operative formula ("Правительство ... ПОСТАНОВЛЯЕТ:"). Nothing is guessed: a field no
source states stays None. Patterns and tables: ingest/data/requisites.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.data import load
from ingest.models import ActKind, ActLink, ActRequisites, Registration

# How far into a text a requisite line, dateline or repeal note is looked for.
HEAD_CHARS = 4000
# The act's own notes (repeal, registration) sit right under its requisites or title.
CLAUSE_LINES = 10


@dataclass(frozen=True)
class _Kind:
    kind: str
    names_issuer: bool
    ru: re.Pattern
    kk: re.Pattern


@lru_cache(maxsize=1)
def tables() -> dict:
    raw = load("requisites.yaml")
    months = raw["months"]
    ru_month = "|".join(f"(?:{p})" for p in months["ru"].values())
    kk_month = "|".join(f"(?:{p})" for p in months["kk"].values())
    dates = {
        lang: re.compile(p.replace("{ru_month}", ru_month).replace("{kk_month}", kk_month), re.I)
        for lang, p in raw["dates"].items()
    }
    month_res = {
        lang: [(int(n), re.compile(rf"^(?:{p})", re.I)) for n, p in months[lang].items()] for lang in ("ru", "kk")
    }
    clauses = raw["clauses"]
    return {
        "months": months,
        "month_res": month_res,
        "dates": dates,
        "number": re.compile(raw["number"], re.I),
        "repeal": {lang: re.compile(p, re.I) for lang, p in clauses["repeal"].items()},
        "registration": {lang: re.compile(p, re.I) for lang, p in clauses["registration"].items()},
        "trailing_note": re.compile(clauses["trailing_note"]),
        "registration_body": {lang: re.compile(p, re.I) for lang, p in raw["registration_body"].items()},
        "kinds": [
            _Kind(k["kind"], k.get("issuer") != "none", re.compile(k["ru"], re.I), re.compile(k["kk"], re.I))
            for k in raw["kinds"]
        ],
        "kind_word_ru": re.compile(raw["kind_word_ru"], re.I),
        "kind_word_kk": re.compile(raw["kind_word_kk"], re.I),
        "cop_symbol": re.compile(raw["cop_symbol"]),
        "dateline": re.compile(raw["dateline"]),
        "dateline_lines": int(raw["dateline_lines"]),
        "genre_kinds": dict(raw["genre_kinds"]),
        "operative_kinds": [(re.compile(k["issuer"], re.I), k["kind"]) for k in raw["operative_kinds"]],
        "self_kinds": [(re.compile(k["cue"], re.I), k["kind"]) for k in raw["self_kinds"]],
        "forms": dict(raw["forms"]),
    }


# ---------------------------------------------------------------- dates and numbers


@dataclass(frozen=True)
class DateMatch:
    date: dt.date
    start: int
    end: int


def _month(word: str, lang: str) -> int | None:
    for n, pattern in tables()["month_res"][lang]:
        if pattern.match(word):
            return n
    return None


def find_dates(text: str) -> list[DateMatch]:
    """Every full date written out in the text (Russian, Kazakh, dd.mm.yyyy), in order."""
    found: list[DateMatch] = []
    for lang, pattern in tables()["dates"].items():
        for m in pattern.finditer(text):
            g = m.groupdict()
            month = int(g["mm"]) if g.get("mm") else _month(g["m"], lang)
            if month is None:
                continue
            try:
                found.append(DateMatch(dt.date(int(g["y"]), month, int(g["d"])), m.start(), m.end()))
            except ValueError:
                continue  # "31 июня": not a date
    return sorted(found, key=lambda d: d.start)


def first_date(text: str) -> DateMatch | None:
    dates = find_dates(text)
    return dates[0] if dates else None


def first_number(text: str) -> str | None:
    m = tables()["number"].search(text)
    return m.group("num").strip() if m else None


# ---------------------------------------------------------------- the requisite line


def detect_lang(line: str) -> str:
    """A requisite line's language: Kazakh ones carry Kazakh letters ("жылғы", "қаулысы")."""
    return "kk" if re.search(r"[әғқңөұүһі]", line, re.I) else "ru"


def _split_clauses(line: str, lang: str) -> tuple[str, list[tuple[str, str]]]:
    """The act's own part, then (clause, text) for each registration/repeal clause."""
    t = tables()
    cuts: list[tuple[int, str]] = []
    for name in ("registration", "repeal"):
        for m in t[name][lang].finditer(line):
            cuts.append((m.start(), name))
    if lang == "kk":
        # Kazakh clauses end with their verb ("... № 1235 болып тіркелді"): a clause starts
        # after the previous sentence's full stop.
        cuts = [(line.rfind(". ", 0, pos) + 2 if line.rfind(". ", 0, pos) >= 0 else 0, name) for pos, name in cuts]
    cuts.sort()
    head_end = cuts[0][0] if cuts else len(line)
    clauses = []
    for i, (pos, name) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(line)
        clauses.append((name, line[pos:end].strip(" .;")))
    return line[:head_end].strip(" .;"), clauses


def _kind(head: str, lang: str) -> _Kind | None:
    for k in tables()["kinds"]:
        pattern = k.ru if lang == "ru" else k.kk
        if pattern.search(head):
            return k
    return None


def _issuer(head: str, lang: str, date: DateMatch | None, kind: _Kind | None) -> str | None:
    if kind is not None and not kind.names_issuer:
        return None
    t = tables()
    if lang == "ru":
        m = t["kind_word_ru"].match(head)
        if not m:
            return None
        stop = head.find(" от ", m.end())
        if stop < 0 and date is not None:
            stop = date.start
        phrase = head[m.end(): stop if stop >= 0 else len(head)]
    else:
        if date is None:
            return None
        phrase = head[: date.start]
    phrase = phrase.strip(" ,.")
    return phrase or None


def _act_fields(text: str, lang: str) -> dict:
    """Kind, issuer, date and number of the act a (part of a) requisite names."""
    date = first_date(text)
    kind = _kind(text[: date.start] if date and lang == "ru" else text, lang)
    return {
        "kind": kind.kind if kind else None,
        "issuer": _issuer(text, lang, date, kind),
        "date": date.date if date else None,
        "number": first_number(text[date.start:] if date else text),
    }


def parse_requisite(line: str, *, official: bool = True) -> ActRequisites:
    """Fields of a requisite line. `official`: the line is the database's full requisite
    (a sidecar's), which states a repeal whenever there is one, so no repeal clause means
    the act is in force; a line found in a text proves nothing by what it leaves out."""
    line = " ".join(line.split())
    lang = detect_lang(line)
    t = tables()
    head, clauses = _split_clauses(line, lang)
    req = ActRequisites(requisite=line, **_act_fields(head, lang))
    repealed = False
    for name, clause in clauses:
        body = t["trailing_note"].sub("", clause)
        if name == "registration":
            date = first_date(body)
            m = t["registration_body"][lang].search(body)
            req.registration = Registration(
                date=date.date if date else None,
                number=first_number(body[date.start:] if date else body),
                body=m.group("body").strip(" ,") if m else None,
            )
        else:
            repealed = True
            fields = _act_fields(_repealing_act(body, lang), lang)
            req.repealed_by = _repealing_act(body, lang) or None
            req.repealed_on = fields["date"]
            req.amended_by.append(ActLink(requisite=req.repealed_by, relation="repealed", **fields))
    # a line that names no act (no date, no number) says nothing about one's status either
    names_act = bool(req.date or req.number)
    req.status = "repealed" if repealed else ("in_force" if official and names_act else "unknown")
    return req


def _repealing_act(clause: str, lang: str) -> str:
    """The act named by a repeal clause, worded as a requisite: "решением маслихата ... № 434/56-VIII"."""
    t = tables()
    if lang == "ru":
        return t["repeal"]["ru"].sub("", clause, count=1).strip(" -–—.:")
    return t["repeal"]["kk"].sub("", clause, count=1).strip(" -–—.:")


# ---------------------------------------------------------------- the text


def _lines(text: str) -> list[str]:
    return [ln.strip(" >*_\t") for ln in text[:HEAD_CHARS].split("\n") if ln.strip(" >*_\t")]


def find_requisite_line(text: str, max_lines: int = 8) -> str | None:
    """A line among the first ones that is the act's own requisite ("Постановление
    Правительства Республики Казахстан от 1 февраля 2023 года № 69")."""
    for ln in _lines(text)[:max_lines]:
        lang = detect_lang(ln)
        if len(ln) > 400:
            continue
        if not (_kind(ln, lang) and first_date(ln) and first_number(ln)):
            continue
        # The act's own line opens (ru) or closes (kk) with its kind; "... в постановление
        # Правительства от ...", "... № 593 қаулысына өзгерістер енгізілсін" cite other acts.
        head = re.split(r"\.\s+(?=[А-ЯЁӘҒҚҢӨҰҮҺІA-Z])", ln, maxsplit=1)[0]
        if lang == "ru" and (tables()["kind_word_ru"].match(ln) or _kind(ln, lang).ru.match(ln)):
            return ln
        if lang == "kk" and re.search(tables()["kind_word_kk"].pattern + r"\s*\.?\s*$", head, re.I):
            return ln
    return None


def find_clauses(text: str, max_lines: int = CLAUSE_LINES) -> list[str]:
    """Repeal and registration notes that are about the document itself: lines among the
    first ones that open with the clause ("Утратило силу решением ...", "Зарегистрировано
    ..."). Further down, "Утратила силу" is an article's note, not the act's."""
    t = tables()
    out = []
    for ln in _lines(text)[:max_lines]:
        for lang in ("ru", "kk"):
            for name in ("repeal", "registration"):
                m = t[name][lang].search(ln)
                if m and m.start() <= 12 and lang == "ru":
                    out.append(ln)
                elif m and lang == "kk" and name == "repeal" and m.start() <= 12:
                    out.append(ln)
    return list(dict.fromkeys(out))


def cop_symbol(text: str) -> str | None:
    m = tables()["cop_symbol"].search(text[:HEAD_CHARS])
    return m.group("sym") if m else None


def dateline(text: str) -> dt.date | None:
    """A press release's date: on a line of its own near the top, or opening a paragraph."""
    t = tables()
    for ln in _lines(text)[: t["dateline_lines"]]:
        m = t["dateline"].match(ln)
        if m:
            d = first_date(m.group("date"))
            if d and d.start == 0:
                return d.date
    return None


def kind_from_text(text: str, issuer: str | None, genre: str | None) -> ActKind | None:
    """The kind of act from the operative formula's speaker, a Code's or Law's way of naming
    itself, or the genre (plan, press release, news)."""
    t = tables()
    if issuer:
        for pattern, kind in t["operative_kinds"]:
            if pattern.search(issuer):
                return kind  # type: ignore[return-value]
    if genre in t["genre_kinds"]:
        return t["genre_kinds"][genre]
    for pattern, kind in t["self_kinds"]:
        if pattern.search(text):
            return kind  # type: ignore[return-value]
    return None


def from_text(
    text: str,
    *,
    title: str = "",
    genre: str | None = None,
    date: dt.date | None = None,
    number: str | None = None,
    issuer: str | None = None,
) -> ActRequisites:
    """What the text says about its own act. `date`, `number`, `issuer` are what the
    metadata reader found (self-references, the operative formula) and fill the gaps."""
    found = find_requisite_line(text)
    req = parse_requisite(found, official=False) if found else ActRequisites()
    req.requisite = found
    for clause in find_clauses(text):
        extra = parse_requisite("Акт. " + clause if detect_lang(clause) == "ru" else clause, official=False)
        if extra.registration and not req.registration:
            req.registration = extra.registration
        if extra.status == "repealed" and req.status != "repealed":
            req.status, req.repealed_by, req.repealed_on = "repealed", extra.repealed_by, extra.repealed_on
            req.amended_by += extra.amended_by
    symbol = cop_symbol(title) or cop_symbol(text)
    if symbol and not req.number:
        req.number = symbol
        req.kind = req.kind or "cop_decision"
    req.kind = req.kind or kind_from_text(text, issuer, genre)
    req.issuer = req.issuer or issuer
    req.date = req.date or date or (dateline(text) if req.kind in ("press_release", "news") else None)
    req.number = req.number or number
    req.source_of = {f: "text" for f in _FILLED if _filled(req, f)}
    return req


_FILLED = (
    "kind", "issuer", "date", "number", "registration", "status", "repealed_by", "repealed_on",
    "title", "edition_date", "urls", "act_code", "amended_by",
)


def _filled(req: ActRequisites, field: str) -> bool:
    value = getattr(req, field)
    if field == "status":
        return value != "unknown"
    if field in ("title", "urls"):
        return bool(value.kk or value.ru)
    return bool(value)


def merge(first: ActRequisites | None, then: ActRequisites | None) -> ActRequisites | None:
    """`first` (the sidecar's) wins field by field; `then` (the text's) fills what it leaves empty."""
    if first is None or then is None:
        return first or then
    out = first.model_copy(deep=True)
    for f in _FILLED:
        if not _filled(out, f) and _filled(then, f):
            setattr(out, f, getattr(then, f))
            out.source_of[f] = then.source_of.get(f, "text")
    if out.requisite is None:
        out.requisite = then.requisite
    return out
