"""PDFs (pdfplumber): text per page, tables as rows with their header, running
headers/footers dropped, and a table that runs onto the next page merged back
into one (its repeated header skipped, a row split by the page break rejoined)."""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.budget import BudgetExceeded, check
from ingest.clean import is_boilerplate, join_all, join_lines, normalize_chars, squeeze
from ingest.pieces import Piece
from ingest.read_text import Line, lines_to_pieces, table_pieces


class PdfError(ValueError):
    pass


@dataclass
class _Table:
    rows: list[list[str]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)


def _cell(value: str | None) -> str:
    if not value:
        return ""
    parts = normalize_chars(value).split("\n")
    while parts and not parts[0].strip():
        parts.pop(0)  # the first line with text opens the cell, as join_lines did
    return squeeze(join_all([parts[0].strip()] + parts[1:])) if parts else ""


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", squeeze(text).lower())


def read_pdf(data: bytes) -> tuple[list[Piece], dict[str, str]]:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # pdfminer raises many types for broken or locked files
        raise PdfError(_reason(e)) from e
    pages_entries: list[list[object]] = []  # per page: Lines and raw table rows, top to bottom
    try:
        with pdf:
            pages = len(pdf.pages)
            for number, page in enumerate(pdf.pages, start=1):
                check()
                found = page.find_tables()
                boxes = [t.bbox for t in found]

                def outside(obj, boxes=boxes):
                    x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
                    y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
                    return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

                lines = page.filter(outside).extract_text_lines(return_chars=False)
                entries: list[tuple[float, object]] = [
                    (ln["top"], Line(normalize_chars(ln["text"]), number)) for ln in lines
                ]
                for t in found:
                    rows = [[_cell(c) for c in row] for row in t.extract()]
                    rows = [r for r in rows if any(r)]
                    if rows:
                        entries.append((t.bbox[1], rows))
                entries.sort(key=lambda e: e[0])
                pages_entries.append([e for _, e in entries])
    except (PdfError, BudgetExceeded):
        raise
    except Exception as e:
        raise PdfError(_reason(e)) from e

    repeated = _running_lines(
        [[e.text for e in entries if isinstance(e, Line)] for entries in pages_entries]
    )
    items: list[Line | _Table] = []
    seen: set[str] = set()
    for number, entries in enumerate(pages_entries, start=1):
        content_before = False  # on this page, before the current entry
        for entry in entries:
            if isinstance(entry, Line):
                key = _furniture_key(entry.text)
                if is_boilerplate(entry.text, ("page",)):
                    continue
                if key in repeated:
                    if number == 1 and not content_before and key not in seen:
                        seen.add(key)  # a running title at the top of page 1 is its title there
                        items.append(entry)
                    continue
                if entry.text.strip():
                    items.append(entry)
                    content_before = True
                continue
            rows = entry  # type: ignore[assignment]
            prev = items[-1] if items and isinstance(items[-1], _Table) else None
            if not content_before and prev is not None and len(prev.rows[0]) == len(rows[0]):
                _continue_table(prev, rows, number)
            else:
                items.append(_Table(rows, [number] * len(rows)))
            content_before = True

    out: list[Line | Piece] = []
    table_no = 0
    for it in items:
        if isinstance(it, _Table):
            table_no += 1
            out.extend(table_pieces(it.rows, table_no, it.pages))  # type: ignore[arg-type]
        else:
            out.append(it)
    pieces = lines_to_pieces(out, page_furniture=True)
    return pieces, {"pages": str(pages)}


def _continue_table(prev: _Table, rows: list[list[str]], page: int) -> None:
    if rows and rows[0] == prev.rows[0]:
        rows = rows[1:]  # the header repeated at the top of the new page
    if rows and not rows[0][0] and prev.rows and any(rows[0][1:]):
        # no row number: the rest of the previous page's last row
        last = prev.rows[-1]
        prev.rows[-1] = [join_lines(a, b) if a and b else a or b for a, b in zip(last, rows[0])]
        rows = rows[1:]
    prev.rows.extend(rows)
    prev.pages.extend([page] * len(rows))


def _running_lines(page_lines: list[list[str]]) -> set[str]:
    """Lines at the top or bottom of most pages (running headers, footers, page numbers)."""
    if len(page_lines) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in page_lines:
        edge = {_furniture_key(t) for t in lines[:2] + lines[-2:] if t.strip()}
        counts.update(edge)
    need = max(2, (len(page_lines) + 1) // 2)
    return {k for k, n in counts.items() if n >= need}


def _reason(e: Exception) -> str:
    # pdfplumber wraps pdfminer's error: the cause is in args
    causes = [e, *(a for a in e.args if isinstance(a, Exception))]
    names = " ".join(type(c).__name__ + " " + str(c) for c in causes).lower()
    if "password" in names or "encrypt" in names:
        return "encrypted PDF (a password is required)"
    inner = causes[-1]
    return f"corrupt or unreadable PDF ({type(inner).__name__}: {str(inner)[:120] or 'no details'})"
