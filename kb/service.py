"""The knowledge base as one object: what the CLI and the API both call.

It owns the settings, the document store, the vector index and the embedder, and
opens the heavy parts (model, index) lazily so that commands which only parse or
list documents start fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from kb.config import Settings, get_settings
from kb.models import (
    Answer,
    AskRequest,
    Document,
    DocumentSummary,
    EntityCount,
    ObligationFilters,
    ObligationRow,
    Page,
    SearchRequest,
    SearchResponse,
)


class KnowledgeBase:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()

    # -- documents ---------------------------------------------------------
    def ingest(self, paths: Iterable[Path], progress: Callable | None = None):
        """Parse, tag, store and index files/folders; returns the pipeline's IngestReport."""
        raise NotImplementedError

    def ingest_upload(self, filename: str, data: bytes) -> Document:
        """Ingest one uploaded file; raises ingest.errors.IngestError on bad input."""
        raise NotImplementedError

    def delete_document(self, doc_id: str) -> bool:
        raise NotImplementedError

    def get_document(self, doc_id: str) -> Document | None:
        raise NotImplementedError

    def list_documents(
        self, offset: int = 0, limit: int = 50, lang: str | None = None, genre: str | None = None
    ) -> Page[DocumentSummary]:
        raise NotImplementedError

    # -- search and answers -----------------------------------------------
    def search(self, req: SearchRequest) -> SearchResponse:
        raise NotImplementedError

    def ask(self, req: AskRequest) -> Answer:
        raise NotImplementedError

    # -- registries ----------------------------------------------------------
    def entity_counts(self, type: str | None = None) -> list[EntityCount]:
        raise NotImplementedError

    def obligations(
        self, filters: ObligationFilters, offset: int = 0, limit: int = 100
    ) -> Page[ObligationRow]:
        raise NotImplementedError

    def health(self) -> dict:
        raise NotImplementedError
