"""Tables: HTML grids with row/colspans, header detection, rows continued across pages."""

from __future__ import annotations

import re

from ingest.clean import squeeze

_NUMERIC = re.compile(r"^[\d\s.,/%*+−-]+$")


def is_numeric(cell: str) -> bool:
    return bool(cell) and bool(_NUMERIC.match(cell))


def looks_like_header(row: list[str]) -> bool:
    distinct = {c for c in row if c}
    return len(distinct) >= 2 and not any(is_numeric(c) for c in row)


def is_column_numbers(row: list[str]) -> bool:
    """The "1 | 2 | 3 | ..." row printed under many official tables' headers."""
    return len(row) >= 3 and row == [str(i) for i in range(1, len(row) + 1)]


def combine_header(rows: list[list[str]]) -> list[str]:
    """One label per column from stacked header rows ("В том числе: / пашни")."""
    width = max(len(r) for r in rows)
    out = []
    for col in range(width):
        parts: list[str] = []
        for r in rows:
            cell = r[col] if col < len(r) else ""
            if cell and cell not in parts:
                parts.append(cell)
        out.append(" / ".join(parts))
    return out


def split_header(
    rows: list[list[str]], header_rows: int | None = None
) -> tuple[list[str] | None, list[list[str]], int]:
    """(header, body rows, index of the first body row)."""
    if header_rows is None:
        header_rows = 1 if len(rows) >= 2 and looks_like_header(rows[0]) else 0
    header = combine_header(rows[:header_rows]) if header_rows else None
    start = header_rows
    if header is not None and start < len(rows) and is_column_numbers(rows[start]):
        start += 1
    return header, rows[start:], start


def html_grid(table) -> tuple[list[list[str]], int | None]:
    """Rows of a BeautifulSoup <table> with row/colspans expanded, and how many
    leading rows a rowspanned first row makes the header (None: decide by content)."""
    grid: list[list[str]] = []
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows still spanned)
    first_rowspan = None
    for r, tr in enumerate(table.find_all("tr")):
        row: list[str] = []
        col = 0
        cells = tr.find_all(["td", "th"], recursive=False) or tr.find_all(["td", "th"])
        queue = list(cells)
        while queue or col in carry:
            if col in carry:
                text, left = carry[col]
                row.append(text)
                if left <= 1:
                    del carry[col]
                else:
                    carry[col] = (text, left - 1)
                col += 1
                continue
            cell = queue.pop(0)
            text = squeeze(cell.get_text(" "))
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            if r == 0 and down > 1:
                first_rowspan = max(first_rowspan or 0, down)
            for _ in range(span):
                if down > 1:
                    carry[col] = (text, down - 1)
                row.append(text)
                col += 1
        grid.append(row)
    return grid, first_rowspan


def _int(value) -> int:
    try:
        return max(1, min(int(value), 100))
    except (TypeError, ValueError):
        return 1
