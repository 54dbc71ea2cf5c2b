"""The obligation register as CSV: the one writer behind `kb obligations --csv` and the API's
/obligations.csv, so both give the same columns, bytes and guards.

It opens cleanly in Excel and LibreOffice: a UTF-8 BOM (Excel otherwise reads Cyrillic and
Kazakh letters as ANSI), CRLF line ends, and cells that a spreadsheet would run as a formula
("CSV injection": the text comes from documents we do not control) prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO

from kb.models import Obligation

from .actors import actor_ids

CSV_COLUMNS = [
    "doc_id", "title", "source", "lang", "actor", "actor_id", "actor_ids", "actor_roles", "actor_reason",
    "action", "modality", "deadline", "deadline_value", "deadline_inferred", "deadline_kind", "deadline_rrule",
    "deadline_duration", "deadline_anchor", "status", "next_due", "days_left", "condition", "conventions",
    "quote", "block_path", "page", "start", "end",
]
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "@", "\t", "\r")


def _safe(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) or (text.startswith("-") and not text.startswith("- ")):
        return "'" + text
    return text


def _cells(o: Obligation, sources: dict[str, str]) -> list[str]:
    a, d = o.actor, o.deadline
    doc_id = getattr(o, "doc_id", None) or o.quote.doc_id
    agencies = [i for i in actor_ids(a) if not i.startswith("role:")]
    cells = [
        doc_id, getattr(o, "title", ""), getattr(o, "source", None) or sources.get(doc_id, ""), o.lang,
        a.text if a else None, a.id if a else None, ";".join(agencies), ";".join(a.roles) if a else None,
        o.actor_reason, o.action, o.modality,
        d.text if d else None, d.value if d else None, ("yes" if d.inferred else "no") if d else None,
        d.kind if d else None, d.rrule if d else None, d.duration if d else None, d.anchor if d else None,
        getattr(o, "status", None), getattr(o, "next_due", None), getattr(o, "days_left", None),
        o.condition, ";".join(o.conventions), o.quote.text, o.quote.block_path, o.quote.page,
        o.quote.start, o.quote.end,
    ]
    return [_safe(c) for c in cells]


def write_csv(items: Iterable[Obligation], fh: IO[str], sources: dict[str, str] | None = None) -> int:
    """Write obligations (or register rows) with a header and a BOM; `sources` maps doc_id ->
    source path for plain obligations. Returns the rows written."""
    fh.write(BOM)
    w = csv.writer(fh, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    n = 0
    for o in items:
        w.writerow(_cells(o, sources or {}))
        n += 1
    return n


def csv_text(items: Iterable[Obligation], sources: dict[str, str] | None = None) -> str:
    buf = io.StringIO()
    write_csv(items, buf, sources)
    return buf.getvalue()
