"""The embedded index: one Qdrant Edge shard in a local directory (the default store).

Durability: every write goes to the shard's write-ahead log before it is
applied, and one `update` call (one upsert batch, one delete) is atomic in it,
so a killed process reopens with each batch either fully present or absent
(tests/test_index.py kills a writer mid-stream). Writes are not fsynced one by
one (an fsync costs ~0.1 s); `flush()` makes everything written so far durable
against an OS crash or power loss, and `optimize()` and `close()` flush. Call
`flush()` at the end of an ingestion run.

Only one process may open the directory: the engine locks its WAL, and a second
opener gets `IndexLockedError`.

HNSW is built only by `optimize()`, which holds the GIL while it runs: call it
after bulk ingestion, never per request. Until then (and for small collections,
below the engine's indexing threshold) search is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import json
from pathlib import Path

import qdrant_edge as qe

from kb.index import filters as flt
from kb.index.base import (
    DENSE,
    LEXICAL,
    PAYLOAD_INDEXES,
    RRF_K,
    Fusion,
    IndexConfigError,
    IndexLockedError,
    IndexPoint,
    IndexStoreError,
    IndexUnavailableError,
    ScoredPoint,
    SparseVec,
    check_dim,
    check_points,
    check_search_args,
    storable_payload,
)
from kb.models import SearchFilters

_CONFIG_FILE = "edge_config.json"  # written by the engine at create (documented)
_SCHEMA = {"keyword": qe.PayloadSchemaType.Keyword, "datetime": qe.PayloadSchemaType.Datetime}


def _engine_config(dim: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
        sparse_vectors={LEXICAL: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    )


def _open_error(path: Path, exc: Exception) -> IndexStoreError:
    text = str(exc)
    if "WouldBlock" in text or "lock" in text.lower():
        return IndexLockedError(
            f"index directory {path} is in use: another process (or another open store) holds "
            "its WAL lock; stop it or point KB_DATA_DIR elsewhere"
        )
    if "incompatible" in text.lower():
        return IndexConfigError(f"index directory {path}: {text}")
    return IndexUnavailableError(f"cannot open index directory {path}: {text}")


def to_filter(filters: SearchFilters | None) -> qe.Filter | None:
    must = []
    for c in flt.conditions(filters):
        if isinstance(c, flt.AnyOf):
            must.append(qe.FieldCondition(c.key, match=qe.MatchAny(list(c.values))))
        else:
            must.append(qe.FieldCondition(c.key, range=qe.RangeDateTime(gte=c.gte, lte=c.lte)))
    return qe.Filter(must=must) if must else None


def _doc_filter(doc_id: str) -> qe.Filter:
    return qe.Filter(must=[qe.FieldCondition("doc_id", match=qe.MatchValue(doc_id))])


class EdgeStore:
    """VectorStore on a Qdrant Edge shard at `path` (created by `ensure_collection`)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._shard: qe.EdgeShard | None = None
        self._dim: int | None = None
        if (self.path / _CONFIG_FILE).exists():
            self._shard = self._load()
            self._dim = self._stored_dim()

    # --- lifecycle ---------------------------------------------------------------------------

    def _load(self, config: qe.EdgeConfig | None = None) -> qe.EdgeShard:
        try:
            return qe.EdgeShard.load(str(self.path), config)
        except Exception as exc:  # the engine raises plain Exception with a message
            raise _open_error(self.path, exc) from exc

    def _stored_dim(self) -> int | None:
        try:
            cfg = json.loads((self.path / _CONFIG_FILE).read_text(encoding="utf-8"))
            return int(cfg["vectors"][DENSE]["size"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def ensure_collection(self, dim: int) -> None:
        check_dim(dim)
        if self._shard is None:
            self.path.mkdir(parents=True, exist_ok=True)
            try:
                self._shard = qe.EdgeShard.create(str(self.path), _engine_config(dim))
            except Exception as exc:
                raise _open_error(self.path, exc) from exc
            self._dim = dim
        elif self._dim is not None and self._dim != dim:
            raise IndexConfigError(
                f"index directory {self.path} holds {self._dim}-dimensional vectors, "
                f"the embedder gives {dim}: delete the directory and re-ingest"
            )
        else:
            self._dim = dim
        existing = set(self._shard.info().payload_schema)
        for name, kind in PAYLOAD_INDEXES.items():
            if name not in existing:
                self._shard.update(qe.UpdateOperation.create_field_index(name, _SCHEMA[kind]))

    def _require(self) -> qe.EdgeShard:
        if self._shard is None:
            raise IndexStoreError(f"index at {self.path} has no collection yet: call ensure_collection(dim)")
        return self._shard

    def flush(self) -> None:
        if self._shard is not None:
            self._shard.flush()

    def optimize(self) -> None:
        if self._shard is not None:
            self._shard.optimize()
            self._shard.flush()

    def close(self) -> None:
        if self._shard is not None:
            shard, self._shard = self._shard, None
            try:
                shard.flush()
            finally:
                shard.close()

    def __enter__(self) -> EdgeStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writes ------------------------------------------------------------------------------

    def upsert(self, points: list[IndexPoint]) -> None:
        shard = self._require()
        if not points:
            return
        check_points(points, self._dim)
        shard.update(qe.UpdateOperation.upsert_points([self._point(p) for p in points]))

    @staticmethod
    def _point(p: IndexPoint) -> qe.Point:
        vector: dict = {DENSE: list(p.dense)}
        if p.sparse:
            vector[LEXICAL] = qe.SparseVector(list(p.sparse.indices), list(p.sparse.values))
        return qe.Point(str(p.id), vector, storable_payload(p.payload))

    def delete_document(self, doc_id: str) -> None:
        shard = self._require()
        shard.update(qe.UpdateOperation.delete_points_by_filter(_doc_filter(doc_id)))

    def set_payload_by_doc(self, doc_id: str, payload: dict) -> None:
        shard = self._require()
        shard.update(qe.UpdateOperation.set_payload_by_filter(_doc_filter(doc_id), storable_payload(payload)))

    def replace_document(self, doc_id: str, points: list[IndexPoint]) -> None:
        shard = self._require()
        if not points:
            self.delete_document(doc_id)
            return
        self.upsert(points)
        keep = {str(p.id) for p in points}
        stale = qe.Filter(
            must=[qe.FieldCondition("doc_id", match=qe.MatchValue(doc_id))],
            must_not=[qe.HasIdCondition(keep)],
        )
        shard.update(qe.UpdateOperation.delete_points_by_filter(stale))

    # --- reads -------------------------------------------------------------------------------

    def count(self) -> int:
        if self._shard is None:
            return 0
        return self._shard.count(qe.CountRequest(exact=True))

    def document_ids(self) -> set[str]:
        n = self.count()
        if n == 0:
            return set()
        response = self._shard.facet(qe.FacetRequest(key="doc_id", limit=n, exact=True))
        return {str(hit.value) for hit in response if hit.count > 0}

    def document_vectors(self, doc_id: str, key: str) -> dict[str, list[float]]:
        if self._shard is None:
            return {}
        out: dict[str, list[float]] = {}
        offset = None
        while True:
            request = qe.ScrollRequest(
                offset=offset, limit=256, filter=_doc_filter(doc_id), with_payload=[key], with_vector=[DENSE]
            )
            records, offset = self._shard.scroll(request)
            for r in records:
                value, vector = (r.payload or {}).get(key), (r.vector or {}).get(DENSE)
                if value is not None and vector is not None:
                    out[str(value)] = list(vector)
            if offset is None or not records:
                return out

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
        check_search_args(limit, fusion)
        if self._shard is None or (dense is None and not sparse):
            return []
        where = to_filter(filters)
        payload = True if fields is None else qe.PayloadSelector.Include(list(fields))
        queries = []
        if dense is not None:
            queries.append(qe.Query.Nearest(list(dense), using=DENSE))
        if sparse:
            queries.append(
                qe.Query.Nearest(qe.SparseVector(list(sparse.indices), list(sparse.values)), using=LEXICAL)
            )
        if len(queries) == 1:
            request = qe.QueryRequest(limit=limit, query=queries[0], filter=where, with_payload=payload)
        else:
            depth = max(prefetch_limit, limit)
            request = qe.QueryRequest(
                limit=limit,
                prefetches=[qe.Prefetch(limit=depth, query=q, filter=where) for q in queries],
                query=qe.Fusion.Rrf(k=RRF_K) if fusion == "rrf" else qe.Fusion.Dbsf(),
                filter=where,
                with_payload=payload,
            )
        return [ScoredPoint(str(p.id), float(p.score), p.payload or {}) for p in self._shard.query(request)]

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        if self._shard is None or not ids:
            return {}
        records = self._shard.retrieve(list(dict.fromkeys(ids)), with_payload=True, with_vector=False)
        return {str(r.id): r.payload or {} for r in records}
