"""List questions ("какие сроки", "қандай шаралар", "кімдерге жүктелді") and their members.

A list question is answered with every member of the structure its best candidate sits
in, each cited on its own:

- a table row: every row of the same table (contiguous rows with the same header);
- a list item or its lead-in ("... мынадай жолдармен:"): every item of that lead-in, found
  through the block paths (an item's path extends the lead-in's by one level, e.g.
  "16-тармақ › 1) тармақша"), or, in documents without paths, the run of enumerated lines;
- an obligation record: handled by the answerer (the document's other records that score
  nearly as well), since records are scored and blocks are not.

Cues live in kb/data/answer_lists.yaml.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from importlib import resources

import yaml

from kb.models import Block, Document

# An enumerated line: "1)", "2.", "а)", "-", "•".
_ITEM = re.compile(r"^\s*(?:\d{1,3}(?:-\d{1,3})?[).]|[а-яәa-z]\)|[-–—•])\s*")


@lru_cache
def cues() -> dict:
    with resources.files("kb.data").joinpath("answer_lists.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def max_items() -> int:
    return int(cues().get("max_items", 25))


def is_list_question(question: str) -> bool:
    q = " " + re.sub(r"\s+", " ", re.sub(r"[^\w\s-]", " ", question.lower())).strip() + " "
    data = cues()
    for by_lang in data["cues"].values():
        if any(f" {cue}" in q for cue in by_lang):
            return True
    words = q.split()
    suffixes = tuple(data.get("kk_plural_suffixes", []))
    for i, w in enumerate(words):
        if w in data.get("kk_plural_after", []):
            # Plural suffix, possibly followed by a case ending ("жолдармен", "шараларды").
            for nxt in words[i + 1: i + 3]:
                if any(re.search(f"{s}(?:[а-яәғқңөұүһі]{{0,4}})$", nxt) for s in suffixes):
                    return True
    return False


def _block_index(doc: Document, start: int) -> int | None:
    i = bisect_right([b.start for b in doc.blocks], start) - 1
    if i >= 0 and doc.blocks[i].start <= start < doc.blocks[i].end:
        return i
    return None


def _is_lead(b: Block) -> bool:
    return b.text.rstrip().endswith(":")


def members(doc: Document | None, start: int) -> tuple[Block | None, list[Block]]:
    """(lead-in or None, members) of the table or list holding offset `start`; ([]) when none."""
    if doc is None or not doc.blocks:
        return None, []
    i = _block_index(doc, start)
    if i is None:
        return None, []
    blocks = doc.blocks
    b = blocks[i]
    if b.kind == "table_row":
        lo = hi = i
        while lo > 0 and blocks[lo - 1].kind == "table_row" and blocks[lo - 1].header == b.header:
            lo -= 1
        while hi + 1 < len(blocks) and blocks[hi + 1].kind == "table_row" and blocks[hi + 1].header == b.header:
            hi += 1
        rows = blocks[lo: hi + 1]
        return None, rows if len(rows) > 1 else []
    lead_i = i if _is_lead(b) else None
    if lead_i is None:
        # Walk back to the lead-in this item belongs to (close by: lists are short).
        for j in range(i - 1, max(-1, i - 60), -1):
            cand = blocks[j]
            if _is_lead(cand) and (_child(cand, b) or (not cand.path and _ITEM.match(b.text))):
                lead_i = j
                break
            if not (_child(cand, b) or _sibling(cand, b) or _ITEM.match(cand.text)):
                break
    if lead_i is None:
        return None, []
    lead = blocks[lead_i]
    items = []
    for nxt in blocks[lead_i + 1:]:
        if nxt.kind == "heading":
            break
        if lead.path and (_child(lead, nxt) or (nxt.path == lead.path and not _is_lead(nxt))):
            # A child point, or an unnumbered line of the lead-in's own point ("включает три
            # этапа:" then "сбор данных ...;" in the same "п. 7").
            items.append(nxt)
        elif not lead.path and (_ITEM.match(nxt.text) or nxt.kind == "list_item"):
            items.append(nxt)
        else:
            break
    return lead, items if len(items) > 1 else []


def _child(parent: Block, b: Block) -> bool:
    return bool(parent.path) and len(b.path) > len(parent.path) and b.path[: len(parent.path)] == parent.path


def _sibling(a: Block, b: Block) -> bool:
    """Same point or a sibling sub-point (same parent path)."""
    return bool(a.path) and len(a.path) == len(b.path) and a.path[:-1] == b.path[:-1]
