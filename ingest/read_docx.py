"""Word documents: paragraphs and tables in document order (python-docx).

A DOCX is a ZIP package, so its size on disk says little: the package is checked
against limits on members and unzipped size before anything is inflated, and
tables are read from their XML here (python-docx repeats a spanned cell once per
grid column: a 36 KB file with gridSpan=100000000 took 9 GB).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from ingest import budget
from ingest.clean import normalize_chars, squeeze
from ingest.pieces import Piece
from ingest.read_text import table_pieces
from ingest.tables import MAX_CELLS


class DocxLimit(ValueError):
    """The package is over a configured limit; the message says which."""


@dataclass(frozen=True)
class DocxLimits:
    max_unzipped_mb: float = 100.0
    max_members: int = 2000
    max_columns: int = 1000


def check_package(data: bytes, limits: DocxLimits) -> None:
    """Refuse zip bombs before python-docx inflates them. The sizes checked are the
    declared ones; zipfile stops reading a member at its declared size (and fails its
    CRC), so a package cannot inflate past them."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = z.infolist()
        if len(members) > limits.max_members:
            raise DocxLimit(
                f"DOCX package has {len(members)} members, over the limit of {limits.max_members}"
                " (KB_MAX_ZIP_MEMBERS)"
            )
        total = sum(m.file_size for m in members)
        if total > limits.max_unzipped_mb * 1024 * 1024:
            raise DocxLimit(
                f"DOCX package unzips to {total / 1048576:.1f} MB, over the limit of"
                f" {limits.max_unzipped_mb:g} MB (KB_MAX_UNZIPPED_MB)"
            )


def read_docx(data: bytes, limits: DocxLimits | None = None) -> tuple[list[Piece], dict[str, str]]:
    import docx
    from docx.text.paragraph import Paragraph

    limits = limits or DocxLimits()
    check_package(data, limits)
    document = docx.Document(io.BytesIO(data))
    meta: dict[str, str] = {}
    core = document.core_properties
    if core.title:
        meta["docx_title"] = squeeze(core.title)
    out: list[Piece] = []
    table_no = 0
    style_names: dict[str | None, str] = {}
    body = document.element.body
    for child in body.iterchildren():
        budget.check()
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            par = Paragraph(child, document)
            text = squeeze(normalize_chars(par.text))
            if not text:
                continue
            style_id = par._p.style  # a style is looked up in styles.xml: once per id, not per paragraph
            if style_id not in style_names:
                style_names[style_id] = (par.style.name if par.style is not None else "") or ""
            style = style_names[style_id]
            kind, level = "paragraph", None
            if style == "Title":
                kind, level = "heading", 1
            elif style.startswith("Heading"):
                kind = "heading"
                digits = "".join(ch for ch in style if ch.isdigit())
                level = int(digits) + 1 if digits else 2
            elif style.startswith("List") or par._p.pPr is not None and par._p.pPr.numPr is not None:
                kind = "list_item"
            out.append(Piece(text=text, kind=kind, level=level))  # type: ignore[arg-type]
        elif tag == "tbl":
            rows = _table_rows(child, document, limits.max_columns)
            if rows:
                table_no += 1
                out.extend(table_pieces(rows, table_no))
    return out, meta


def _table_rows(tbl, document, max_columns: int) -> list[list[str]]:
    """Cell texts per row, a spanned cell repeated in each grid column it covers, a
    vertically merged cell ("continue") taking the text of the cell above it."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    rows: list[list[str]] = []
    above: dict[int, str] = {}  # grid column -> text of the previous row's cell there
    total = 0
    for tr in tbl.iterchildren(qn("w:tr")):
        budget.check()
        cells: list[str] = []
        for tc in tr.iterchildren(qn("w:tc")):
            span, merge = _span(tc, qn)
            col = len(cells)
            if col + span > max_columns:
                raise DocxLimit(
                    f"DOCX table row spans {col + span} grid columns, over the limit of {max_columns}"
                    " (KB_MAX_TABLE_COLUMNS)"
                )
            if merge == "continue":
                text = above.get(col, "")
            else:
                paragraphs = [Paragraph(p, document).text for p in tc.iterchildren(qn("w:p"))]
                text = squeeze(normalize_chars("\n".join(paragraphs)))
            cells.extend([text] * span)
        for col, text in enumerate(cells):
            above[col] = text
        total += len(cells)
        if total > MAX_CELLS:
            raise DocxLimit(f"DOCX table expands to more than {MAX_CELLS} cells")
        rows.append(cells)
    return rows


def _span(tc, qn) -> tuple[int, str | None]:
    """(grid columns the cell covers, its vMerge value: "restart", "continue" or None)."""
    tcPr = tc.find(qn("w:tcPr"))
    if tcPr is None:
        return 1, None
    span = 1
    grid = tcPr.find(qn("w:gridSpan"))
    if grid is not None:
        try:
            span = max(1, int(grid.get(qn("w:val"), "1")))
        except ValueError:
            span = 1  # a damaged value: read the cell as one column
    merge = None
    vmerge = tcPr.find(qn("w:vMerge"))
    if vmerge is not None:
        merge = vmerge.get(qn("w:val"), "continue")  # the attribute's default is "continue"
    return span, merge
