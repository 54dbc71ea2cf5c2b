"""The knowledge base as one object: what the CLI and the API both call.

It owns the settings, the document store, the vector index and the embedder, and
opens the heavy parts (model, index) lazily so that commands which only parse or
list documents start fast.

Concurrency: reads (search, answers, lists, documents) take no service-wide lock
and run in parallel; the vector index and the document store are safe for that.
Writes (ingest, upload, delete) are serialised by one writer lock, so a slow
ingestion never stalls a search. Ingestion embeds with its own copy of the model,
and the query-side model is shared behind a short lock: a tokenizer must not be
driven by two threads at once.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import replace
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from kb.config import Settings, get_settings
from kb.models import (
    Act,
    ActFilters,
    ActSort,
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
from kb.enrich import ENRICHERS, extract_obligations, tag_entities  # noqa: F401  (re-exported)
from kb.pipeline import Hooks, IngestReport, Progress, ingest_paths, remove_document, store_document
from kb.store import DocStore, summarize


def agency_of(issuer: str, lang: str) -> str | None:
    """The gazetteer's agency id for an issuing body as stated, when it links."""
    from kb.entities import extract

    return next((e.id for e in extract(issuer, lang if lang in ("kk", "ru") else "ru")
                 if e.type == "agency" and e.id), None)


WARM_UP_QUERIES = ("охрана окружающей среды", "қоршаған ортаны қорғау")


class LockedEmbedder:
    """The query-side Embedder, shared by request threads.

    At most `inner.concurrency` model calls run at a time (one per inference stream; a
    backend that cannot run two gets one). Queries wait in one line, and whichever waiting
    thread gets a free stream embeds the next `max_batch` of them in one call (group
    commit: a batch costs little more per query than one query alone), then hands each
    its vector. Batches are capped so that under a burst the first searches go on to the
    index while later ones are still embedded: one uncapped batch of 38 queries kept
    every search waiting ~0.3 s and then sent them to the index all at once."""

    max_batch = 8

    def __init__(self, inner):
        self._inner = inner
        self._free = max(1, getattr(inner, "concurrency", 1))  # streams not running a call
        self._line = threading.Condition()  # guards _free and _pending
        self._pending: list[tuple[str, Future]] = []

    @contextmanager
    def _stream(self):
        with self._line:
            while not self._free:
                self._line.wait()
            self._free -= 1
        try:
            yield
        finally:
            with self._line:
                self._free += 1
                self._line.notify_all()

    def encode_queries(self, texts):
        if len(texts) != 1:
            with self._stream():
                return self._inner.encode_queries(texts)
        mine: Future = Future()
        with self._line:
            self._pending.append((texts[0], mine))
            # A waiter leaves as soon as its vector is there (embedded by another thread's
            # batch), without waiting for a free stream just to find that out; with its
            # query in another thread's batch and none left in line, it waits for that batch.
            while not mine.done():
                if not (self._free and self._pending):
                    self._line.wait()
                    continue
                batch = self._pending[: self.max_batch]
                del self._pending[: len(batch)]
                self._free -= 1
                self._line.release()
                try:
                    self._embed(batch)
                finally:
                    self._line.acquire()
                    self._free += 1
                    self._line.notify_all()
        return np.asarray([mine.result()])

    def _embed(self, batch: list[tuple[str, Future]]) -> None:
        try:
            vectors = self._inner.encode_queries([text for text, _ in batch])
        except BaseException as exc:  # every waiter gets the failure, none hangs
            for _, fut in batch:
                fut.set_exception(exc)
        else:
            for (_, fut), vec in zip(batch, vectors):
                fut.set_result(vec)

    def encode_passages(self, texts, *args, **kwargs):
        with self._stream():
            return self._inner.encode_passages(texts, *args, **kwargs)

    def count_tokens(self, text):
        return self._inner.count_tokens(text)

    def __getattr__(self, name):
        return getattr(self._inner, name)


_locked_embedders: dict[object, LockedEmbedder] = {}
_locked_lock = threading.Lock()


def _locked(settings: Settings, role: str) -> LockedEmbedder:
    """The process-wide model for `role` behind one lock, whichever knowledge base asks (see
    kb.embeddings.get_embedder): two wrappers with two locks would drive one model at once."""
    from kb.embeddings import get_embedder

    inner = get_embedder(settings, role=role)  # kept alive by its cache: a safe key
    with _locked_lock:
        if inner not in _locked_embedders:
            _locked_embedders[inner] = LockedEmbedder(inner)
        return _locked_embedders[inner]


class KnowledgeBase:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.docs = DocStore(self.settings)
        self._lock = threading.RLock()  # the writer lock: one ingest/upload/delete at a time
        self._open_lock = threading.RLock()  # lazy opening of the heavy parts
        self._cache_lock = threading.Lock()
        # Hits and answers read entities and tables from stored documents; keep the
        # recently used ones parsed (bounded: a large knowledge base must not live in memory).
        self._doc_cache: OrderedDict[str, Document] = OrderedDict()
        self._reconciled = False

    # -- heavy parts, opened on first use -----------------------------------
    def _opened(self, name: str, make):
        """A heavy part, made once even when many request threads ask for it at the same time."""
        value = self.__dict__.get(name)
        if value is None:
            with self._open_lock:
                value = self.__dict__.get(name)
                if value is None:
                    value = self.__dict__[name] = make()
        return value

    @property
    def embedder(self):
        """The query-side model (shared by request threads)."""
        return self._opened("embedder", lambda: _locked(self.settings, "query"))

    @property
    def ingest_embedder(self):
        """Ingestion's own model (one per process), so that embedding a large upload never holds
        the query-side model: searches keep their latency while files are ingested."""
        return self._opened("ingest_embedder", lambda: _locked(self.settings, "ingest"))

    @property
    def index(self):
        from kb.index import open_store

        return self._opened("index", lambda: open_store(self.settings))

    @property
    def indexer(self):
        from kb.indexer import Indexer

        return self._opened(
            "indexer",
            lambda: Indexer(
                self.index, self.ingest_embedder, self.settings.embed_batch_size, act_of=self.acts.act_of,
                act_fields=self.acts.payload_fields,
            ),
        )

    @property
    def acts(self):
        from kb.acts.store import ActStore

        return self._opened("acts", lambda: ActStore(self.docs, issuer_id=agency_of))

    @property
    def retriever(self):
        from kb.retrieval import Retriever

        def make():
            self.reconcile()
            return Retriever(self.index, self.embedder, entities_for=self._entities_in,
                             other_pool_weight=self.settings.other_lang_weight,
                             other_pool_top=self.settings.other_lang_top)

        return self._opened("retriever", make)

    @property
    def answerer(self):
        from kb.answers import Answerer

        def make():
            answerer = Answerer(
                self.retriever, self.embedder, obligations_for=self._obligations_of, documents=self.get_document,
                id_for_source=self.docs.id_for_source, stored_vectors=self.answer_vectors,
            )
            # Documents stored before candidate vectors were kept at ingest get them in the
            # background; until then their candidates are embedded when a question needs them.
            self.answer_vectors.start_backfill(self.docs.ids, self.get_document, nice=self.settings.writer_nice)
            return answerer

        return self._opened("answerer", make)

    @property
    def answer_vectors(self):
        """Vectors of every answer candidate, computed at ingest (kb/answer_vectors.py)."""
        from kb.answer_vectors import AnswerVectors

        def make():
            from kb.answers import Answerer
            from kb.chunking import chunk_document

            def texts_of(doc: Document) -> list[str]:
                passages = chunk_document(doc, count=self.ingest_embedder.count_tokens)
                return Answerer.candidate_texts(doc, passages)

            return AnswerVectors(self.docs.engine, self.ingest_embedder, texts_of,
                                 batch_size=self.settings.embed_batch_size)

        return self._opened("answer_vectors", make)

    def _store_answer_vectors(self, doc: Document) -> None:
        self.answer_vectors.add(doc)

    @property
    def keys(self):
        from kb.keys import KeyStore

        return self._opened("keys", lambda: KeyStore(self.settings))

    @property
    def jobs(self):
        from kb.jobs import JobRunner

        return self._opened("jobs", lambda: JobRunner(self))

    def warm_up(self) -> None:
        """Open the index, load the query model and run a search in each language now (a server
        does this before its first request): the language models, dictionaries and the first
        inference load once here, not while the first users' searches wait for them."""
        self.retriever
        self.answerer
        for q in WARM_UP_QUERIES:
            self.search(SearchRequest(q=q, top_k=1))

    @property
    def hooks(self) -> Hooks:
        return Hooks(
            enrichers=[tag_entities, extract_obligations],
            before_store=[self.acts.conflict],
            # the act first: the indexer writes the act id into every passage
            on_stored=[self._attach_act, self.indexer.index_document, self._store_answer_vectors, self._forget],
            on_removed=[self.indexer.remove_document, self.answer_vectors.remove, self.acts.forget, self._forget],
        )

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        jobs = self.__dict__.pop("jobs", None)
        if jobs is not None:
            jobs.close()
        background = self.__dict__.pop("background", None)
        if background is not None:
            background.close()
        vectors = self.__dict__.get("answer_vectors")
        if vectors is not None:
            vectors.close()
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
            self._link_unlinked()
            self._reconciled = True
            if any(result):
                self.index.flush()
            return result

    def ingest(
        self,
        paths: Iterable[Path],
        progress: Progress | None = None,
        force: bool = False,
        follow_symlinks: bool = False,
        rebuild_progress: Callable[[float, float], None] | None = None,
    ) -> IngestReport:
        """Parse, tag, store and index files/folders (one writer at a time; reads go on).
        After a bulk load the index is rebuilt; `rebuild_progress(elapsed_s, estimated_total_s)`
        follows it (minutes at 100k passages)."""
        with self._lock:
            self.reconcile()
            report = IngestReport()
            try:
                report = ingest_paths(
                    paths, self.settings, progress=progress, hooks=self.hooks, force=force,
                    follow_symlinks=follow_symlinks,
                )
            finally:
                # Also when a job is cancelled mid-run: what was written is made durable.
                self.index.flush()
            changed = report.count("added") + report.count("updated")
            # optimize() rebuilds HNSW over the whole shard (minutes at 100k passages; the
            # embedded index closes meanwhile): worth it after a bulk load, not after one or
            # two files, whose small new segments are searched exactly anyway.
            if changed >= OPTIMIZE_AFTER_DOCS:
                self.index.optimize(progress=rebuild_progress)
            return report

    # -- acts ---------------------------------------------------------------
    def _act_signature(self, doc: Document):
        from kb.acts.pairing import signature

        return signature(doc, embed=lambda text: self.ingest_embedder.encode_passages([text])[0])

    def _attach_act(self, doc: Document) -> None:
        """Link a stored document to its act (act_key, pairing, or its own); other documents
        that joined the act (a version stored earlier as an act of its own) get its id in the index."""
        moves = self.acts.attach(doc, self._act_signature(doc))
        # the act's record may have changed (a version stating its repeal): its other versions'
        # passages get its kind and status; the document itself is indexed next, with them
        act_id = self.acts.act_of(doc)
        for other in self.acts.doc_ids_of(act_id):
            if other != doc.id and other not in moves:
                moves[other] = act_id
        self._move_points(moves)

    def _move_points(self, moves: dict[str, str]) -> None:
        for doc_id, act_id in moves.items():
            self.indexer.set_act(doc_id, act_id)
            self._forget(doc_id)

    def _link_unlinked(self) -> None:
        """Documents stored before acts existed get one (and their passages its id)."""
        for doc_id in self.acts.unlinked():
            doc = self.docs.get(doc_id)
            if doc is not None:
                self._attach_act(doc)
                self.indexer.set_act(doc_id, self.acts.act_of(doc))

    def link_documents(self, doc_id: str, other_id: str) -> Act:
        """`kb link A B`: B becomes a version of A's act. Raises kb.acts.store.ActError."""
        with self._lock:
            self.reconcile()
            self._move_points(self.acts.link(doc_id, other_id))
            self.index.flush()
            return self.acts.get(self.acts.act_id_of(doc_id))

    def unlink_document(self, doc_id: str) -> Act:
        """`kb unlink DOC`: the document becomes an act of its own."""
        with self._lock:
            self.reconcile()
            self._move_points(self.acts.unlink(doc_id))
            self.index.flush()
            return self.acts.get(self.acts.act_id_of(doc_id))

    def list_acts(
        self, filters: ActFilters | None = None, sort: ActSort = "-date", offset: int = 0, limit: int = 50
    ) -> Page[Act]:
        if not self._reconciled and self.acts.unlinked():
            self.reconcile()  # documents stored before acts existed get theirs first
        total, items = self.acts.page(filters, sort=sort, offset=offset, limit=limit)
        return Page[Act](total=total, offset=offset, limit=limit, items=items)

    def get_act(self, act_id: str) -> Act | None:
        return self.acts.get(act_id)

    @property
    def background(self):
        """Threads at a lower CPU priority for writes (see kb.priority)."""
        from kb.priority import BackgroundPool

        return self._opened("background", lambda: BackgroundPool(self.settings.writer_nice))

    def ingest_upload(self, filename: str, data: bytes, force: bool = False) -> tuple[DocumentSummary, str]:
        """Ingest one uploaded file: (summary, status). Raises IngestError on bad input.
        Runs in a background thread: searches keep the CPU while it parses and embeds."""
        return self.background.run(self._ingest_upload, filename, data, force)

    def _ingest_upload(self, filename: str, data: bytes, force: bool) -> tuple[DocumentSummary, str]:
        from ingest import IngestError, doc_id

        stored = None if force else self._stored(doc_id(data))
        if stored is not None:
            return stored, "unchanged"
        # Parsing and enrichment are the slow, CPU-bound part: they run before taking the
        # writer lock, and in a worker process unless KB_UPLOAD_WORKER=false (kb.parse_pool).
        parsed = self._prepare(data, filename)
        if parsed.doc is None:
            if parsed.unexpected:
                raise RuntimeError(parsed.reason or "ingestion failed")
            raise IngestError(filename, parsed.reason or "the file could not be read")
        doc = parsed.doc
        with self._lock:
            self.reconcile()
            stored = None if force else self._stored(doc.id)  # stored meanwhile by another writer
            if stored is not None:
                return stored, "unchanged"
            result = store_document(doc, self.docs, replace(self.hooks, enrichers=[]))  # enriched by _prepare
            self.index.flush()
        if result.status == "failed":
            raise RuntimeError(result.reason or "ingestion failed")
        return summarize(doc), result.status

    def _stored(self, doc_id: str) -> DocumentSummary | None:
        return self.docs.summary(doc_id) if doc_id in self.docs else None

    def _prepare(self, data: bytes, filename: str):
        from kb.parse_pool import prepare_one, upload_worker

        source = f"upload:{Path(filename).name}"
        options = self.settings.ingest_options()
        if self.settings.upload_worker:
            return upload_worker(self.settings.writer_nice).run(data, filename, source, options)
        return prepare_one(data, filename, source, options)

    def delete_document(self, doc_id: str) -> bool:
        with self._lock:
            hooks = self.hooks
            removed = remove_document(doc_id, self.settings, hooks)
            if removed:
                self.index.flush()
            return removed

    def get_document(self, doc_id: str) -> Document | None:
        with self._cache_lock:
            doc = self._doc_cache.get(doc_id)
            if doc is not None:
                self._doc_cache.move_to_end(doc_id)
                return doc
        doc = self.docs.get(doc_id)
        if doc is not None:
            with self._cache_lock:
                self._doc_cache[doc_id] = doc
                while len(self._doc_cache) > DOC_CACHE_SIZE:
                    self._doc_cache.popitem(last=False)
        return doc

    def _forget(self, doc: Document | str) -> None:
        with self._cache_lock:
            self._doc_cache.pop(doc if isinstance(doc, str) else doc.id, None)

    def list_documents(
        self, offset: int = 0, limit: int = 50, lang: str | None = None, genre: str | None = None
    ) -> Page[DocumentSummary]:
        total, items = self.docs.list_page(offset=offset, limit=limit, lang=lang, genre=genre)
        return Page[DocumentSummary](total=total, offset=offset, limit=limit, items=items)

    def _entities_in(self, doc_id: str, start: int, end: int) -> list[Entity]:
        doc = self.get_document(doc_id)
        return [e for e in doc.entities if e.start >= start and e.end <= end] if doc else []

    def _obligations_of(self, doc_id: str):
        doc = self.get_document(doc_id)
        return doc.obligations if doc else []

    # -- search and answers -----------------------------------------------
    def search(self, req: SearchRequest) -> SearchResponse:
        if req.issuer:
            # The issuing body is a requisite of the act: narrow to the acts it issued (SQL).
            _, issued = self.acts.page(ActFilters(issuer=req.issuer), limit=None)
            ids = [a.id for a in issued]
            if req.act_id:
                ids = [i for i in ids if i in set(req.act_id)]
            if not ids:
                return SearchResponse(query=req.q, query_lang=self.retriever.query_lang(req.q), total=0, hits=[], took_ms=0.0)
            req = req.model_copy(update={"act_id": ids})
        response = self.retriever.search(req)
        if req.sort != "relevance":
            # Among the results found relevant, by the act's adoption date (undated ones last).
            newest = req.sort == "-date"
            dated = [h for h in response.hits if h.document.date]
            undated = [h for h in response.hits if not h.document.date]
            dated.sort(key=lambda h: h.document.date, reverse=newest)
            response = response.model_copy(update={"hits": dated + undated})
        return response

    def ask(self, req: AskRequest) -> Answer:
        if self.settings.llm_url:
            from kb.generator import generate_answer

            hits = self.answerer.retrieve(req)
            return generate_answer(req.question, hits, self.settings, fallback=lambda: self.answerer.ask(req))
        return self.answerer.ask(req)

    # -- registries ----------------------------------------------------------
    def entity_counts(self, type: str | None = None) -> list[EntityCount]:
        from kb.entities import gazetteer

        gaz = gazetteer()
        out = self.docs.entity_counts(type)  # one SQL query, not a pass over every document
        for count in out:
            entry = gaz.get(count.id)
            # Gazetteer names are alias lists per language; the first is the canonical name.
            count.names = {lang: v[0] for lang, v in entry.names.model_dump().items() if v} if entry else {}
        return out

    def obligation_rows(self, filters: ObligationFilters) -> list[ObligationRow]:
        return self.docs.obligations_page(filters, offset=0, limit=None)[1]

    def obligations(self, filters: ObligationFilters, offset: int = 0, limit: int = 100) -> Page[ObligationRow]:
        total, rows = self.docs.obligations_page(filters, offset=offset, limit=limit)
        return Page[ObligationRow](total=total, offset=offset, limit=limit, items=rows)

    def obligation_pair_rows(self, filters: ObligationFilters) -> list:
        return self.obligation_pairs(filters, 0, None).items

    def obligation_pairs(self, filters: ObligationFilters, offset: int = 0, limit: int | None = 100) -> Page:
        """The register with each duty once for both language versions (kb/obligations/paired.py)."""
        from kb.models import PairedObligationRow
        from kb.obligations.paired import pair_rows

        def partners(row: ObligationRow) -> list[ObligationRow]:
            act_id = self.acts.act_id_of(row.doc_id)
            others = [d for d in (self.acts.doc_ids_of(act_id) if act_id else []) if d != row.doc_id]
            return [r for d in others
                    for r in self.docs.obligations_page(ObligationFilters(as_of=filters.as_of, doc_id=d), 0, None)[1]]

        pairs = pair_rows(self.obligation_rows(filters), prefer=filters.lang, partners=partners)
        items = pairs[offset:] if limit is None else pairs[offset:offset + limit]
        return Page[PairedObligationRow](total=len(pairs), offset=offset, limit=limit or len(pairs), items=items)

    def health(self) -> dict:
        """Status without waiting on any lock, and without server paths or URLs."""
        status: dict = {"status": "ok"}
        try:
            status["documents"] = len(self.docs)
        except Exception as e:  # the health check reports, it does not fail
            status.update(status="degraded", error=f"document store: {str(e)[:200]}")
        status["index"] = "server" if self.settings.qdrant_url else "embedded"
        index = self.__dict__.get("index")  # never open (and wait for) the index from here
        try:
            status["passages"] = index.count() if index is not None else None
        except Exception as e:
            status.update(status="degraded", error=f"index: {str(e)[:200]}")
        status["model"] = self.settings.model_dir.name
        status["model_loaded"] = "embedder" in self.__dict__
        return status


OPTIMIZE_AFTER_DOCS = 10
DOC_CACHE_SIZE = 256
