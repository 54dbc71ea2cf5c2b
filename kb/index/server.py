"""The index on a Qdrant server or cluster (used when KB_QDRANT_URL is set).

Shard number, replication factor and write consistency come from settings and
apply when this process creates the collection. Writes wait for the operation
to be applied and use strong ordering, so a replace (upsert new points, then
delete the stale ones) is seen in that order on every replica.

Tests pass `QdrantClient(":memory:")`: the same API, run in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import contextlib
import warnings
from collections.abc import Iterator

import httpx
from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from kb.config import Settings
from kb.index import filters as flt
from kb.index.base import (
    DENSE,
    LEXICAL,
    PAYLOAD_INDEXES,
    RRF_K,
    Fusion,
    IndexConfigError,
    IndexPoint,
    IndexStoreError,
    IndexUnavailableError,
    ScoredPoint,
    SearchArgs,
    SearchOne,
    SparseVec,
    check_dim,
    check_points,
    storable_payload,
    to_run,
)
from kb.models import SearchFilters

_SCHEMA = {"keyword": qm.PayloadSchemaType.KEYWORD, "datetime": qm.PayloadSchemaType.DATETIME}
_STRONG = qm.WriteOrdering.STRONG


def to_filter(filters: SearchFilters | None) -> qm.Filter | None:
    must: list[qm.Condition] = []
    for c in flt.conditions(filters):
        if isinstance(c, flt.AnyOf):
            must.append(qm.FieldCondition(key=c.key, match=qm.MatchAny(any=list(c.values))))
        else:
            must.append(qm.FieldCondition(key=c.key, range=qm.DatetimeRange(gte=c.gte, lte=c.lte)))
    return qm.Filter(must=must) if must else None


def _doc_filter(doc_id: str) -> qm.Filter:
    return qm.Filter(must=[qm.FieldCondition(key="doc_id", match=qm.MatchValue(value=doc_id))])


class ServerStore(SearchOne):
    """VectorStore on a Qdrant collection reached through `client`."""

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        *,
        url: str = ":memory:",
        shard_number: int = 1,
        replication_factor: int = 1,
        write_consistency_factor: int = 1,
        hnsw_ef: int | None = None,
    ):
        self.client = client
        self.collection = collection
        self.url = url
        self.shard_number = shard_number
        self.replication_factor = replication_factor
        self.write_consistency_factor = write_consistency_factor
        self._exists = False
        self._dim: int | None = None
        self._params = qm.SearchParams(hnsw_ef=hnsw_ef) if hnsw_ef else None

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: int = 10) -> ServerStore:
        """Connect and check the server answers; an unreachable URL gives IndexUnavailableError."""
        url = settings.qdrant_url
        if not url:
            raise IndexStoreError("KB_QDRANT_URL is not set")
        try:
            client = QdrantClient(
                url=url, api_key=settings.qdrant_api_key, timeout=timeout, check_compatibility=False
            )
        except ValueError as exc:
            raise IndexUnavailableError(f"invalid Qdrant URL {url!r}: {exc}") from exc
        store = cls(
            client,
            settings.collection,
            url=url,
            shard_number=settings.shard_number,
            replication_factor=settings.replication_factor,
            write_consistency_factor=settings.write_consistency_factor,
            hnsw_ef=settings.hnsw_ef,
        )
        with store._call("connect"):
            client.get_collections()
        return store

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        """Turn transport and auth failures into IndexUnavailableError naming the URL."""
        try:
            yield
        except (ResponseHandlingException, httpx.TransportError, ConnectionError) as exc:
            raise IndexUnavailableError(
                f"Qdrant server at {self.url} is unreachable ({what}): {exc}"
            ) from exc
        except UnexpectedResponse as exc:
            if exc.status_code in (401, 403):
                raise IndexUnavailableError(
                    f"Qdrant server at {self.url} refused access ({what}): check KB_QDRANT_API_KEY"
                ) from exc
            raise IndexStoreError(f"Qdrant server at {self.url} failed ({what}): {exc}") from exc

    def _has_collection(self) -> bool:
        if not self._exists:
            with self._call("collection_exists"):
                self._exists = self.client.collection_exists(self.collection)
        return self._exists

    def _require(self) -> None:
        if not self._has_collection():
            raise IndexStoreError(
                f"collection {self.collection!r} does not exist at {self.url}: call ensure_collection(dim)"
            )

    # --- lifecycle ---------------------------------------------------------------------------

    def ensure_collection(self, dim: int) -> None:
        check_dim(dim)
        with self._call("ensure_collection"):
            if self.client.collection_exists(self.collection):
                info = self.client.get_collection(self.collection)
                vectors = info.config.params.vectors
                have = vectors.get(DENSE) if isinstance(vectors, dict) else None
                sparse = info.config.params.sparse_vectors or {}
                if have is None or have.size != dim or LEXICAL not in sparse:
                    found = f"{DENSE!r} size {have.size}" if have is not None else f"no {DENSE!r} vector"
                    raise IndexConfigError(
                        f"collection {self.collection!r} at {self.url} has {found}"
                        f"{'' if LEXICAL in sparse else f', no {LEXICAL!r} sparse vector'}; "
                        f"expected {DENSE!r} size {dim} and {LEXICAL!r}: use another KB_COLLECTION or recreate it"
                    )
                indexed = set(info.payload_schema or {})
            else:
                self.client.create_collection(
                    self.collection,
                    vectors_config={DENSE: qm.VectorParams(size=dim, distance=qm.Distance.COSINE)},
                    sparse_vectors_config={LEXICAL: qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
                    shard_number=self.shard_number,
                    replication_factor=self.replication_factor,
                    write_consistency_factor=self.write_consistency_factor,
                )
                indexed = set()
            self._dim = dim
            with warnings.catch_warnings():
                # Local mode (tests) warns that payload indexes do nothing there.
                warnings.simplefilter("ignore", UserWarning)
                for name, kind in PAYLOAD_INDEXES.items():
                    if name not in indexed:
                        self.client.create_payload_index(
                            self.collection, name, _SCHEMA[kind], wait=True, ordering=_STRONG
                        )
        self._exists = True

    def flush(self) -> None:
        """The server persists writes itself (wait=True returns after its WAL has them)."""

    def optimize(self, progress=None) -> None:
        """The server optimizes in the background; nothing to do."""

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ServerStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writes ------------------------------------------------------------------------------

    def upsert(self, points: list[IndexPoint]) -> None:
        self._require()
        if not points:
            return
        check_points(points, self._dim)
        structs = [self._point(p) for p in points]
        with self._call("upsert"):
            self.client.upsert(self.collection, structs, wait=True, ordering=_STRONG)

    @staticmethod
    def _point(p: IndexPoint) -> qm.PointStruct:
        vector: dict = {DENSE: list(p.dense)}
        if p.sparse:
            vector[LEXICAL] = qm.SparseVector(indices=list(p.sparse.indices), values=list(p.sparse.values))
        return qm.PointStruct(id=str(p.id), vector=vector, payload=storable_payload(p.payload))

    def _delete(self, where: qm.Filter) -> None:
        with self._call("delete"):
            self.client.delete(
                self.collection, points_selector=qm.FilterSelector(filter=where), wait=True, ordering=_STRONG
            )

    def delete_document(self, doc_id: str) -> None:
        self._require()
        self._delete(_doc_filter(doc_id))

    def set_payload_by_doc(self, doc_id: str, payload: dict) -> None:
        self._require()
        with self._call("set_payload"):
            self.client.set_payload(
                self.collection, payload=storable_payload(payload),
                points=qm.FilterSelector(filter=_doc_filter(doc_id)), wait=True, ordering=_STRONG,
            )

    def replace_document(self, doc_id: str, points: list[IndexPoint]) -> None:
        self._require()
        if not points:
            self._delete(_doc_filter(doc_id))
            return
        self.upsert(points)
        keep = [str(p.id) for p in points]
        self._delete(
            qm.Filter(
                must=[qm.FieldCondition(key="doc_id", match=qm.MatchValue(value=doc_id))],
                must_not=[qm.HasIdCondition(has_id=keep)],
            )
        )

    # --- reads -------------------------------------------------------------------------------

    def count(self) -> int:
        if not self._has_collection():
            return 0
        with self._call("count"):
            return self.client.count(self.collection, exact=True).count

    def document_ids(self) -> set[str]:
        n = self.count()
        if n == 0:
            return set()
        with self._call("facet"):
            response = self.client.facet(self.collection, key="doc_id", limit=n, exact=True)
        return {str(hit.value) for hit in response.hits if hit.count > 0}

    def document_vectors(self, doc_id: str, key: str) -> dict[str, list[float]]:
        if not self._has_collection():
            return {}
        out: dict[str, list[float]] = {}
        offset = None
        while True:
            with self._call("scroll"):
                records, offset = self.client.scroll(
                    self.collection,
                    scroll_filter=_doc_filter(doc_id),
                    limit=256,
                    offset=offset,
                    with_payload=[key],
                    with_vectors=[DENSE],
                )
            for r in records:
                value = (r.payload or {}).get(key)
                vector = r.vector.get(DENSE) if isinstance(r.vector, dict) else None
                if value is not None and vector is not None:
                    out[str(value)] = list(vector)
            if offset is None or not records:
                return out

    def search_many(
        self, requests: Sequence[SearchArgs], *, fields: Sequence[str] | None = None
    ) -> list[list[ScoredPoint]]:
        out, todo = to_run(requests)
        if not todo or not self._has_collection():
            return out
        payload = True if fields is None else list(fields)
        batch = [self._request(requests[i], payload) for i in todo]
        with self._call("search"):
            results = self.client.query_batch_points(self.collection, requests=batch)
        for i, res in zip(todo, results):
            out[i] = [ScoredPoint(str(p.id), float(p.score), p.payload or {}) for p in res.points]
        return out

    def _request(self, r: SearchArgs, payload) -> qm.QueryRequest:
        where = to_filter(r.filters)
        queries: list[tuple[object, str]] = []
        if r.dense is not None:
            queries.append((list(r.dense), DENSE))
        if r.sparse:
            queries.append((qm.SparseVector(indices=list(r.sparse.indices), values=list(r.sparse.values)), LEXICAL))
        if len(queries) == 1:
            query, using = queries[0]
            return qm.QueryRequest(query=query, using=using, filter=where, limit=r.limit, with_payload=payload,
                                   params=self._params if using == DENSE else None)
        depth = max(r.prefetch_limit, r.limit)
        return qm.QueryRequest(
            prefetch=[qm.Prefetch(query=q, using=u, filter=where, limit=depth,
                                  params=self._params if u == DENSE else None) for q, u in queries],
            query=qm.RrfQuery(rrf=qm.Rrf(k=RRF_K)) if r.fusion == "rrf" else qm.FusionQuery(fusion=qm.Fusion.DBSF),
            filter=where,
            limit=r.limit,
            with_payload=payload,
        )

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        if not ids or not self._has_collection():
            return {}
        with self._call("retrieve"):
            records = self.client.retrieve(self.collection, ids=list(dict.fromkeys(ids)), with_payload=True,
                                           with_vectors=False)
        return {str(r.id): r.payload or {} for r in records}
