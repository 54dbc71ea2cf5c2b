"""Plain text (and the text layer of PDFs) to pieces: paragraphs from lines.

Plain text arrives in three layouts, often in one file: one paragraph per line
(web scrapes), paragraphs separated by blank lines, and PDF extractions with a
hard break every few words (sometimes with blank lines between all of them).
A line continues the previous one when the previous one does not end a sentence
and this one starts in lower case, or when a word was hyphenated across them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.budget import check
from ingest.clean import BULLET, ends_sentence, is_boilerplate, join_all, joins, squeeze
from ingest.pieces import Piece

_TAB_SPLIT = re.compile(r"\t+")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
_HEADINGISH_END = re.compile(r"[.;:,!?…]$")
_NUMBERED = re.compile(r"^\s*(\d{1,3}[.)]|[а-яa-z]\))\s")


@dataclass
class Line:
    text: str
    page: int | None = None


def split_lines(text: str, page: int | None = None) -> list[Line]:
    return [Line(line.rstrip(), page) for line in text.split("\n")]


def _cells(line: str) -> list[str] | None:
    if "\t" in line.strip("\t "):
        return [squeeze(c) for c in _TAB_SPLIT.split(line.strip())]
    if _PIPE_ROW.match(line):
        return [squeeze(c) for c in line.strip().strip("|").split("|")]
    return None


def _layout(lines: list[Line]) -> tuple[bool, int | None]:
    """(double-spaced, wrap width). Double-spaced: most lines are followed by exactly one
    blank line, so a blank line says nothing. Wrap width: in a hard-wrapped text, the
    length a full line reaches (a line that long ending mid-sentence runs on)."""
    nonblank = [i for i, ln in enumerate(lines) if ln.text.strip()]
    if len(nonblank) < 6:
        return False, None
    pairs = list(zip(nonblank, nonblank[1:]))
    gaps = sum(1 for a, b in pairs if b - a == 2) / len(pairs)
    continued = sum(1 for a, b in pairs if joins(lines[a].text, lines[b].text)) / len(pairs)
    double = gaps >= 0.6 and continued >= 0.2
    if continued < 0.2:
        return double, None
    lengths = sorted(len(lines[i].text.strip()) for i in nonblank)
    return double, lengths[int(0.9 * (len(lengths) - 1))]


def lines_to_pieces(
    items: list[Line | Piece], *, page_furniture: bool = False, table_start: int = 1
) -> list[Piece]:
    """Paragraphs, list items and tab/pipe tables from lines; ready pieces pass through."""
    kinds = ("web", "page") if page_furniture else ("web",)
    double, width = _layout([it for it in items if isinstance(it, Line)])

    def runs_on(prev: str, nxt: str) -> bool:
        if joins(prev, nxt):
            return True
        return (
            width is not None
            and len(prev.strip()) >= 0.8 * width
            and not ends_sentence(prev)
            and not BULLET.match(nxt)
            and not _NUMBERED.match(nxt)
        )

    out: list[Piece] = []
    para: list[str] = []
    para_page: int | None = None
    para_kind = "paragraph"
    blank_run = 0
    table_no = table_start - 1
    rows: list[tuple[list[str], int | None]] = []

    def flush_para() -> None:
        nonlocal para, para_page, para_kind
        text = squeeze(_join(para)) if para else ""
        if text:
            out.append(Piece(text=text, kind=para_kind, page=para_page))  # type: ignore[arg-type]
        para, para_page, para_kind = [], None, "paragraph"

    def flush_rows() -> None:
        nonlocal rows, table_no
        if len(rows) >= 2:
            table_no += 1
            out.extend(table_pieces([c for c, _ in rows], table_no, [p for _, p in rows]))
        else:
            out.extend(Piece(text=" ".join(c), page=p) for c, p in rows)
        rows = []

    for it in items:
        check()
        if isinstance(it, Piece):
            flush_para()
            flush_rows()
            if it.table is not None:
                table_no = max(table_no, it.table)
            out.append(it)
            continue
        raw = it.text
        if not raw.strip():
            blank_run += 1
            if not double or blank_run > 1:
                flush_para()
            continue
        blank_run = 0
        if is_boilerplate(raw, kinds):
            continue
        cells = _cells(raw)
        if cells is not None and len(cells) >= 2:
            flush_para()
            if not _PIPE_RULE.match(raw):
                if rows and len(rows[0][0]) != len(cells):
                    flush_rows()
                rows.append((cells, it.page))
            continue
        flush_rows()
        if BULLET.match(raw):
            flush_para()
            para, para_page, para_kind = [BULLET.sub("", raw)], it.page, "list_item"
            continue
        if para and runs_on(para[-1], raw):
            para.append(raw)
            continue
        flush_para()
        para, para_page = [raw], it.page
    flush_para()
    flush_rows()
    return classify(out)


def _join(lines: list[str]) -> str:
    return join_all(lines)


def classify(pieces: list[Piece]) -> list[Piece]:
    """Headings and unmarked list items, which plain text only shows by shape.

    A heading is a short line that does not end like a sentence; the lines after
    one ending in ":" are list items while they read like items (lower-case start or
    short), up to the one that closes with a full stop.
    """
    in_list = False
    for i, p in enumerate(pieces):
        check()
        if p.kind != "paragraph":
            in_list = False
            continue
        text = p.text
        if in_list and (text[:1].islower() or len(text) < 80):
            p.kind = "list_item"
            in_list = not text.endswith((".", "!", "?"))
            continue
        in_list = False
        if text.endswith(":") and len(text) < 600:
            in_list = True
        elif (
            len(text) <= 120
            and not _HEADINGISH_END.search(text)
            and (text[:1].isupper() or text[:1].isdigit())
            and len(text.split()) >= 2
            and not _looks_like_name(text)
        ):
            p.kind = "heading"
    return pieces


def _looks_like_name(text: str) -> bool:
    """"Еркин Дуйсенбаев", "А. Смаилов": a signature or author line, not a heading."""
    words = text.split()
    return len(words) <= 4 and all(w[:1].isupper() and not w.isupper() for w in words)


def table_pieces(
    rows: list[list[str]], table_no: int, pages: list[int | None] | None = None,
    header_rows: int | None = None,
) -> list[Piece]:
    """Rows of one table as pieces, the header found and kept on every row."""
    from ingest.tables import is_column_numbers, split_header

    header, body, body_start = split_header(rows, header_rows)
    out = []
    for i, cells in enumerate(body):
        page = pages[body_start + i] if pages else None
        if header is not None and is_column_numbers(cells):
            continue  # the "1 | 2 | 3" row, repeated where the source table broke across pages
        # a spanned cell is repeated in every column it covers: say it once
        nonempty = [c for j, c in enumerate(cells) if c and (j == 0 or c != cells[j - 1])]
        if not nonempty:
            continue
        out.append(
            Piece(
                text=" | ".join(nonempty),
                kind="table_row",
                page=page,
                table=table_no,
                cells=cells,
                header=header,
                section_row=len(nonempty) == 1 and len(cells) > 1 and len(set(cells)) == 1,
            )
        )
    return out
