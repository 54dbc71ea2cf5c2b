"""Word documents: paragraphs and tables in document order (python-docx)."""

from __future__ import annotations

import io

from ingest.clean import normalize_chars, squeeze
from ingest.pieces import Piece
from ingest.read_text import table_pieces


def read_docx(data: bytes) -> tuple[list[Piece], dict[str, str]]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    meta: dict[str, str] = {}
    core = document.core_properties
    if core.title:
        meta["docx_title"] = squeeze(core.title)
    out: list[Piece] = []
    table_no = 0
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            par = Paragraph(child, document)
            text = squeeze(normalize_chars(par.text))
            if not text:
                continue
            style = (par.style.name if par.style is not None else "") or ""
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
            table = Table(child, document)
            rows = []
            for row in table.rows:
                cells, seen = [], []
                for cell in row.cells:
                    # python-docx repeats a merged cell once per grid column it spans
                    if any(cell._tc is s for s in seen):
                        cells.append(cells[-1] if cells else "")
                        continue
                    seen.append(cell._tc)
                    cells.append(squeeze(normalize_chars(cell.text)))
                rows.append(cells)
            if rows:
                table_no += 1
                out.extend(table_pieces(rows, table_no))
    return out, meta
