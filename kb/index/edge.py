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

HNSW is built only by `optimize()`: call it after bulk ingestion, never per request.
The engine's optimize holds the GIL for as long as it runs, so it runs in a child
process (kb.index.edge_rebuild) while this one shows progress; the shard is closed
meanwhile and reads wait for it (up to REBUILD_WAIT_S, then "unavailable"). Until
then (and for small collections, below the engine's indexing threshold) search is exact.

Reading a point's payload costs the engine about 11 us whatever fields are selected
(it decodes the whole stored payload, text included): 60 candidates with their
doc_id/act_id/lang made an engine call five times as slow as without them. So searches
that ask for a few `fields` run without payloads, and the fields come from a cache of
them by point id, read once per point with `retrieve`. Every write through this store
clears the cache; this process is the only writer (the WAL lock above), so it cannot go
stale.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
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
    SearchArgs,
    SearchOne,
    SparseVec,
    check_dim,
    check_points,
    storable_payload,
    to_run,
)
from kb.models import SearchFilters

_CONFIG_FILE = "edge_config.json"  # written by the engine at create (documented)
# Points whose rank fields are kept (about 0.3 KB each); past it the cache starts over.
FIELD_CACHE_POINTS = 200_000
# A read that arrives during a rebuild waits this long for the shard, then gets "unavailable".
REBUILD_WAIT_S = 30.0
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


class EdgeStore(SearchOne):
    """VectorStore on a Qdrant Edge shard at `path` (created by `ensure_collection`)."""

    def __init__(self, path: str | Path, hnsw_ef: int | None = None):
        self.path = Path(path)
        self._handle: qe.EdgeShard | None = None
        self._open = threading.Event()  # cleared while a child process rebuilds the shard
        self._open.set()
        self._rebuilder: int | None = None  # the thread running optimize()
        self._rebuild_ends = 0.0  # estimated, time.monotonic()
        self._dim: int | None = None
        # Dense searches explore this many HNSW neighbours (None: the engine's default).
        self._params = qe.SearchParams(hnsw_ef=hnsw_ef) if hnsw_ef else None
        self._cache_lock = threading.Lock()
        self._generation = 0  # bumped by every write; a read that began before it caches nothing
        self._fields: dict[tuple[str, ...], dict[str, dict]] = {}
        if (self.path / _CONFIG_FILE).exists():
            self._shard = self._load()
            self._dim = self._stored_dim()

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def _shard(self) -> qe.EdgeShard | None:
        """The open shard; during a rebuild other threads wait for it to be reopened."""
        if not self._open.is_set() and threading.get_ident() != self._rebuilder:
            if not self._open.wait(REBUILD_WAIT_S):
                left = max(0, round(self._rebuild_ends - time.monotonic()))
                raise IndexUnavailableError(
                    f"the search index is being rebuilt after a bulk load (about {left} s left); try again shortly")
        return self._handle

    @_shard.setter
    def _shard(self, shard: qe.EdgeShard | None) -> None:
        self._handle = shard

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

    def optimize(self, progress: Callable[[float, float], None] | None = None) -> None:
        """Rebuild HNSW in a child process (see the module docstring); `progress(elapsed_s,
        estimated_total_s)` is called about twice a second meanwhile, and once at the end
        with both equal."""
        from kb.index import edge_rebuild

        shard = self._shard
        if shard is None:
            return
        points = self.count()
        estimate = edge_rebuild.estimate_s(self.path, points)
        started = time.monotonic()
        self._rebuilder, self._rebuild_ends = threading.get_ident(), started + estimate
        self._open.clear()
        try:
            shard.flush()
            shard.close()
            self._handle = None
            child = subprocess.Popen([sys.executable, "-m", "kb.index.edge_rebuild", str(self.path)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while True:
                if progress:
                    progress(time.monotonic() - started, estimate)
                try:  # communicate keeps draining stderr: a chatty child never blocks on a full pipe
                    _, err = child.communicate(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
            error = err.decode("utf-8", "replace").strip()
            if child.returncode == 0:
                edge_rebuild.record(self.path, points, time.monotonic() - started)
        finally:
            # Reopened whatever happened: the WAL holds every write, the rebuild only adds HNSW.
            self._handle = self._load()
            self._rebuilder = None
            self._open.set()
        if progress:
            took = time.monotonic() - started
            progress(took, took)  # the last call: elapsed == total
        if child.returncode != 0:
            raise IndexStoreError(f"rebuilding the index at {self.path} failed (exit {child.returncode}): "
                                  f"{error[-500:] or 'no message'}")

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

    @contextmanager
    def _writing(self):
        """Around every write: afterwards (failed or not) no cached field may predate it."""
        try:
            yield
        finally:
            with self._cache_lock:
                self._generation += 1
                self._fields.clear()

    def upsert(self, points: list[IndexPoint]) -> None:
        shard = self._require()
        if not points:
            return
        check_points(points, self._dim)
        with self._writing():
            shard.update(qe.UpdateOperation.upsert_points([self._point(p) for p in points]))

    @staticmethod
    def _point(p: IndexPoint) -> qe.Point:
        vector: dict = {DENSE: list(p.dense)}
        if p.sparse:
            vector[LEXICAL] = qe.SparseVector(list(p.sparse.indices), list(p.sparse.values))
        return qe.Point(str(p.id), vector, storable_payload(p.payload))

    def delete_document(self, doc_id: str) -> None:
        shard = self._require()
        with self._writing():
            shard.update(qe.UpdateOperation.delete_points_by_filter(_doc_filter(doc_id)))

    def set_payload_by_doc(self, doc_id: str, payload: dict) -> None:
        shard = self._require()
        with self._writing():
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
        with self._writing():
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

    def search_many(
        self, requests: Sequence[SearchArgs], *, fields: Sequence[str] | None = None
    ) -> list[list[ScoredPoint]]:
        out, todo = to_run(requests)
        if self._shard is None or not todo:
            return out
        generation = self._generation
        queries = [self._request(requests[i], with_payload=fields is None) for i in todo]
        if len(queries) == 1:
            results = [self._shard.query(queries[0])]
        else:
            results = self._shard.query_batch(qe.QueryBatchRequest(queries))
        # Each `p.id` read builds a uuid.UUID (about 500 per request): read and format each once.
        ids = [[str(p.id) for p in res] for res in results]
        known = (self._cached_fields([pid for res in ids for pid in res], tuple(fields), generation)
                 if fields is not None else None)
        for i, res, res_ids in zip(todo, results, ids):
            if known is None:
                out[i] = [ScoredPoint(pid, float(p.score), p.payload or {}) for p, pid in zip(res, res_ids)]
            else:  # a point deleted since the query has no fields: it is left out
                out[i] = [ScoredPoint(pid, float(p.score), known[pid]) for p, pid in zip(res, res_ids) if pid in known]
        return out

    def _request(self, r: SearchArgs, with_payload: bool) -> qe.QueryRequest:
        where = to_filter(r.filters)
        queries = []
        if r.dense is not None:
            queries.append(qe.Query.Nearest(list(r.dense), using=DENSE))
        if r.sparse:
            queries.append(qe.Query.Nearest(qe.SparseVector(list(r.sparse.indices), list(r.sparse.values)), using=LEXICAL))
        if len(queries) == 1:
            params = self._params if r.dense is not None else None
            return qe.QueryRequest(limit=r.limit, query=queries[0], filter=where, with_payload=with_payload,
                                   params=params)
        depth = max(r.prefetch_limit, r.limit)
        return qe.QueryRequest(
            limit=r.limit,
            prefetches=[qe.Prefetch(limit=depth, query=q, filter=where, params=self._params if n == 0 else None)
                        for n, q in enumerate(queries)],
            query=qe.Fusion.Rrf(k=RRF_K) if r.fusion == "rrf" else qe.Fusion.Dbsf(),
            filter=where,
            with_payload=with_payload,
        )

    def _cached_fields(self, ids: list[str], fields: tuple[str, ...], generation: int) -> dict[str, dict]:
        """`fields` of each point that exists, from the cache or one `retrieve` (see module doc)."""
        with self._cache_lock:
            cache = self._fields.get(fields, {}) if generation == self._generation else {}
            known = {i: cache[i] for i in ids if i in cache}
        missing = [i for i in dict.fromkeys(ids) if i not in known]
        if missing:
            records = self._shard.retrieve(missing, with_payload=qe.PayloadSelector.Include(list(fields)),
                                           with_vector=False)
            got = {str(r.id): r.payload or {} for r in records}
            with self._cache_lock:
                if generation == self._generation:
                    cache = self._fields.setdefault(fields, {})
                    if len(cache) + len(got) > FIELD_CACHE_POINTS:
                        cache.clear()
                    cache.update(got)
            known.update(got)
        return known

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        if self._shard is None or not ids:
            return {}
        records = self._shard.retrieve(list(dict.fromkeys(ids)), with_payload=True, with_vector=False)
        return {str(r.id): r.payload or {} for r in records}
