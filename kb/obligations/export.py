"""The obligation register as CSV: the one writer behind `kb obligations --csv` and the API's
/obligations.csv, so both give the same columns, bytes and guards.

Two views, as in the register: `flat` (one row per obligation and language version, columns
CSV_COLUMNS) and `paired` (one row per duty, issue 12 item 5: a duty stated in both language
versions of an act once; the same columns, filled from the version shown first, then
PAIRED_COLUMNS with each version's quote, document, title and place).

It opens cleanly in Excel and LibreOffice: a UTF-8 BOM (Excel otherwise reads Cyrillic and
Kazakh letters as ANSI), CRLF line ends, and cells that a spreadsheet would run as a formula
("CSV injection": the text comes from documents we do not control) prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO

from kb.models import Obligation, RegisterView

from .actors import actor_ids

CSV_COLUMNS = [
    "doc_id", "title", "source", "lang", "actor", "actor_id", "actor_ids", "actor_roles", "actor_reason",
    "action", "modality", "deadline", "deadline_value", "deadline_inferred", "deadline_kind", "deadline_rrule",
    "deadline_duration", "deadline_anchor", "status", "next_due", "days_left", "condition", "conventions",
    "quote", "block_path", "page", "start", "end",
]
# added after CSV_COLUMNS in the paired view: the flat columns keep their places
PAIRED_COLUMNS = [
    "langs", "quote_kk", "quote_ru", "doc_id_kk", "doc_id_ru", "title_kk", "title_ru", "block_path_kk", "block_path_ru",
]
VIEWS = ("flat", "paired")
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


def _paired_cells(o: Obligation) -> list[str]:
    """Each version's quote, document, title and place. A row that is no pair (a plain obligation
    or register row) fills its own language's cells."""
    langs = getattr(o, "langs", None) or [o.lang]
    if hasattr(o, "quote_kk"):  # a PairedObligationRow
        per = {c: (getattr(o, f"quote_{c}"), getattr(o, f"doc_id_{c}"), getattr(o, f"title_{c}")) for c in ("kk", "ru")}
    else:
        per = {c: (None, None, None) for c in ("kk", "ru")}
        per[o.lang] = (o.quote, getattr(o, "doc_id", None) or o.quote.doc_id, getattr(o, "title", None))
    cells = [";".join(langs)]
    cells += [per[c][0].text if per[c][0] else None for c in ("kk", "ru")]
    cells += [per[c][1] for c in ("kk", "ru")]
    cells += [per[c][2] for c in ("kk", "ru")]
    cells += [per[c][0].block_path if per[c][0] else None for c in ("kk", "ru")]
    return [_safe(c) for c in cells]


def columns(view: RegisterView = "flat") -> list[str]:
    """The header of a view: CSV_COLUMNS, and PAIRED_COLUMNS after them in the paired view."""
    if view not in VIEWS:
        raise ValueError(f"view: flat or paired (got {view!r})")
    return CSV_COLUMNS + PAIRED_COLUMNS if view == "paired" else list(CSV_COLUMNS)


def write_csv(items: Iterable[Obligation], fh: IO[str], sources: dict[str, str] | None = None,
              view: RegisterView = "flat") -> int:
    """Write obligations (or register rows; paired rows for view="paired") with a header and a BOM;
    `sources` maps doc_id -> source path for plain obligations. Returns the rows written."""
    header = columns(view)
    fh.write(BOM)
    w = csv.writer(fh, lineterminator="\r\n")
    w.writerow(header)
    n = 0
    for o in items:
        cells = _cells(o, sources or {})
        if view == "paired":
            cells += _paired_cells(o)
        w.writerow(cells)
        n += 1
    return n


def csv_text(items: Iterable[Obligation], sources: dict[str, str] | None = None, view: RegisterView = "flat") -> str:
    buf = io.StringIO()
    write_csv(items, buf, sources, view=view)
    return buf.getvalue()
