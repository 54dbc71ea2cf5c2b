"""What readers hand to the structure builder: the document's parts in reading order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["heading", "paragraph", "list_item", "table_row"]


@dataclass
class Piece:
    text: str
    kind: Kind = "paragraph"
    level: int | None = None  # heading level (1 = top), when the format says
    page: int | None = None
    indent: int = 0  # leading spaces in the source: nesting of continuation text
    note: bool = False  # a footnote/remark block ("Сноска", "Ескерту") or a quote box
    table: int | None = None  # table number in the document (1-based), table rows only
    cells: list[str] | None = None
    header: list[str] | None = None
    section_row: bool = False  # a table row that labels the rows below it (one spanning cell)
    lang: str | None = None  # kk / ru / mixed, None when the text has no language evidence
    anchor: str | None = None  # the source's stable id for this block (a mirror's <a id="...">)
    ocr: bool = False  # read by OCR from a page image (a page without a text layer)
    meta: dict[str, str] = field(default_factory=dict)
