"""Tables: HTML grids with row/colspans, header detection, rows continued across pages."""

from __future__ import annotations

import re
from collections import deque

from ingest.budget import check
from ingest.clean import squeeze

_NUMERIC = re.compile(r"^[\d\s.,/%*+−-]+$")
# libxml2's HTML parser (through bs4): it closes what HTML leaves open (<p>, <td>, <tr>, <li>).
# Python's html.parser nests every unclosed tag inside the last one, and bs4 then walks that
# depth for each text node: 300 KB of "<p>a <b>b</b> c" took 158 s, against 1.5 s here.
HTML_PARSER = "lxml"

# Bounds on what row/colspans may expand a table to: spans multiply cells, so a few KB
# of "<td rowspan=100 colspan=100>" rows grew into millions of cells.
MAX_COLUMNS = 1000
MAX_CELLS = 1_000_000


class TableLimit(ValueError):
    """A table expands past MAX_COLUMNS / MAX_CELLS; the message says which."""


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
    leading rows a rowspanned first row makes the header (None: decide by content).

    The rows of a table nested in a cell follow as rows of their own, and a cell's
    text leaves nested tables out: each word is read once, however deep the nesting
    (thousands of nested tables made every level re-read all the levels below)."""
    grid: list[list[str]] = []
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows still spanned)
    first_rowspan = None
    cells_total = 0
    rows = [el for el in table.descendants if getattr(el, "name", None) == "tr"]  # find_all("tr"), cheaper
    for r, tr in enumerate(rows):
        check()
        row: list[str] = []
        col = 0
        queue = deque(_row_cells(tr))
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
            cell = queue.popleft()
            text = squeeze(cell_text(cell))
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            if r == 0 and down > 1:
                first_rowspan = max(first_rowspan or 0, down)
            if col + span > MAX_COLUMNS:
                raise TableLimit(f"HTML table row spans more than {MAX_COLUMNS} columns (colspan/rowspan)")
            for _ in range(span):
                if down > 1:
                    carry[col] = (text, down - 1)
                row.append(text)
                col += 1
        cells_total += len(row)
        if cells_total > MAX_CELLS:
            raise TableLimit(f"HTML table expands to more than {MAX_CELLS} cells (colspan/rowspan)")
        grid.append(row)
    return grid, first_rowspan


def _row_cells(tr) -> list:
    """The row's own cells: its td/th, also when wrapped (tr > span > td), not those of a
    nested table or row."""
    cells, stack = [], list(reversed(tr.contents))
    while stack:
        node = stack.pop()
        name = getattr(node, "name", None)
        if name in ("td", "th"):
            cells.append(node)
        elif name is not None and name not in ("table", "tr"):
            stack.extend(reversed(node.contents))
    return cells


def cell_text(cell) -> str:
    """The text of a cell without the tables nested in it (those give rows of their own)."""
    parts, stack = [], list(reversed(cell.contents))
    while stack:
        node = stack.pop()
        name = getattr(node, "name", None)
        if name is None:
            if type(node).__name__ in ("NavigableString", "CData"):
                parts.append(str(node))
        elif name != "table":
            stack.extend(reversed(node.contents))
            parts.append(" ")
    return " ".join(parts)


def _int(value) -> int:
    try:
        return max(1, min(int(value), 100))
    except (TypeError, ValueError):
        return 1
