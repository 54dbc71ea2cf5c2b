"""Keep the vector index in step with the document store.

The document store is the source of truth; the index is derived from it. So a
crash between the two is repaired by `reconcile`: points of documents the store
no longer has are dropped, and stored documents with no points are indexed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kb.chunking import chunk_document
from kb.embeddings import Embedder
from kb.index.base import IndexPoint, VectorStore
from kb.index.sparse import doc_sparse
from kb.models import Document, Passage


def act_id_of(doc: Document) -> str:
    """The act a document is a version (or part) of; a document of no known act is its own act."""
    return doc.act_key or f"doc-{doc.id[:16]}"


def passage_payload(doc: Document, passage: Passage) -> dict:
    """What a hit needs without reading the document back: filters and display fields."""
    ids: dict[str, set[str]] = {"convention": set(), "agency": set()}
    for e in doc.entities:
        if e.id and e.type in ids:
            ids[e.type].add(e.id)
    return {
        "doc_id": doc.id,
        # Search groups passages by act: both language versions (and the parts of a code) share it.
        "act_id": act_id_of(doc),
        "number": passage.number,
        "text": passage.text,
        "block_path": passage.block_path,
        "page": passage.page,
        "start": passage.start,
        "end": passage.end,
        # Language filters mean "documents in Kazakh", so filter on the document's
        # language; a Russian quote inside a Kazakh act must not drop out.
        "lang": doc.lang,
        "passage_lang": passage.lang,
        "genre": doc.genre,
        "date": doc.date.isoformat() if doc.date else None,
        # Filters by convention/agency apply to the whole document: a passage of the
        # Minamata decision is "about" Minamata even if it names only "the Convention".
        "conventions": sorted(ids["convention"]),
        "agencies": sorted(ids["agency"]),
        "title": doc.title,
        "source": doc.source,
    }


def document_points(doc: Document, embedder: Embedder, batch_size: int = 16) -> list[IndexPoint]:
    """Dense vectors of context + text; lexical vectors of the text alone.

    The context line (title, heading path) tells the embedding what a terse point
    or table row is about. In the lexical vector it would repeat the title's words
    in every passage of the document, so each of them would match a title word
    equally and BM25 could no longer pick the passage that answers; measured on
    bench/search_sweep.py (see bench/results/search.md).
    """
    passages = chunk_document(doc, count=embedder.count_tokens)
    if not passages:
        return []
    texts = [f"{p.context}\n{p.text}" if p.context else p.text for p in passages]
    vectors = embedder.encode_passages(texts, batch_size=batch_size)
    return [
        IndexPoint(
            id=p.id,
            dense=vec.tolist(),
            sparse=doc_sparse(p.text, p.lang),
            payload=passage_payload(doc, p),
        )
        for p, vec in zip(passages, vectors)
    ]


class Indexer:
    def __init__(self, store: VectorStore, embedder: Embedder, batch_size: int = 16):
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size
        store.ensure_collection(embedder.dim)

    def index_document(self, doc: Document) -> int:
        points = document_points(doc, self.embedder, self.batch_size)
        self.store.replace_document(doc.id, points)
        return len(points)

    def remove_document(self, doc_id: str) -> None:
        self.store.delete_document(doc_id)

    def reconcile(
        self, stored_ids: Iterable[str], load: Callable[[str], Document | None]
    ) -> tuple[int, int]:
        """Make the index match the store; returns (documents dropped, documents indexed)."""
        stored = set(stored_ids)
        indexed = self.store.document_ids()
        dropped = indexed - stored
        for doc_id in dropped:
            self.store.delete_document(doc_id)
        missing = stored - indexed
        for doc_id in sorted(missing):
            doc = load(doc_id)
            if doc is not None:
                self.index_document(doc)
        return len(dropped), len(missing)
