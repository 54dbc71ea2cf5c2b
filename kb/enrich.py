"""What a parsed document gets before it is stored: entity tags and obligations.

Kept apart from kb.service so that a worker process (kb.parse_pool.UploadWorker) can run
them without importing the service, its models and its index."""

from __future__ import annotations

from ingest.models import Document


def tag_entities(doc: Document) -> None:
    from kb.entities import tag_document

    tag_document(doc)


def extract_obligations(doc: Document) -> None:
    from kb.obligations import extract

    doc.obligations = extract(doc)


ENRICHERS = (tag_entities, extract_obligations)
