"""The vector index contract: records, the `VectorStore` protocol, errors, `open_store`.

Retrieval and ingestion talk to this interface only. Two implementations sit
behind it: the embedded Qdrant Edge shard (`kb.index.edge`, the default) and a
Qdrant server or cluster (`kb.index.server`, when `KB_QDRANT_URL` is set).
Both store one logical collection of passages with a named dense vector and a
named sparse lexical vector (IDF applied by Qdrant), so the same request gives
the same ranking on either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from kb.models import SearchFilters

if TYPE_CHECKING:
    from kb.config import Settings

DENSE = "dense"
LEXICAL = "lexical"

# Payload fields with an index, and the kind of index. Every filter in
# SearchFilters reads one of these; doc_id also serves delete/replace and
# document_ids(). The date is stored as an ISO date string ("2022-01-21") and
# indexed as a datetime so date ranges filter on the index.
PAYLOAD_INDEXES: dict[str, Literal["keyword", "datetime"]] = {
    "doc_id": "keyword",
    "act_id": "keyword",
    "act_kind": "keyword",
    "act_status": "keyword",
    "lang": "keyword",
    "genre": "keyword",
    "date": "datetime",
    "conventions": "keyword",
    "agencies": "keyword",
}

# Reciprocal rank fusion constant: 60 is the value from the original RRF paper;
# Qdrant's own default (2) lets the top hit of one list dominate the fusion.
RRF_K = 60

Fusion = Literal["rrf", "dbsf"]


@dataclass
class SparseVec:
    indices: list[int]
    values: list[float]

    def __bool__(self) -> bool:
        return bool(self.indices)


@dataclass
class IndexPoint:
    """One passage as stored: id is Passage.id (a UUID string).

    Payload keys the filters rely on: doc_id, act_id, lang, genre, date (ISO date string
    or datetime.date; converted on write), conventions and agencies (lists of ids).
    Anything else in the payload is stored and returned as is.
    """

    id: str
    dense: list[float]
    sparse: SparseVec
    payload: dict = field(default_factory=dict)


@dataclass
class ScoredPoint:
    id: str
    score: float
    payload: dict


@dataclass
class SearchArgs:
    """One engine search (see `VectorStore.search`): both vectors prefetched and fused, or
    one vector alone."""

    dense: list[float] | None
    sparse: SparseVec | None
    filters: SearchFilters | None
    limit: int
    fusion: Fusion = "rrf"
    prefetch_limit: int = 50

    @property
    def empty(self) -> bool:
        return self.dense is None and not self.sparse


class SearchOne:
    """`search` as a batch of one `search_many` request: what both stores do."""

    def search(
        self,
        *,
        dense: list[float] | None,
        sparse: SparseVec | None,
        filters: SearchFilters | None,
        limit: int,
        fusion: Fusion = "rrf",
        prefetch_limit: int = 50,
        fields: Sequence[str] | None = None,
    ) -> list[ScoredPoint]:
        return self.search_many([SearchArgs(dense, sparse, filters, limit, fusion, prefetch_limit)], fields=fields)[0]


def to_run(requests: Sequence[SearchArgs]) -> tuple[list[list[ScoredPoint]], list[int]]:
    """Checks every request (ValueError on a bad limit or fusion); gives an empty result per
    request and the positions of the requests that need the engine (the others have no vector)."""
    for r in requests:
        check_search_args(r.limit, r.fusion)
    return [[] for _ in requests], [i for i, r in enumerate(requests) if not r.empty]


class IndexStoreError(RuntimeError):
    """Base of the index errors."""


class IndexUnavailableError(IndexStoreError):
    """The index cannot be reached or opened (server down, directory unusable)."""


class IndexLockedError(IndexUnavailableError):
    """Another process holds the embedded index directory."""


class IndexConfigError(IndexStoreError):
    """The stored collection does not match what was asked (e.g. vector size)."""


class InvalidPointError(IndexStoreError, ValueError):
    """A point to write is malformed; the message names the point and the field."""


@runtime_checkable
class VectorStore(Protocol):
    def ensure_collection(self, dim: int) -> None:
        """Create the collection (vectors + payload indexes) or check the existing one."""

    def upsert(self, points: list[IndexPoint]) -> None:
        """Insert or overwrite points by id; writing the same points twice changes nothing."""

    def delete_document(self, doc_id: str) -> None:
        """Remove every point of the document."""

    def replace_document(self, doc_id: str, points: list[IndexPoint]) -> None:
        """Make `points` the document's only points.

        New points are written first, then the document's other points are
        deleted, so a reader (or a crash) never sees the document without points.
        """

    def document_ids(self) -> set[str]:
        """Ids of the documents that have points."""

    def document_vectors(self, doc_id: str, key: str) -> dict[str, list[float]]:
        """The dense vectors of the document's points, by the value of payload field `key`
        (points without it are left out): what re-indexing a changed document can reuse."""

    def set_payload_by_doc(self, doc_id: str, payload: dict) -> None:
        """Set these payload keys (others are kept) on every point of the document."""

    # Both vectors: prefetch each, then fuse; one vector: plain search on it; an empty sparse
    # vector counts as none (a query of stop words only), and with no vector the result is
    # empty. `fields` limits each point's payload to those keys (None: the whole payload).
    search = SearchOne.search

    def search_many(
        self, requests: Sequence[SearchArgs], *, fields: Sequence[str] | None = None
    ) -> list[list[ScoredPoint]]:
        """Each request's result, in order, sent to the engine as one batch: one call for a
        request's language pools, one for the other-language passages of its page."""

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        """The whole payload of each point that exists, by id."""

    def count(self) -> int: ...

    def flush(self) -> None:
        """Make every write so far durable on disk (a no-op for the server)."""

    def optimize(self, progress: Callable[[float, float], None] | None = None) -> None:
        """Build the HNSW/payload indexes after bulk ingestion (blocking on the embedded engine);
        `progress(elapsed_s, estimated_total_s)` is called while it runs."""

    def close(self) -> None: ...


def open_store(settings: Settings | None = None) -> VectorStore:
    """The embedded shard at settings.qdrant_dir, or the server when settings.qdrant_url is set."""
    if settings is None:
        from kb.config import get_settings

        settings = get_settings()
    if settings.qdrant_url:
        from kb.index.server import ServerStore

        return ServerStore.from_settings(settings)
    from kb.index.edge import EdgeStore

    return EdgeStore(settings.qdrant_dir, hnsw_ef=settings.hnsw_ef)


# --- helpers shared by both implementations -------------------------------------------------


def check_points(points: list[IndexPoint], dim: int | None) -> None:
    """Refuse malformed points before anything is written, so a batch is all or nothing."""
    for p in points:
        try:
            uuid.UUID(str(p.id))
        except ValueError:
            raise InvalidPointError(f"point id {p.id!r}: not a UUID string (use Passage.id)") from None
        if dim is not None and len(p.dense) != dim:
            raise InvalidPointError(
                f"point {p.id}: dense vector has {len(p.dense)} dimensions, the collection has {dim}"
            )
        if len(p.sparse.indices) != len(p.sparse.values):
            raise InvalidPointError(f"point {p.id}: sparse indices and values differ in length")
        if not isinstance(p.payload.get("doc_id"), str):
            raise InvalidPointError(f"point {p.id}: payload.doc_id missing or not a string")


def storable_payload(payload: dict) -> dict:
    """Payload as JSON values: dates become ISO strings (the datetime index parses them)."""
    out = {}
    for key, value in payload.items():
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        out[key] = value
    return out


def check_dim(dim: int) -> None:
    if not isinstance(dim, int) or dim <= 0:
        raise IndexConfigError(f"vector size must be a positive integer, got {dim!r}")


def check_search_args(limit: int, fusion: str) -> None:
    """Raises ValueError on a limit or fusion the engines cannot take."""
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    if fusion not in ("rrf", "dbsf"):
        raise ValueError(f"fusion must be 'rrf' or 'dbsf', got {fusion!r}")
