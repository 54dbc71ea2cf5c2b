"""Deadlines as data: the text of a deadline -> an absolute date or interval, a relative
deadline (duration + the event it counts from), or a recurring one (an RFC 5545 rule).

The date tagger (kb.entities, grammar in kb/data/dates.yaml) reads dates, month names, number
words and durations; this module adds what a deadline means on top of them, with its cues in
kb/data/deadlines.yaml. The rule is "never a wrong date": a deadline that names no certain
date keeps `value` null and says why in `reason`; a recurring deadline has no single value
but a rule, from which `next_due(deadline, as_of)` computes the next date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from dateutil.rrule import rrulestr

from kb.lang.script import load_yaml
from kb.models import Deadline, Entity

DATA_FILE = "deadlines.yaml"
# Occurrences written to the store for a recurring deadline (kb.store: the register's SQL reads
# the next one as of any day from these): a century of yearly to monthly rules, weekly ones
# up to five times the cap; daily rules need none.
OCCURRENCES_FROM = dt.date(2000, 1, 1)
OCCURRENCES_TO = dt.date(2100, 12, 31)
MAX_OCCURRENCES = 1500
# Only a day and month are read off a recurring deadline; this year is never used.
REFERENCE_DATE = dt.date(2001, 1, 1)


class DeadlineGrammarError(ValueError):
    """kb/data/deadlines.yaml is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class _Recurrence:
    pattern: re.Pattern
    freq: str
    months: tuple[int, ...] = ()
    next_months: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Grammar:
    recurring: dict[str, list[_Recurrence]]
    next_period: dict[str, list[re.Pattern]]
    day_of_month: dict[str, list[re.Pattern]]
    durations: dict[str, list[re.Pattern]]
    units: dict[str, str]
    business_days: dict[str, list[re.Pattern]]
    before: dict[str, list[re.Pattern]]
    after: dict[str, list[re.Pattern]]
    anchor: dict[str, list[re.Pattern]]
    relative_markers: dict[str, list[re.Pattern]]
    ordinals: dict[str, dict[str, int]]
    period_month: dict[str, list[re.Pattern]]


def _compile(rx: str, where: str) -> re.Pattern:
    try:
        return re.compile(rx, re.IGNORECASE)
    except re.error as exc:
        raise DeadlineGrammarError(f"kb/data/{DATA_FILE}: {where}: bad regex {rx!r}: {exc}") from exc


def _by_lang(raw: dict, key: str) -> dict[str, list[re.Pattern]]:
    section = raw.get(key) or {}
    if not isinstance(section, dict):
        raise DeadlineGrammarError(f"kb/data/{DATA_FILE}: {key}: expected a mapping of languages")
    return {lang: [_compile(rx, f"{key}.{lang}[{i}]") for i, rx in enumerate(items or [])]
            for lang, items in section.items()}


@lru_cache(maxsize=1)
def grammar() -> _Grammar:
    raw = load_yaml(DATA_FILE)
    recurring: dict[str, list[_Recurrence]] = {}
    for lang, items in (raw.get("recurring") or {}).items():
        out = []
        for i, item in enumerate(items or []):
            where = f"recurring.{lang}[{i}]"
            if not isinstance(item, dict) or "re" not in item or "freq" not in item:
                raise DeadlineGrammarError(f"kb/data/{DATA_FILE}: {where}: needs 're' and 'freq'")
            if item["freq"] not in ("YEARLY", "MONTHLY", "WEEKLY", "DAILY"):
                raise DeadlineGrammarError(f"kb/data/{DATA_FILE}: {where}: freq {item['freq']!r} is not "
                                           "YEARLY, MONTHLY, WEEKLY or DAILY")
            out.append(_Recurrence(_compile(item["re"], where), item["freq"], tuple(item.get("months") or ()),
                                   tuple(item.get("next_months") or ())))
        recurring[lang] = out
    direction = raw.get("direction") or {}
    return _Grammar(
        recurring=recurring,
        next_period=_by_lang(raw, "next_period"),
        day_of_month=_by_lang(raw, "day_of_month"),
        durations=_by_lang(raw, "durations"),
        units={str(k): str(v) for k, v in (raw.get("units") or {}).items()},
        business_days=_by_lang(raw, "business_days"),
        before=_by_lang(direction, "before"),
        after=_by_lang(direction, "after"),
        anchor=_by_lang(raw, "anchor"),
        relative_markers=_by_lang(raw, "relative_markers"),
        ordinals={lang: {str(k): int(v) for k, v in (m or {}).items()} for lang, m in (raw.get("ordinals") or {}).items()},
        period_month=_by_lang(raw, "period_month"),
    )


def _day_number(word: str, lang: str) -> int | None:
    """A day written as digits ("15", "2-го"), an ordinal word ("первого", "двадцать пятого") or a
    number word ("бірінші", "жиырма бесінші")."""
    from kb.entities.dates import _num

    digits = re.match(r"\d+", word)
    if digits:
        return int(digits.group(0))
    ords = grammar().ordinals.get(lang, {})
    words = word.lower().split()
    if words and all(w in ords for w in words):
        return sum(ords[w] for w in words)
    return _num(word)


def _search(pats: dict[str, list[re.Pattern]], lang: str, text: str) -> re.Match | None:
    best = None
    for p in pats.get(lang, []):
        m = p.search(text)
        if m and (best is None or m.start() < best.start()):
            best = m
    return best


def _iso_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _interval(value: str | None) -> tuple[dt.date, dt.date] | None:
    if not value or "/" not in value:
        return None
    a, _, b = value.partition("/")
    da, db = _iso_date(a), _iso_date(b)
    return (da, db) if da and db else None


def _is_month(value: str | None) -> int | None:
    """The month of a value that spans exactly one calendar month (a month named without a day)."""
    iv = _interval(value)
    if iv and iv[0].day == 1 and iv[0].year == iv[1].year and iv[0].month == iv[1].month:
        return iv[0].month
    return None


def _norm(s: str) -> str:
    return " ".join(s.split())


# -- recurring --------------------------------------------------------------------------------
def _recurring(text: str, lang: str, ents: list[Entity], doc_date: dt.date | None) -> Deadline | None:
    g = grammar()
    cue = next(((r, m) for r in g.recurring.get(lang, []) if (m := r.pattern.search(text))), None)
    if cue is None:
        if not any((e.value or "").startswith("R/") for e in ents):
            return None
        # the tagger saw a recurrence our cues do not list: read its period
        period = next(e.value for e in ents if (e.value or "").startswith("R/"))[2:]
        freq = {"P1Y": "YEARLY", "P1M": "MONTHLY", "P1W": "WEEKLY", "P1D": "DAILY"}.get(period)
        months = (3, 6, 9, 12) if period == "P3M" else ()
        if freq is None and not months:
            return Deadline(text=_norm(text), kind="unparsed", reason=f"a recurrence every {period} is not supported")
        rec = _Recurrence(re.compile("$^"), freq or "YEARLY", months, (1, 4, 7, 10) if months else ())
    else:
        rec = cue[0]
    following = _search(g.next_period, lang, text) is not None
    day = month = None
    # the day and month of a recurring deadline are read whatever the year: tag the text again
    # with a reference date so that "1 марта" gets a value even in an undated act
    from kb.entities import extract

    dated = [e for e in extract(text, lang, REFERENCE_DATE) if e.type == "date"]
    for e in dated or ents:
        if not e.value or e.value.startswith(("R/", "P")):
            continue
        d = _iso_date(e.value) if "/" not in e.value else None
        if d is not None:
            day, month = d.day, d.month
            break
        m = _is_month(e.value)
        if m is not None:
            month = m
            break
    if day is None:
        dm = _search(g.day_of_month, lang, text)
        if dm and dm.groupdict().get("d"):
            n = _day_number(dm.group("d").strip(), lang)
            if n is not None and 1 <= n <= 31:
                day = n
    # "до первого числа второго месяца квартала": the n-th month of each period
    in_period = None
    pm = _search(g.period_month, lang, text)
    if pm is not None:
        in_period = _day_number(pm.group("m"), lang)
    inferred = False
    reason = None
    parts = []
    if rec.freq == "YEARLY" and rec.months and len(rec.months) > 1:
        # quarters and half-years: a stated day falls in the month after the period when the
        # text says "following the reporting period", else the period's last month
        months = rec.next_months if (following and day is not None) else rec.months
        span = 12 // len(rec.next_months) if rec.next_months else 0
        if in_period and rec.next_months and 1 <= in_period <= span and day is not None:
            months = tuple(m + in_period - 1 for m in rec.next_months)
        parts = [f"BYMONTH={','.join(str(m) for m in months)}", f"BYMONTHDAY={day if day is not None else -1}"]
        if day is None:
            inferred, reason = True, "no day stated: due by the last day of each period"
    elif rec.freq == "YEARLY":
        if month is None and day is not None:
            inferred, reason = True, "a day without a month: read as a day of December"
        if month is None and day is None:
            # "ежегодно" alone: the rule says only what the text says (every year); the day it is
            # counted on is the last day of the act's year (DTSTART), flagged as inferred
            year = (doc_date or OCCURRENCES_FROM).year
            return Deadline(text=_norm(text), kind="recurring", rrule="FREQ=YEARLY", dtstart=dt.date(year, 12, 31),
                            inferred=True, reason="no day stated: due by the end of each year")
        if month is None:
            month = 12
        parts = [f"BYMONTH={month}", f"BYMONTHDAY={day if day is not None else -1}"]
    elif rec.freq == "MONTHLY":
        parts = [f"BYMONTHDAY={day if day is not None else -1}"]
        if day is None:
            inferred, reason = True, "no day stated: due by the last day of each month"
    rule = ";".join([f"FREQ={rec.freq}", *parts])
    return Deadline(text=_norm(text), kind="recurring", rrule=rule, dtstart=doc_date, inferred=inferred, reason=reason)


# -- relative ---------------------------------------------------------------------------------
def _duration(text: str, lang: str, ents: list[Entity]) -> tuple[str, int, int] | None:
    """(ISO 8601 duration, start, end of its words in text)."""
    for e in ents:
        if e.value and e.value.startswith("P") and not e.value.startswith("PT"):
            pos = text.find(e.text)
            return e.value, max(pos, 0), (pos + len(e.text)) if pos >= 0 else len(text)
    g = grammar()
    from kb.entities.dates import _num  # number words ("двух", "екі"), read from kb/data/dates.yaml

    for p in g.durations.get(lang, []):
        for m in p.finditer(text):
            n = _num(m.group("n"))
            unit = g.units.get(m.group("unit").lower())
            if n and unit:
                iso = f"PT{n}H" if unit == "H" else f"PT{n}M"
                return iso, m.start(), m.end()
    return None


def _until_verb(s: str) -> str:
    """An anchor phrase up to the first verb: a deadline span may run on into the action
    ("со дня получения запроса представить информацию")."""
    from kb.entities.keys import _morph

    for m in re.finditer(r"[^\W\d_]+", s):
        parses = _morph().parse(m.group(0).lower())
        if parses and parses[0].tag.POS in ("INFN", "VERB"):
            return s[:m.start()]
    return s


def _relative(text: str, lang: str, ents: list[Entity]) -> Deadline | None:
    g = grammar()
    dur = _duration(text, lang, ents)
    marker = _search(g.relative_markers, lang, text)
    if dur is None and marker is None:
        return None
    if dur is None and any(e.value and not e.value.startswith(("R/", "P")) for e in ents):
        return None  # "ақпанның 15-інен кешіктірмей": a marker before a date is the date's
    direction = "within"
    if _search(g.before, lang, text):
        direction = "before"
    elif _search(g.after, lang, text):
        direction = "after"
    anchor = None
    a = _search(g.anchor, lang, text)
    if a is not None:
        if lang == "kk":
            # the event precedes "бастап"/"кейін": from the deadline's start (after any duration
            # that opens it) up to the marker
            start = dur[2] if dur and dur[2] <= a.start() else 0
            anchor = text[start:a.end()].strip(" ,")
            if dur and dur[1] >= a.end():
                anchor = text[:a.end()].strip(" ,")
        else:
            anchor = _until_verb(text[a.start():]).strip(" ,.;")
    anchor = _norm(anchor) if anchor else None
    business = _search(g.business_days, lang, text) is not None
    if dur is None:
        reason = "tied to an event, with no period stated"
    elif anchor is None:
        reason = "the event the period counts from is not named"
    else:
        reason = "counts from an event: no calendar date"
    return Deadline(text=_norm(text), kind="relative", duration=dur[0] if dur else None, business_days=business,
                    direction=direction, anchor=anchor, reason=reason)


# -- absolute ---------------------------------------------------------------------------------
def _absolute(text: str, ents: list[Entity]) -> Deadline | None:
    dated = [e for e in ents if e.value and not e.value.startswith(("R/", "P"))]
    if not dated:
        return None
    first = dated[0]
    if len(dated) >= 2 and "/" not in first.value and "/" not in dated[1].value:
        # "с 1 января по 31 марта 2024 года": two dates joined by "по"/"до"/a dash are one interval,
        # the first taking the second's year when its own was only inferred
        a, b = text.find(first.text), text.find(dated[1].text)
        between = text[a + len(first.text):b] if 0 <= a < b else ""
        if re.fullmatch(r"\s*(?:по|до|-|–|—|бен|мен|пен|және|дейін\s+)?\s*", between, re.IGNORECASE):
            d1, d2 = _iso_date(first.value), _iso_date(dated[1].value)
            if d1 and d2:
                if first.inferred and not dated[1].inferred:
                    d1 = d1.replace(year=d2.year) if not (d1.month == 2 and d1.day == 29) else d1
                if d1 <= d2:
                    return Deadline(text=_norm(text), value=f"{d1.isoformat()}/{d2.isoformat()}",
                                    inferred=dated[1].inferred, kind="interval", start=d1, end=d2)
    iv = _interval(first.value)
    if iv:
        return Deadline(text=_norm(text), value=first.value, inferred=first.inferred, kind="interval",
                        start=iv[0], end=iv[1])
    d = _iso_date(first.value)
    if d is None:
        return None
    return Deadline(text=_norm(text), value=first.value, inferred=first.inferred, kind="absolute", date=d)


def parse_deadline(text: str, lang: str, doc_date: dt.date | None = None,
                   entities: list[Entity] | None = None) -> Deadline:
    """The deadline stated in `text` (ru or kk) as data. `entities` are the date entities the
    tagger found in it (tagged here when not given); `doc_date` dates recurring rules and
    supplies the year of a date stated without one (then `inferred` is true)."""
    if entities is None:
        from kb.entities import extract

        entities = [e for e in extract(text, lang, doc_date) if e.type == "date"]
    ents = [e for e in entities if e.type == "date"]
    for read in (lambda: _recurring(text, lang, ents, doc_date), lambda: _relative(text, lang, ents),
                 lambda: _absolute(text, ents)):
        found = read()
        if found is not None:
            return found
    return Deadline(text=_norm(text), kind="unparsed",
                    reason="no date, period or recurrence could be read from the text")


# -- when it falls due ------------------------------------------------------------------------
def _rule(d: Deadline, start: dt.date):
    return rrulestr(d.rrule, dtstart=dt.datetime.combine(start, dt.time()))


def due_date(d: Deadline | None) -> dt.date | None:
    """The fixed day a one-off deadline falls due (an interval's last day); None otherwise."""
    if d is None or d.kind == "recurring":
        return None
    if d.kind == "absolute":
        return d.date or _iso_date(d.value or "")
    if d.kind == "interval":
        iv = (d.start, d.end) if d.start and d.end else _interval(d.value)
        return iv[1] if iv else None
    return None


def next_due(d: Deadline | None, as_of: dt.date) -> dt.date | None:
    """The next day on or after `as_of` a deadline falls due: a recurring rule's next
    occurrence (not before its DTSTART), a one-off deadline's day when it is still ahead,
    None when it has passed or has no calendar date."""
    if d is None:
        return None
    if d.kind == "recurring" and d.rrule:
        start = d.dtstart or OCCURRENCES_FROM
        hit = _rule(d, start).after(dt.datetime.combine(max(as_of, start), dt.time()), inc=True)
        return hit.date() if hit else None
    day = due_date(d)
    return day if day is not None and day >= as_of else None


def occurrences(d: Deadline, start: dt.date = OCCURRENCES_FROM, end: dt.date = OCCURRENCES_TO,
                limit: int | None = None) -> list[dt.date]:
    """A recurring deadline's days between start and end (at most `limit`), from its DTSTART on.
    A daily rule has none listed: it is due every day (kb.store reads that without a table)."""
    if d.kind != "recurring" or not d.rrule or d.rrule.startswith("FREQ=DAILY"):
        return []
    if limit is None:
        limit = MAX_OCCURRENCES * (5 if d.rrule.startswith("FREQ=WEEKLY") else 1)
    first = max(start, d.dtstart or start)
    out = []
    for when in _rule(d, first):
        day = when.date()
        if day > end or len(out) >= limit:
            break
        out.append(day)
    return out
