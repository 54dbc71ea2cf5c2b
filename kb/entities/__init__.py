"""Entity tagging: conventions, agencies, dates and document references (kk/ru).

Public API:
    extract(text, lang, doc_date=None) -> list[Entity]
    tag_document(doc) -> None
    gazetteer() -> Gazetteer
    entities_for_file(path) -> list[Entity]
"""

from kb.entities.gazetteer import Entry, Gazetteer, GazetteerError, gazetteer, load_gazetteer
from kb.entities.tagger import entities_for_file, entities_json, extract, tag_document

__all__ = [
    "Entry",
    "Gazetteer",
    "GazetteerError",
    "entities_for_file",
    "entities_json",
    "extract",
    "gazetteer",
    "load_gazetteer",
    "tag_document",
]
