"""The tagger as a spaCy pipeline component: `nlp.add_pipe("kb_entities")`.

Sets `doc._.kb_entities` (list[Entity], offsets into `doc.text`) and, where the mentions
align with token boundaries, `doc.spans["kb_entities"]` labelled with the entity type. The
component calls `extract`, which works on characters, so it runs on any tokenizer's Doc
(a blank "kk" or "ru" pipeline or the Kazakh Language subclass from kb.lang).
"""

from __future__ import annotations

import datetime as dt

from spacy.language import Language
from spacy.tokens import Doc

from kb.entities.tagger import extract

# force=True: re-importing (tests, reloads) must not fail on an existing extension.
Doc.set_extension("kb_entities", default=None, force=True)


class EntityComponent:
    def __init__(self, lang: str | None = None, doc_date: str | None = None):
        self.lang = lang
        self.doc_date = dt.date.fromisoformat(doc_date) if doc_date else None

    def __call__(self, doc: Doc) -> Doc:
        lang = self.lang or doc.lang_ or "mixed"
        ents = extract(doc.text, lang if lang in ("kk", "ru") else "mixed", self.doc_date)
        doc._.kb_entities = ents
        spans = []
        for e in ents:
            span = doc.char_span(e.start, e.end, label=e.type, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans["kb_entities"] = spans
        return doc


@Language.factory("kb_entities", default_config={"lang": None, "doc_date": None})
def make_entity_component(nlp: Language, name: str, lang: str | None, doc_date: str | None):
    return EntityComponent(lang, doc_date)


def entity_pipeline(lang: str) -> Language:
    """A blank spaCy pipeline for `lang` ("kk" or "ru") with the entity component."""
    import spacy

    import kb.lang.kazakh  # noqa: F401  (registers spacy.blank("kk"))

    nlp = spacy.blank(lang)
    nlp.add_pipe("kb_entities", config={"lang": lang})
    return nlp
