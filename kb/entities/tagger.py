"""The entity tagger: gazetteer names, dates and document references in one pass."""

from __future__ import annotations

import datetime as dt

from kb.entities import keys as K
from kb.entities.dates import find_dates
from kb.entities.doc_refs import find_refs
from kb.entities.matcher import default_matcher
from kb.models import Document, Entity

# Genres whose undated mentions ("июль" in a plan table) refer to the year the document
# is about, so that year carries over from earlier blocks when the document has no date.
_YEAR_CARRYING_GENRES = {"plan", "press_release", "news", "report"}


def _lang_of(text: str, lang: str) -> str:
    return K.mention_lang(text, lang if lang in ("kk", "ru") else "ru")


def extract(
    text: str, lang: str, doc_date: dt.date | None = None, *, year_hint: int | None = None
) -> list[Entity]:
    """Entities in `text` ("kk", "ru" or "mixed"), sorted by start, non-overlapping per type.

    `doc_date` resolves years missing from day-month mentions and deictic words;
    `year_hint` is the year in force before `text` when the document date is unknown.
    """
    if not text or not text.strip():
        return []
    out: list[Entity] = []
    toks = K.tokenize(text)
    for m in default_matcher().find(text, lang, toks):
        s, e = _balance_quotes(text, toks[m.start_tok].start, toks[m.end_tok].end)
        out.append(Entity(type=m.kind, text=text[s:e], start=s, end=e, id=m.id, lang=m.lang))
    for d in find_dates(text, lang, doc_date, year_hint):
        out.append(
            Entity(type="date", text=d.text, start=d.start, end=d.end, value=d.value,
                   lang=_lang_of(d.text, lang), inferred=d.inferred)
        )
    for r in find_refs(text, lang):
        out.append(
            Entity(type="doc_ref", text=r.text, start=r.start, end=r.end, value=r.value,
                   lang=r.lang if lang not in ("kk", "ru") else lang)
        )
    out.sort(key=lambda e: (e.start, e.end, e.type))
    return out


def _balance_quotes(text: str, s: int, e: int) -> tuple[int, int]:
    """Keep «» pairs whole: «Жасыл даму» АҚ, not Жасыл даму» АҚ."""
    span = text[s:e]
    if span.count("»") > span.count("«") and s > 0 and text[s - 1] == "«":
        s -= 1
    elif span.count("«") > span.count("»") and e < len(text) and text[e] == "»":
        e += 1
    return s, e


def _shift(e: Entity, offset: int) -> Entity:
    return e.model_copy(update={"start": e.start + offset, "end": e.end + offset})


def tag_document(doc: Document) -> None:
    """Fill `doc.entities` and every `block.entities`; offsets point into `doc.text`.

    Blocks are tagged one by one so that a name never runs from a heading into the next
    paragraph; a document without blocks is tagged as one text.
    """
    carry = doc.date is None and doc.genre in _YEAR_CARRYING_GENRES
    if not doc.blocks:
        doc.entities = extract(doc.text, doc.lang, doc.date)
        return
    year: int | None = None
    if carry:
        years = [d.explicit_year for d in find_dates(doc.title or "", doc.lang) if d.explicit_year]
        year = years[0] if years else None
    all_ents: list[Entity] = []
    for b in doc.blocks:
        span = doc.text[b.start : b.end]
        if span != b.text and b.text and b.text in doc.text[b.start :]:
            # The block text is a cleaned copy: tag it where it actually occurs.
            start = doc.text.index(b.text, b.start)
            span = b.text
        else:
            start = b.start
        lang = b.lang or doc.lang
        ents = [_shift(e, start) for e in extract(span, lang, doc.date, year_hint=year if carry else None)]
        b.entities = ents
        all_ents.extend(ents)
        if carry:
            explicit = [d.explicit_year for d in find_dates(span, lang) if d.explicit_year]
            if explicit:
                year = explicit[-1]
    all_ents.sort(key=lambda e: (e.start, e.end, e.type))
    doc.entities = all_ents


def entities_for_file(path) -> list[Entity]:
    """Parse a file with the ingestion pipeline and tag it (`kb entities FILE --json`)."""
    from ingest import parse_file  # imported late: ingestion pulls in readers we don't need

    doc = parse_file(path)
    tag_document(doc)
    return doc.entities


def entities_json(path) -> list[dict]:
    """The `kb entities FILE --json` contract: type, text, start, end, id, value, lang."""
    return [
        e.model_dump(include={"type", "text", "start", "end", "id", "value", "lang"})
        for e in entities_for_file(path)
    ]
