"""HTML pages: the content's headings, paragraphs, list items and tables, without page chrome."""

from __future__ import annotations

import datetime as dt

from bs4 import BeautifulSoup, NavigableString, Tag

from ingest.budget import check
from ingest.clean import squeeze
from ingest.pieces import Piece
from ingest.read_text import table_pieces
from ingest.tables import HTML_PARSER, html_grid

CHROME = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
          "button", "iframe", "svg", "select"]
BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "dd", "dt", "figcaption",
          "address", "center", "td", "th", "body"}
HEADINGS = {f"h{i}": i for i in range(1, 7)}
_LOOKED_UP = {"title", "meta", "time", "body", *CHROME}  # read_html's one pass collects these
# Blocks nested deeper than this are read as one paragraph each: real pages nest a few
# dozen levels; hostile ones nest thousands (and recursion has a limit).
MAX_DEPTH = 100


def read_html(text: str) -> tuple[list[Piece], dict[str, str]]:
    """Pieces in reading order, and what the page's head says (title, date)."""
    soup = BeautifulSoup(text, HTML_PARSER)
    # one pass over the tree for every tag looked up by name (bs4's find_all matches each
    # tag against its filter: five searches cost more than parsing a 6 MB page)
    found: dict[str, list[Tag]] = {}
    chrome: list[Tag] = []  # in document order, as soup(CHROME) lists them
    for el in soup.descendants:
        if isinstance(el, Tag) and el.name in _LOOKED_UP:
            found.setdefault(el.name, []).append(el)
            if el.name in CHROME:
                chrome.append(el)
    meta: dict[str, str] = {}
    title = (found.get("title") or [None])[0]
    if title is not None and title.string:
        meta["html_title"] = squeeze(title.string)
    for tag in found.get("meta", []):
        key = (tag.get("name") or tag.get("property") or "").lower()
        if key in ("date", "dc.date", "article:published_time", "pubdate") and tag.get("content"):
            meta.setdefault("html_date", tag["content"][:10])
    time_tag = next((t for t in found.get("time", []) if t.get("datetime") is not None), None)
    if time_tag is not None:
        meta.setdefault("html_date", str(time_tag["datetime"])[:10])
    if "html_date" in meta:
        try:
            dt.date.fromisoformat(meta["html_date"])
        except ValueError:
            del meta["html_date"]
    for tag in chrome:
        tag.decompose()
    root = next((b for b in found.get("body", []) if not b.decomposed), soup)
    out: list[Piece] = []
    state = {"table": 0}
    _walk(root, out, state)
    return out, meta


def _walk(node: Tag, out: list[Piece], state: dict, depth: int = 0) -> None:
    inline: list[str] = []

    def flush(kind: str = "paragraph") -> None:
        text = squeeze("".join(inline))
        inline.clear()
        if text:
            out.append(Piece(text=text, kind=kind))  # type: ignore[arg-type]

    for child in node.children:
        check()
        if isinstance(child, NavigableString):
            if child.__class__.__name__ in ("Comment", "Doctype", "Declaration"):
                continue
            inline.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name == "br":
            flush()
        elif name in HEADINGS:
            flush()
            text = squeeze(child.get_text(" "))
            if text:
                out.append(Piece(text=text, kind="heading", level=HEADINGS[name]))
        elif name == "table":
            flush()
            state["table"] += 1
            grid, header_rows = html_grid(child)
            out.extend(table_pieces(grid, state["table"], None, header_rows))
        elif name in ("ul", "ol"):
            flush()
            _list(child, out, state, depth)
        elif name in BLOCKS or name == "li":
            flush()
            if depth >= MAX_DEPTH:
                inline.append(child.get_text(" "))
                flush()
            else:
                _walk(child, out, state, depth + 1)
        else:
            inline.append(child.get_text(" "))
    flush()


def _list(node: Tag, out: list[Piece], state: dict, depth: int) -> None:
    """A <ul>/<ol>: one item per <li>, the lists nested in an item after it. (Read in
    place: detaching nested lists from the tree costs their depth each time.)"""
    for li in node.find_all("li", recursive=False):
        check()
        nested = [c for c in li.children if isinstance(c, Tag) and c.name in ("ul", "ol")]
        own = [c for c in li.children if not (isinstance(c, Tag) and c.name in ("ul", "ol"))]
        text = squeeze(" ".join(_text(c) for c in own))
        if text:
            out.append(Piece(text=text, kind="list_item"))
        for n in nested:
            if depth >= MAX_DEPTH:
                text = squeeze(n.get_text(" "))
                if text:
                    out.append(Piece(text=text, kind="list_item"))
            else:
                _list(n, out, state, depth + 1)


def _text(node) -> str:
    if isinstance(node, Tag):
        return node.get_text(" ")
    if node.__class__.__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction"):
        return ""
    return str(node)
