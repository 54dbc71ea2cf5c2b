"""Pieces to the clean text and its Blocks, with numbering paths and offsets.

The path of a block is where it sits in the document's numbering: the heading
divisions it is under (Раздел/Глава/Статья, -бөлім/-тарау/-бап, Приложение) and
the numbered points it belongs to (п. 3, пп. 2) / 3-тармақ, 2) тармақша), or a
table and row ("Table 1", "row 4").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.budget import check
from ingest.data import load
from ingest.models import Block
from ingest.pieces import Piece

# An unnumbered heading sits below chapters and above articles.
UNNUMBERED_LEVEL = 3.5
POINT_LEVEL = 5  # numbering.yaml's level for "1." points; subpoints are deeper
HEADING_TEXT_MAX = 60


@dataclass(frozen=True)
class Rule:
    level: float
    pattern: re.Pattern
    label: str
    label_kk: str


@lru_cache(maxsize=1)
def rules() -> dict:
    raw = load("numbering.yaml")

    def compile_(items):
        return [
            Rule(
                float(r["level"]),
                re.compile(r["pattern"], re.I),
                r["label"],
                r.get("label_kk", r["label"]),
            )
            for r in items
        ]

    app = raw["appendix"]
    return {
        "headings": compile_(raw["headings"]),
        "items": compile_(raw["items"]),
        "appendix": [re.compile(p, re.I) for p in app["patterns"]],
        "appendix_max": int(app["max_chars"]),
        "appendix_label": (app["label"], app.get("label_kk", app["label"])),
        "table": raw["table"],
        "row": raw["row"],
    }


def _label(rule: Rule, m: re.Match, lang: str) -> str:
    fmt = rule.label_kk if lang == "kk" else rule.label
    return fmt.format(n=m.groupdict().get("n") or "").strip()


def heading_number(text: str, lang: str, *, is_heading: bool) -> tuple[float, str] | None:
    """(level, label) when the text opens with a numbered division ("Статья 305. ...")."""
    for rule in rules()["headings"]:
        m = rule.pattern.match(text)
        if not m:
            continue
        rest = text[m.end():]
        # "Статья 12 настоящего Закона ..." in running text is a reference, not a heading.
        if is_heading or not rest.strip() or rest.lstrip().startswith((".", ":")):
            return rule.level, _label(rule, m, lang)
    return None


def item_number(text: str, lang: str) -> tuple[float, str] | None:
    for rule in rules()["items"]:
        m = rule.pattern.match(text)
        if m:
            return rule.level, _label(rule, m, lang)
    return None


def is_appendix_opener(text: str) -> bool:
    r = rules()
    if len(text) > r["appendix_max"]:
        return False
    return any(p.search(text) for p in r["appendix"])


def _short(text: str) -> str:
    text = text.strip()
    if len(text) <= HEADING_TEXT_MAX:
        return text
    cut = text[:HEADING_TEXT_MAX].rsplit(" ", 1)[0]
    return cut + "…"


def build(
    pieces: list[Piece], lang: str, title_index: int | None
) -> tuple[str, list[Block]]:
    """The clean text and its blocks (offsets into it). A block with no language
    evidence of its own (numbers, a name) gets the document's language `lang`."""
    r = rules()
    stack: list[tuple[float, str]] = []
    after_appendix = False
    rows_in_table: dict[int, int] = {}
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    prev_table: int | None = None

    for idx, p in enumerate(pieces):
        check()
        text = p.text.strip()
        if not text:
            continue
        kind = p.kind
        path: list[str]
        if kind == "table_row":
            assert p.table is not None
            rows_in_table[p.table] = rows_in_table.get(p.table, 0) + 1
            base = [label for level, label in stack]
            path = base + [r["table"].format(n=p.table), r["row"].format(n=rows_in_table[p.table])]
        elif title_index is not None and idx <= title_index and kind == "heading" or idx == title_index:
            # the title and the lines above it (issuing body, meeting) head the whole document
            path = []
            kind = "heading"
        else:
            numbered = None
            if not p.note and kind in ("heading", "paragraph"):
                numbered = heading_number(
                    text, lang,
                    is_heading=kind == "heading" or bool(p.meta.get("bold") or p.meta.get("fenced")),
                )
            if p.note and is_appendix_opener(text) or (numbered and numbered[0] == 0):
                label = numbered[1] if numbered else r["appendix_label"][1 if lang == "kk" else 0]
                stack = [(0, label)]
                after_appendix = True
                path = [label]
                if numbered:
                    kind = "heading"
            elif numbered:
                level, label = numbered
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, label))
                kind = "heading"
                path = [lbl for _, lbl in stack]
                after_appendix = False
            elif kind == "heading":
                if not after_appendix:
                    while stack and stack[-1][0] >= UNNUMBERED_LEVEL:
                        stack.pop()
                    stack.append((UNNUMBERED_LEVEL, _short(text)))
                after_appendix = False
                path = [lbl for _, lbl in stack]
            else:
                item = item_number(text, lang) if not p.note else None
                if item:
                    level, label = item
                    while stack and stack[-1][0] >= level:
                        stack.pop()
                    stack.append((level, label))
                elif p.meta.get("bold"):
                    while stack and stack[-1][0] >= POINT_LEVEL:
                        stack.pop()  # a bold line after the points is the signature block
                elif not p.note and p.indent == 0 and stack and stack[-1][0] > POINT_LEVEL:
                    stack.pop()  # unindented text after subpoints belongs to the point
                path = [lbl for _, lbl in stack]
                after_appendix = after_appendix and p.note
        sep = "\n" if (kind == "table_row" and prev_table == p.table and parts) else "\n\n"
        if parts:
            parts.append(sep)
            pos += len(sep)
        start = pos
        parts.append(text)
        pos += len(text)
        prev_table = p.table if kind == "table_row" else None
        blocks.append(
            Block(
                index=len(blocks),
                kind=kind,  # type: ignore[arg-type]
                text=text,
                path=path,
                start=start,
                end=pos,
                page=p.page,
                lang=(p.lang or lang),  # type: ignore[arg-type]
                cells=p.cells if kind == "table_row" else None,
                header=p.header if kind == "table_row" else None,
                anchor=p.anchor,
                ocr=p.ocr,
            )
        )
    return "".join(parts), blocks
