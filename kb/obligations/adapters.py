"""The parser and entity tagger this package builds on, in one place (owned by ingest/ and kb.entities)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest import parse_file as _parse_file
from kb.entities import extract as _extract
from kb.entities import tag_document
from kb.models import Document, Entity


def parse_file(path: str | Path) -> Document:
    return _parse_file(path)


def tag(doc: Document) -> Document:
    """Entities (agencies, conventions, dates) on the document and its blocks."""
    tag_document(doc)
    return doc


def date_entities(text: str, lang: str, doc_date: dt.date | None) -> list[Entity]:
    """Date entities of a short text (a deadline phrase)."""
    return [e for e in _extract(text, lang, doc_date) if e.type == "date"]
