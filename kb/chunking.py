"""Cut a structured document into retrieval passages that follow its structure.

Why by structure rather than fixed windows: a user's answer is usually one article,
one point or one table row, and the hit must be able to say "Статья 12 › п. 3".
So a passage never crosses the top-level unit it belongs to (an article, a
numbered point of a resolution, a table row); a small unit stays whole; a large
one is cut between its points, and a single over-long block between sentences.
Every passage is a contiguous slice of `Document.text`, so its offsets can be
cited and highlighted as they are.

Each passage also carries a context line (document title, heading path and, for
table rows, the table header) that is embedded with it but not shown as its text:
a row "7 | Проведение второго заседания | 4 квартал 2022 года | МЧС, МЭГПР" means
little without "Сроки исполнения" and the plan's title.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from kb.lang.sentences import boundaries as sentence_boundaries
from kb.models import PATH_SEP, Block, Document, Passage

# Budget for the passage text; the context line and the "passage: " prompt take
# the rest of the model's 512 tokens.
MAX_TOKENS = 380
# Unstructured prose (press releases, news) is grouped into smaller passages so
# that a hit points at the paragraph that answers, not at half the article.
PROSE_TOKENS = 200

_NAMESPACE = uuid.UUID("6f1c2b1e-7d55-4f0e-9a43-2f7c1d8e0b11")


def approx_tokens(text: str) -> int:
    """XLM-R splits Cyrillic legal prose into roughly one token per 3.2 characters."""
    return max(1, int(len(text) / 3.2))


def passage_id(doc_id: str, number: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{doc_id}:{number}"))


def _unit_key(block: Block) -> tuple[str, ...] | None:
    """Blocks with the same key belong to the same top-level unit (article, point, row)."""
    if block.kind == "table_row":
        return ("table", *block.path)
    if block.path:
        return (block.path[0],)
    return None


def _groups(blocks: list[Block]) -> list[list[Block]]:
    """Consecutive blocks of one unit; a heading opens the unit that follows it."""
    groups: list[list[Block]] = []
    pending_headings: list[Block] = []
    current_key: object = object()
    for block in blocks:
        if block.kind == "heading":
            pending_headings.append(block)
            continue
        key = _unit_key(block)
        if pending_headings or key != current_key or key is None or block.kind == "table_row":
            # Unstructured paragraphs (key None) are merged later by size, not by key.
            if key is None and groups and _unit_key(groups[-1][-1]) is None and not pending_headings:
                groups[-1].append(block)
            else:
                groups.append([*pending_headings, block])
            pending_headings = []
            current_key = key
        else:
            groups[-1].append(block)
    if pending_headings:
        groups.append(pending_headings)
    return groups


def _split_long(text: str, start: int, budget: int, count: Callable[[str], int]) -> list[tuple[int, int]]:
    """Cut one over-long block between sentences; returns (start, end) offsets."""
    spans: list[tuple[int, int]] = []
    piece_start = 0
    last_cut = 0
    cuts = [a for a, _ in sentence_boundaries(text, ends=".!?;")] + [len(text)]
    for cut in cuts:
        if count(text[piece_start:cut]) > budget and last_cut > piece_start:
            spans.append((piece_start, last_cut))
            piece_start = last_cut
            while piece_start < len(text) and text[piece_start].isspace():
                piece_start += 1
        last_cut = cut
    spans.append((piece_start, len(text)))
    return [(start + a, start + b) for a, b in spans if text[a:b].strip()]


def _spans(group: list[Block], budget: int, count: Callable[[str], int]) -> list[tuple[int, int, list[Block]]]:
    """Pack a unit's blocks into passages under the budget."""
    out: list[tuple[int, int, list[Block]]] = []
    current: list[Block] = []
    size = 0
    for block in group:
        n = count(block.text)
        if n > budget:
            # Headings just before an over-long block open its first piece rather
            # than stand alone as a passage that says nothing but "Статья 12".
            headings = current if current and all(b.kind == "heading" for b in current) else []
            if current and not headings:
                out.append((current[0].start, current[-1].end, current))
            current, size = [], 0
            head_tokens = sum(count(h.text) for h in headings)
            pieces = _split_long(block.text, block.start, max(budget - head_tokens, budget // 2), count)
            for i, (a, b) in enumerate(pieces):
                if i == 0 and headings:
                    out.append((headings[0].start, b, [*headings, block]))
                else:
                    out.append((a, b, [block]))
            continue
        if current and size + n > budget and current[-1].kind != "heading":
            out.append((current[0].start, current[-1].end, current))
            current, size = [], 0
        current.append(block)
        size += n
    if current:
        out.append((current[0].start, current[-1].end, current))
    return out


def _path_of(blocks: list[Block]) -> list[str]:
    """The deepest path shared by the passage's non-heading blocks."""
    paths = [b.path for b in blocks if b.kind != "heading" and b.path] or [b.path for b in blocks if b.path]
    if not paths:
        return []
    common = paths[0]
    for p in paths[1:]:
        n = 0
        while n < min(len(common), len(p)) and common[n] == p[n]:
            n += 1
        common = common[:n]
    return list(common)


def chunk_document(doc: Document, count: Callable[[str], int] = approx_tokens) -> list[Passage]:
    passages: list[Passage] = []
    for group in _groups(doc.blocks):
        structured = any(_unit_key(b) is not None for b in group)
        budget = MAX_TOKENS if structured else PROSE_TOKENS
        for start, end, blocks in _spans(group, budget, count):
            text = doc.text[start:end]
            if not text.strip():
                continue
            path = _path_of(blocks)
            context_parts = [doc.title]
            if path:
                context_parts.append(PATH_SEP.join(path))
            header = next((b.header for b in blocks if b.header), None)
            if header:
                context_parts.append(" | ".join(header))
            langs = {b.lang for b in blocks}
            number = len(passages)
            passages.append(
                Passage(
                    id=passage_id(doc.id, number),
                    doc_id=doc.id,
                    number=number,
                    text=text,
                    context="\n".join(p for p in context_parts if p),
                    block_path=PATH_SEP.join(path),
                    page=next((b.page for b in blocks if b.page is not None), None),
                    start=start,
                    end=end,
                    lang=langs.pop() if len(langs) == 1 else doc.lang,
                    entities=[e for e in doc.entities if e.start >= start and e.end <= end],
                )
            )
    return passages
