"""The obligation registry's plumbing: file -> obligations, filters, CSV export (CLI and API stay thin)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from kb.models import Document, Obligation

from . import adapters
from .actors import actor_ids
from .export import CSV_COLUMNS, write_csv
from .extract import extract

__all__ = ["CSV_COLUMNS", "export_csv", "filter_obligations", "obligations_for_document", "obligations_for_file",
           "obligations_json", "to_csv"]


def obligations_for_file(path: str | Path) -> list[Obligation]:
    """Parse, tag and extract one file."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    doc = adapters.tag(adapters.parse_file(p))
    return extract(doc)


def obligations_json(path: str | Path) -> list[dict]:
    """`kb obligations FILE --json`: the records as JSON-ready dicts."""
    return [o.model_dump(mode="json") for o in obligations_for_file(path)]


def export_csv(paths: Iterable[str | Path], fh: IO[str], **filters) -> int:
    """`kb obligations --all --csv`: extract every file, filter (see filter_obligations), write CSV."""
    items: list[Obligation] = []
    sources: dict[str, str] = {}
    for p in paths:
        doc = adapters.tag(adapters.parse_file(p))
        sources[doc.id] = doc.source
        items += extract(doc)
    return to_csv(filter_obligations(items, **filters), fh, sources=sources)


def obligations_for_document(doc: Document) -> list[Obligation]:
    """Tag (when not yet tagged) and extract an already parsed document."""
    if not doc.entities:
        doc = adapters.tag(doc)
    return extract(doc)


def _as_date(x: str | dt.date | None, field: str) -> dt.date | None:
    if x is None or isinstance(x, dt.date):
        return x
    try:
        return dt.date.fromisoformat(str(x)[:10])
    except ValueError as exc:
        raise ValueError(f"{field}: expected an ISO date (YYYY-MM-DD), got {x!r}") from exc


def _interval(value: str | None) -> tuple[dt.date, dt.date] | None:
    if not value:
        return None
    parts = value.split("/")
    try:
        a = dt.date.fromisoformat(parts[0][:10])
        b = dt.date.fromisoformat(parts[-1][:10])
    except ValueError:
        return None
    return a, b


def filter_obligations(items: Iterable[Obligation], actor: str | None = None, convention: str | None = None,
                       deadline_from: str | dt.date | None = None, deadline_to: str | dt.date | None = None,
                       lang: str | None = None) -> list[Obligation]:
    """Keep obligations that match every given filter.

    actor: an agency or role id (exact; any co-actor) or a case-insensitive substring of the actor text.
    convention: a convention id present in the quote. deadline_from/to: keep obligations whose
    deadline interval overlaps the range (obligations without a dated deadline are dropped when
    either bound is set). lang: "kk" or "ru".
    """
    d_from = _as_date(deadline_from, "deadline_from")
    d_to = _as_date(deadline_to, "deadline_to")
    out = []
    for o in items:
        if lang and o.lang != lang:
            continue
        if actor:
            if o.actor is None:
                continue
            # an id the actor is filed under (every co-actor, every role) or part of its text
            if actor != o.actor.id and actor not in actor_ids(o.actor) and actor.lower() not in o.actor.text.lower():
                continue
        if convention and convention not in o.conventions:
            continue
        if d_from or d_to:
            iv = _interval(o.deadline.value if o.deadline else None)
            if iv is None:
                continue
            if d_from and iv[1] < d_from:
                continue
            if d_to and iv[0] > d_to:
                continue
        out.append(o)
    return out


def to_csv(items: Iterable[Obligation], fh: IO[str], sources: dict[str, str] | None = None,
           view: str = "flat") -> int:
    """Write obligations as CSV (kb.obligations.export: the API's writer too); `sources` maps
    doc_id -> source path; view "paired" adds each version's quote (rows from pair_rows). Returns rows written."""
    return write_csv(items, fh, sources=sources, view=view)
