"""HTML pages: the content's headings, paragraphs, list items and tables, without page chrome."""

from __future__ import annotations

import datetime as dt

from bs4 import BeautifulSoup, NavigableString, Tag

from ingest.clean import squeeze
from ingest.pieces import Piece
from ingest.read_text import table_pieces
from ingest.tables import html_grid

CHROME = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
          "button", "iframe", "svg", "select"]
BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "dd", "dt", "figcaption",
          "address", "center", "td", "th", "body"}
HEADINGS = {f"h{i}": i for i in range(1, 7)}


def read_html(text: str) -> tuple[list[Piece], dict[str, str]]:
    """Pieces in reading order, and what the page's head says (title, date)."""
    soup = BeautifulSoup(text, "html.parser")
    meta: dict[str, str] = {}
    if soup.title and soup.title.string:
        meta["html_title"] = squeeze(soup.title.string)
    for tag in soup.find_all("meta"):
        key = (tag.get("name") or tag.get("property") or "").lower()
        if key in ("date", "dc.date", "article:published_time", "pubdate") and tag.get("content"):
            meta.setdefault("html_date", tag["content"][:10])
    time_tag = soup.find("time", attrs={"datetime": True})
    if time_tag is not None:
        meta.setdefault("html_date", str(time_tag["datetime"])[:10])
    if "html_date" in meta:
        try:
            dt.date.fromisoformat(meta["html_date"])
        except ValueError:
            del meta["html_date"]
    for tag in soup(CHROME):
        tag.decompose()
    root = soup.body or soup
    out: list[Piece] = []
    state = {"table": 0}
    _walk(root, out, state)
    return out, meta


def _walk(node: Tag, out: list[Piece], state: dict) -> None:
    inline: list[str] = []

    def flush(kind: str = "paragraph") -> None:
        text = squeeze("".join(inline))
        inline.clear()
        if text:
            out.append(Piece(text=text, kind=kind))  # type: ignore[arg-type]

    for child in node.children:
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
            for li in child.find_all("li", recursive=False):
                nested = li.find_all(["ul", "ol"], recursive=False)
                for n in nested:
                    n.extract()
                text = squeeze(li.get_text(" "))
                if text:
                    out.append(Piece(text=text, kind="list_item"))
                for n in nested:
                    _walk(_wrap(n), out, state)
        elif name in BLOCKS or name == "li":
            flush()
            _walk(child, out, state)
        else:
            inline.append(child.get_text(" "))
    flush()


def _wrap(tag: Tag) -> Tag:
    soup = BeautifulSoup("<div></div>", "html.parser")
    soup.div.append(tag)
    return soup.div
