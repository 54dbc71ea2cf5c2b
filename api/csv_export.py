"""The obligation registry as a CSV file that opens cleanly in Excel and LibreOffice."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from kb.models import ObligationRow

COLUMNS = [
    "doc_id",
    "title",
    "source",
    "lang",
    "actor",
    "actor_id",
    "actor_reason",
    "action",
    "modality",
    "deadline",
    "deadline_value",
    "deadline_inferred",
    "condition",
    "conventions",
    "quote",
    "block_path",
    "page",
    "start",
    "end",
]

# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection");
# the text comes from documents we do not control.
_FORMULA_START = ("=", "+", "@", "\t", "\r")


def _safe(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) or (text.startswith("-") and not text.startswith("- ")):
        return "'" + text
    return text


def _row(o: ObligationRow) -> list[str]:
    cells = [
        o.doc_id,
        o.title,
        o.source,
        o.lang,
        o.actor.text if o.actor else None,
        o.actor.id if o.actor else None,
        o.actor_reason,
        o.action,
        o.modality,
        o.deadline.text if o.deadline else None,
        o.deadline.value if o.deadline else None,
        ("yes" if o.deadline.inferred else "no") if o.deadline else None,
        o.condition,
        ";".join(o.conventions),
        o.quote.text,
        o.quote.block_path,
        o.quote.page,
        o.quote.start,
        o.quote.end,
    ]
    return [_safe(c) for c in cells]


def obligations_csv(rows: Iterable[ObligationRow]) -> str:
    """CSV text with a header row; a BOM so Excel reads Cyrillic and Kazakh letters as UTF-8."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_row(row))
    return buf.getvalue()
