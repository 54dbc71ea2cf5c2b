"""The obligation register as an iCalendar feed (RFC 5545) a calendar client can subscribe to:
the API's /obligations.ics and `kb obligations --all --ics` write it with this one function.

One all-day event per obligation with a calendar date: a one-off deadline on its day, a
recurring one from its first occurrence with its RRULE. Each event quotes the obligation,
names the act and links to the quote in the act; two reminders fire 30 and 7 days before.
Obligations that count from an event or name no date have no place in a calendar and are left
out (the register lists them). Given the register's paired rows (``view=paired``), a duty stated
in both language versions of an act is one event quoting both, identified by its pair key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from urllib.parse import quote as urlquote

from icalendar import Alarm, Calendar, Event, vRecur

from kb.models import ObligationRow

from .deadlines import due_date, next_due

PRODID = "-//KZ RegKB//Obligation register//KK-RU"
REMINDER_DAYS = (30, 7)
SUMMARY_CHARS = 120


def _both(o: ObligationRow) -> bool:
    return bool(getattr(o, "quote_kk", None) and getattr(o, "quote_ru", None))


def _uid(o: ObligationRow) -> str:
    key = f"pair:{o.pair_key}" if _both(o) and o.pair_key else f"{o.doc_id}:{o.quote.start}:{o.quote.end}:{o.action}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@kz-regkb"


def doc_link(base_url: str, o: ObligationRow) -> str:
    """The staff page's address of the obligation's quote in its act."""
    return f"{base_url.rstrip('/')}/#doc/{urlquote(o.doc_id, safe='')}?start={o.quote.start}&end={o.quote.end}"


def _summary(o: ObligationRow) -> str:
    who = o.actor.text if o.actor else ""
    text = f"{who}: {o.action}" if who else o.action
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _event(o: ObligationRow, as_of: dt.date, base_url: str | None, stamp: dt.datetime) -> Event | None:
    d = o.deadline
    if d is None:
        return None
    rule = None
    if d.kind == "recurring" and d.rrule:
        # the rule's first day on or after its DTSTART (the act's date), or the register's day
        start = next_due(d, d.dtstart or as_of)
        rule = vRecur.from_ical(d.rrule)
    else:
        start = due_date(d)
    if start is None:
        return None
    ev = Event()
    ev.add("uid", _uid(o))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", start)
    ev.add("dtend", start + dt.timedelta(days=1))
    if rule is not None:
        ev.add("rrule", rule)
    ev.add("summary", _summary(o))
    act = o.title or o.source or o.doc_id
    quotes = [o.quote_ru, o.quote_kk] if _both(o) else [o.quote]
    lines = [f"«{q.text.strip()}»" for q in quotes]
    lines += ["", f"{act}" + (f" — {o.quote.block_path}" if o.quote.block_path else ""), f"{d.text}"]
    if base_url:
        url = doc_link(base_url, o)
        lines.append(url)
        ev.add("url", url)
    ev.add("description", "\n".join(lines))
    ev.add("categories", [o.modality])
    for days in REMINDER_DAYS:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", dt.timedelta(days=-days))
        alarm.add("description", f"{_summary(o)} ({days})")
        ev.add_component(alarm)
    return ev


def calendar(rows: Iterable[ObligationRow], as_of: dt.date | None = None, base_url: str | None = None,
             name: str = "Obligations", now: dt.datetime | None = None) -> bytes:
    """The feed as iCalendar bytes (UTF-8, CRLF line ends)."""
    as_of = as_of or dt.date.today()
    stamp = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for o in rows:
        ev = _event(o, as_of, base_url, stamp)
        if ev is not None:
            cal.add_component(ev)
    return cal.to_ical()
