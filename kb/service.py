"""The knowledge base as one object: what the CLI and the API both call.

It owns the settings, the document store, the vector index and the embedder, and
opens the heavy parts (model, index) lazily so that commands which only parse or
list documents start fast. Ingestion is serialised by a lock: the embedded index
is one directory that one writer at a time may change.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from kb.config import Settings, get_settings
from kb.models import (
    Answer,
    AskRequest,
    Document,
    DocumentSummary,
    Entity,
    EntityCount,
    ObligationFilters,
    ObligationRow,
    Page,
    SearchRequest,
    SearchResponse,
)
from kb.pipeline import Hooks, IngestReport, Progress, ingest_paths, remove_document, store_document
from kb.store import DocStore, summarize


def tag_entities(doc: Document) -> None:
    from kb.entities import tag_document

    tag_document(doc)


def extract_obligations(doc: Document) -> None:
    from kb.obligations import extract

    doc.obligations = extract(doc)


class KnowledgeBase:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.docs = DocStore(self.settings)
        self._lock = threading.RLock()
        # Hits and answers read entities and tables from stored documents; keep the
        # recently used ones parsed (bounded: a large knowledge base must not live in memory).
        self._doc_cache: OrderedDict[str, Document] = OrderedDict()
        self._reconciled = False

    # -- heavy parts, opened on first use -----------------------------------
    @cached_property
    def embedder(self):
        from kb.embeddings import ensure_model, get_embedder

        ensure_model(self.settings)
        return get_embedder(self.settings)

    @cached_property
    def index(self):
        from kb.index import open_store

        return open_store(self.settings)

    @cached_property
    def indexer(self):
        from kb.indexer import Indexer

        return Indexer(self.index, self.embedder, self.settings.embed_batch_size)

    @cached_property
    def retriever(self):
        from kb.retrieval import Retriever

        self.reconcile()
        return Retriever(self.index, self.embedder, entities_for=self._entities_in)

    @cached_property
    def answerer(self):
        from kb.answers import Answerer

        return Answerer(
            self.retriever, self.embedder, obligations_for=self._obligations_of, documents=self.get_document
        )

    @property
    def hooks(self) -> Hooks:
        return Hooks(
            enrichers=[tag_entities, extract_obligations],
            on_stored=[self.indexer.index_document, self._forget],
            on_removed=[self.indexer.remove_document, self._forget],
        )

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
            del self.__dict__["index"]
            for name in ("indexer", "retriever", "answerer"):
                self.__dict__.pop(name, None)

    # -- documents ---------------------------------------------------------
    def reconcile(self) -> tuple[int, int]:
        """Repair the index after a crash between the store and the index (see kb.indexer)."""
        with self._lock:
            if self._reconciled:
                return 0, 0
            result = self.indexer.reconcile(self.docs.ids(), self.docs.get)
            self._reconciled = True
            if any(result):
                self.index.flush()
            return result

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None, force: bool = False) -> IngestReport:
        """Parse, tag, store and index files/folders."""
        with self._lock:
            self.reconcile()
            report = ingest_paths(paths, self.settings, progress=progress, hooks=self.hooks, force=force)
            changed = report.count("added") + report.count("updated")
            if changed:
                self.index.flush()
            # optimize() rebuilds HNSW over the whole shard and holds the GIL (minutes at
            # 100k passages): worth it after a bulk load, not after one or two files, whose
            # small new segments are searched exactly anyway.
            if changed >= OPTIMIZE_AFTER_DOCS:
                self.index.optimize()
            return report

    def ingest_upload(self, filename: str, data: bytes) -> tuple[DocumentSummary, str]:
        """Ingest one uploaded file: (summary, status). Raises IngestError on bad input."""
        from ingest import parse_bytes

        doc = parse_bytes(data, filename, self.settings.ingest_options(), source=f"upload:{Path(filename).name}")
        with self._lock:
            self.reconcile()
            result = store_document(doc, self.docs, self.hooks)
            self.index.flush()
        if result.status == "failed":
            raise RuntimeError(result.reason or "ingestion failed")
        return summarize(doc), result.status

    def delete_document(self, doc_id: str) -> bool:
        with self._lock:
            hooks = self.hooks
            removed = remove_document(doc_id, self.settings, hooks)
            if removed:
                self.index.flush()
            return removed

    def get_document(self, doc_id: str) -> Document | None:
        doc = self._doc_cache.get(doc_id)
        if doc is not None:
            self._doc_cache.move_to_end(doc_id)
            return doc
        doc = self.docs.get(doc_id)
        if doc is not None:
            self._doc_cache[doc_id] = doc
            if len(self._doc_cache) > DOC_CACHE_SIZE:
                self._doc_cache.popitem(last=False)
        return doc

    def _forget(self, doc: Document | str) -> None:
        self._doc_cache.pop(doc if isinstance(doc, str) else doc.id, None)
        self.__dict__.pop("_entity_counts", None)

    def list_documents(
        self, offset: int = 0, limit: int = 50, lang: str | None = None, genre: str | None = None
    ) -> Page[DocumentSummary]:
        items = [
            s for s in self.docs.list()
            if (lang is None or s.lang == lang) and (genre is None or s.genre == genre)
        ]
        items.sort(key=lambda s: (s.source,))
        return Page[DocumentSummary](total=len(items), offset=offset, limit=limit, items=items[offset: offset + limit])

    def _entities_in(self, doc_id: str, start: int, end: int) -> list[Entity]:
        doc = self.get_document(doc_id)
        return [e for e in doc.entities if e.start >= start and e.end <= end] if doc else []

    def _obligations_of(self, doc_id: str):
        doc = self.get_document(doc_id)
        return doc.obligations if doc else []

    # -- search and answers -----------------------------------------------
    def search(self, req: SearchRequest) -> SearchResponse:
        return self.retriever.search(req)

    def ask(self, req: AskRequest) -> Answer:
        if self.settings.llm_url:
            from kb.generator import generate_answer

            hits = self.answerer.retrieve(req)
            return generate_answer(req.question, hits, self.settings, fallback=lambda: self.answerer.ask(req))
        return self.answerer.ask(req)

    # -- registries ----------------------------------------------------------
    @cached_property
    def _entity_counts(self) -> list[EntityCount]:
        from kb.entities import gazetteer

        gaz = gazetteer()
        mentions: Counter[str] = Counter()
        documents: Counter[str] = Counter()
        types: dict[str, str] = {}
        for summary in self.docs.list():
            doc = self.get_document(summary.id)
            if doc is None:
                continue
            ids = set()
            for e in doc.entities:
                if e.id and e.type in ("convention", "agency"):
                    mentions[e.id] += 1
                    types[e.id] = e.type
                    ids.add(e.id)
            documents.update(ids)
        out = []
        for eid, n in mentions.most_common():
            entry = gaz.get(eid)
            # Gazetteer names are alias lists per language; the first is the canonical name.
            names = {lang: v[0] for lang, v in entry.names.model_dump().items() if v} if entry else {}
            out.append(EntityCount(id=eid, type=types[eid], names=names, mentions=n, documents=documents[eid]))
        return out

    def entity_counts(self, type: str | None = None) -> list[EntityCount]:
        return [e for e in self._entity_counts if type is None or e.type == type]

    def obligation_rows(self, filters: ObligationFilters) -> list[ObligationRow]:
        from kb.obligations import filter_obligations

        rows: list[ObligationRow] = []
        for summary in sorted(self.docs.list(), key=lambda s: s.source):
            if filters.doc_id and summary.id != filters.doc_id:
                continue
            doc = self.get_document(summary.id)
            if doc is None:
                continue
            kept = filter_obligations(
                doc.obligations, actor=filters.actor, convention=filters.convention,
                deadline_from=filters.deadline_from, deadline_to=filters.deadline_to, lang=filters.lang,
            )
            rows.extend(
                ObligationRow(**ob.model_dump(), doc_id=doc.id, source=doc.source, title=doc.title) for ob in kept
            )
        return rows

    def obligations(self, filters: ObligationFilters, offset: int = 0, limit: int = 100) -> Page[ObligationRow]:
        rows = self.obligation_rows(filters)
        return Page[ObligationRow](total=len(rows), offset=offset, limit=limit, items=rows[offset: offset + limit])

    def health(self) -> dict:
        status = {"status": "ok", "documents": len(self.docs), "data_dir": str(self.settings.data_dir)}
        status["index"] = "server " + self.settings.qdrant_url if self.settings.qdrant_url else "embedded"
        try:
            status["passages"] = self.index.count()
        except Exception as e:  # the health check reports, it does not fail
            status.update(status="degraded", error=str(e))
        status["model"] = str(self.settings.model_dir)
        status["model_loaded"] = "embedder" in self.__dict__
        return status


OPTIMIZE_AFTER_DOCS = 10
DOC_CACHE_SIZE = 256
