"""Markdown (the acts' format): headings, numbered points, quote boxes, fenced blocks, HTML tables."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from ingest.budget import check
from ingest.clean import BULLET, squeeze
from ingest.pieces import Piece
from ingest.read_text import table_pieces
from ingest.tables import HTML_PARSER, html_grid

# Patterns here run on whole paragraphs of untrusted text: each must stop at the next
# delimiter, never rescan to the end from every start (100 KB of "[" took two minutes).
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD_LINE = re.compile(r"^\*\*(.+)\*\*$")
_EMPHASIS = re.compile(
    r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"  # bold: no "**" inside
    r"|__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__"
    r"|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"
)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])")
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*(?:\([^()]*\)[^()]*)*\)")  # URLs may hold "(...)"
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def inline(text: str) -> str:
    """Markdown inline markup off, words kept."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    text = _ESCAPE.sub(r"\1", text)
    return squeeze(text)


def read_markdown(text: str) -> list[Piece]:
    lines = text.split("\n")
    out: list[Piece] = []
    para: list[str] = []
    para_indent = 0
    table_no = 0
    i = 0

    def flush() -> None:
        nonlocal para
        if para:
            body = inline(" ".join(para))
            if body:
                bullet = BULLET.match(para[0])
                kind = "list_item" if bullet else "paragraph"
                if bullet:
                    body = inline(BULLET.sub("", " ".join(para)))
                bold = _BOLD_LINE.match(squeeze(" ".join(para)))
                out.append(Piece(text=body, kind=kind, indent=para_indent, meta={"bold": "1"} if bold else {}))
        para = []

    while i < len(lines):
        check()
        line = lines[i]
        stripped = line.strip()
        if not stripped or _RULE.match(line):
            flush()
            i += 1
            continue
        if stripped.startswith("```"):
            # Some acts set an article heading in a fenced block, wrapped over lines.
            flush()
            j = i + 1
            body = []
            while j < len(lines) and not lines[j].strip().startswith("```"):
                check()
                body.append(lines[j].strip())
                j += 1
            text_ = squeeze(" ".join(body))
            if text_:
                out.append(Piece(text=text_, meta={"fenced": "1"}))
            i = j + 1
            continue
        if stripped.lower().startswith("<table"):
            flush()
            j = i
            chunk = []
            while j < len(lines):
                check()
                chunk.append(lines[j])
                if "</table>" in lines[j].lower():
                    break
                j += 1
            table_no += 1
            soup = BeautifulSoup("\n".join(chunk), HTML_PARSER)
            table = soup.find("table")
            if table is not None:
                grid, header_rows = html_grid(table)
                out.extend(table_pieces(grid, table_no, None, header_rows))
            i = j + 1
            continue
        m = _HEADING.match(stripped)
        if m:
            flush()
            # closing hashes off ("## Title ##"), done in code: a lazy regex rescans long lines
            title = inline(m.group(2).rstrip().rstrip("#").rstrip())
            if title.strip("_ ").strip():
                out.append(Piece(text=title, kind="heading", level=len(m.group(1))))
            i += 1
            continue
        if stripped.startswith(">"):
            flush()
            quote = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].strip())
                i += 1
            text_ = inline(" ".join(quote))
            if text_:
                out.append(Piece(text=text_, note=True))
            continue
        if para and (BULLET.match(line) or re.match(r"^\s*\d+[.)]\s", line)):
            flush()  # a new list item starts a new block even without a blank line
        if not para:
            para_indent = len(line) - len(line.lstrip(" "))
        para.append(stripped)
        i += 1
    flush()
    return out
