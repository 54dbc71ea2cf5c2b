"""The obligation register as a tracking tool: where an obligation stands as of a day, and
which filters make sense. The SQL form of the same reading is in kb/store.py (`_status`,
`_next_due`); this one serves obligations that are not stored (`kb obligations FILE`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

from kb.models import Obligation, ObligationFilters, ObligationRow

from .actors import ROLE_PREFIX, role_ids
from .deadlines import due_date, next_due

# What an id looks like (gazetteer ids are lower-case ASCII with hyphens; roles are prefixed):
# an actor filter of this shape is an id and must be known; anything else is part of the text.
ID_SHAPE = re.compile(r"^(?:role:)?[a-z0-9][a-z0-9-]*$")


class FilterError(ValueError):
    """A register filter that cannot mean anything; `field` names it (the API answers 422)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def known_actor_ids(extra: Iterable[str] = ()) -> set[str]:
    """Agency ids of the gazetteer, role ids, and any `extra` ids the knowledge base holds."""
    from kb.entities import gazetteer

    return {e.id for e in gazetteer().agencies} | set(role_ids()) | set(extra)


def check_filters(f: ObligationFilters, extra_ids: Callable[[], Iterable[str]] | None = None) -> None:
    """Raise FilterError for an unknown agency/role id or an inverted date range.
    `extra_ids` (called only when needed) lists further ids the knowledge base knows."""
    if f.actor and ID_SHAPE.match(f.actor):
        known = known_actor_ids()
        if f.actor not in known and (extra_ids is None or f.actor not in set(extra_ids())):
            what = "role" if f.actor.startswith(ROLE_PREFIX) else "agency"
            raise FilterError("actor", f"unknown {what} id {f.actor!r} (agency ids as in /entities, roles as in /roles)")
    for a, b in (("deadline_from", "deadline_to"), ("due_from", "due_to")):
        lo, hi = getattr(f, a), getattr(f, b)
        if lo is not None and hi is not None and lo > hi:
            raise FilterError(b, f"{hi.isoformat()} is before {a} {lo.isoformat()}")


def status(o: Obligation, as_of: dt.date) -> tuple[str, dt.date | None]:
    """(status, next due day) as of a day; the same reading as kb.store's SQL."""
    d = o.deadline
    if d is None:
        return "no_deadline", None
    if d.kind == "recurring":
        return "recurring", next_due(d, as_of)
    day = due_date(d)
    if day is not None:
        return ("overdue" if day < as_of else "due"), day
    return ("on_event" if d.kind == "relative" else "undated"), None


def as_row(o: Obligation, as_of: dt.date, doc_id: str = "", source: str = "", title: str = "") -> ObligationRow:
    """An obligation as a register row as of a day (for obligations read from a file)."""
    state, day = status(o, as_of)
    return ObligationRow(**o.model_dump(), doc_id=doc_id or o.quote.doc_id, source=source, title=title,
                         status=state, next_due=day, days_left=(day - as_of).days if day else None)


def register_rows(items: Iterable[Obligation], f: ObligationFilters, source: str = "", title: str = "") -> list[ObligationRow]:
    """Obligations of one file as register rows: `f`'s status and due window applied, sorted as
    asked (the other filters are kb.obligations.filter_obligations')."""
    as_of = f.as_of or dt.date.today()
    rows = [as_row(o, as_of, source=source, title=title) for o in items]
    if f.status:
        rows = [r for r in rows if r.status in f.status]
    if f.due_from or f.due_to:
        rows = [r for r in rows if r.next_due is not None and (f.due_from is None or r.next_due >= f.due_from)
                and (f.due_to is None or r.next_due <= f.due_to)]
    if f.sort == "due":
        rows.sort(key=lambda r: (r.next_due is None, r.next_due or dt.date.max))
    return rows
