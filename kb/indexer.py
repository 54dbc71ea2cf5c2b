"""Keep the vector index in step with the document store.

The document store is the source of truth; the index is derived from it. So a
crash between the two is repaired by `reconcile`: points of documents the store
no longer has are dropped, and stored documents with no points are indexed again.

Re-indexing a changed document embeds only the passages whose embedded text
(context + text) changed: every point carries a hash of that text and of the model
(`embed_hash`), and the vectors already stored under a hash are reused, whatever the
passage's number (and so its id) has become. A changed file gets a new document id (ids
are content hashes) and the pipeline announces it as "old id removed, new id stored",
so `remove_document` keeps the removed document's vectors until the next document is indexed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

from kb.chunking import chunk_document
from kb.embeddings import Embedder
from kb.acts.ids import default_act_id
from kb.index.base import IndexPoint, VectorStore
from kb.index.sparse import doc_sparse
from kb.models import Document, Passage


ActOf = Callable[[Document], str]
ActFields = Callable[[str], dict]  # act id -> the act's payload fields (act_kind, act_status)


def passage_payload(doc: Document, passage: Passage, act_id: str | None = None, act: dict | None = None) -> dict:
    """What a hit needs without reading the document back: filters and display fields.

    `act_id` is the act the document is a version of (kb.acts); by default its act_key or
    its own "doc-<id>" act."""
    ids: dict[str, set[str]] = {"convention": set(), "agency": set()}
    for e in doc.entities:
        if e.id and e.type in ids:
            ids[e.type].add(e.id)
    return {
        "doc_id": doc.id,
        # Search groups passages by act: both language versions (and the parts of a code) share it.
        "act_id": act_id or default_act_id(doc),
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
        # the act's kind and status, for search filters; kept in step by Indexer.set_act
        "act_kind": (act or {}).get("act_kind") or (doc.requisites.kind if doc.requisites else None),
        "act_status": (act or {}).get("act_status") or (doc.requisites.status if doc.requisites else "unknown"),
    }


EMBED_HASH = "embed_hash"  # payload field: see embed_hash()


def embed_text(passage: Passage) -> str:
    """What the dense vector is computed from."""
    return f"{passage.context}\n{passage.text}" if passage.context else passage.text


def embed_hash(embedder: Embedder, text: str) -> str:
    """Names a vector: the same text through the same model gives the same vector."""
    return hashlib.sha256(f"{embedder.fingerprint}\0{text}".encode()).hexdigest()[:32]


def document_points(
    doc: Document,
    embedder: Embedder,
    batch_size: int = 16,
    reuse: Mapping[str, list[float]] | None = None,
    act_id: str | None = None,
    act: dict | None = None,
) -> list[IndexPoint]:
    """Dense vectors of context + text; lexical vectors of the text alone.

    `reuse`: vectors already computed, by `embed_hash`; only passages not in it are embedded.

    The context line (title, heading path) tells the embedding what a terse point
    or table row is about. In the lexical vector it would repeat the title's words
    in every passage of the document, so each of them would match a title word
    equally and BM25 could no longer pick the passage that answers; measured on
    bench/search_sweep.py (see bench/results/search.md).
    """
    passages = chunk_document(doc, count=embedder.count_tokens)
    if not passages:
        return []
    texts = [embed_text(p) for p in passages]
    hashes = [embed_hash(embedder, t) for t in texts]
    reuse = reuse or {}
    vectors: list[list[float] | None] = [reuse.get(h) for h in hashes]
    todo = [i for i, v in enumerate(vectors) if v is None]
    if todo:
        fresh = embedder.encode_passages([texts[i] for i in todo], batch_size=batch_size)
        for i, vec in zip(todo, fresh):
            vectors[i] = vec.tolist()
    return [
        IndexPoint(
            id=p.id,
            dense=list(vec),
            sparse=doc_sparse(p.text, p.lang),
            payload=passage_payload(doc, p, act_id, act) | {EMBED_HASH: h},
        )
        for p, vec, h in zip(passages, vectors, hashes)
    ]


class Indexer:
    def __init__(
        self, store: VectorStore, embedder: Embedder, batch_size: int = 16, act_of: ActOf | None = None,
        act_fields: ActFields | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size
        # The act a document belongs to lives in the document store (pairing, kb link):
        # the service passes its lookup; without one the document's own act id is used.
        self.act_of = act_of or default_act_id
        self.act_fields = act_fields
        store.ensure_collection(embedder.dim)
        # passages embedded and passages whose stored vector was reused, since this Indexer opened
        self.embedded = 0
        self.reused = 0
        # vectors of documents removed since the last index_document, by embed_hash
        self._removed: dict[str, list[float]] = {}

    def index_document(self, doc: Document) -> int:
        # Same text, same model, same vector: reusing across documents is as right as within one.
        reuse = self._removed | self.store.document_vectors(doc.id, EMBED_HASH)
        self._removed = {}
        act_id = self.act_of(doc)
        act = self.act_fields(act_id) if self.act_fields else None
        points = document_points(doc, self.embedder, self.batch_size, reuse=reuse, act_id=act_id, act=act)
        reused = sum(1 for p in points if p.payload[EMBED_HASH] in reuse)
        self.reused += reused
        self.embedded += len(points) - reused
        self.store.replace_document(doc.id, points)
        return len(points)

    def set_act(self, doc_id: str, act_id: str) -> None:
        """A document changed act (pairing, kb link/unlink) or its act changed: its points say so."""
        fields = self.act_fields(act_id) if self.act_fields else {}
        self.store.set_payload_by_doc(doc_id, {"act_id": act_id, **fields})

    def remove_document(self, doc_id: str) -> None:
        # A changed file is removed just before its new version is indexed: keep what it had.
        self._removed |= self.store.document_vectors(doc_id, EMBED_HASH)
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
