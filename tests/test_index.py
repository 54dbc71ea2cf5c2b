"""The vector index on the real embedded engine, the same suite on qdrant-client's
in-memory mode, and (opt-in, `-m server`) on a real Qdrant server.

Vectors are small and synthetic: no embedding model is needed.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from kb.config import Settings
from kb.index import (
    IndexConfigError,
    IndexLockedError,
    IndexStoreError,
    IndexPoint,
    IndexUnavailableError,
    InvalidPointError,
    SearchArgs,
    SparseVec,
    open_store,
)
from kb.index import sparse as sp
from kb.index.edge import EdgeStore
from kb.index.server import ServerStore
from kb.models import SearchFilters

DIM = 8
REPO = Path(__file__).resolve().parents[1]


def pid(doc: str, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{doc}/{n}"))


def unit(v) -> list[float]:
    v = np.asarray(v, dtype=np.float64)
    return (v / np.linalg.norm(v)).tolist()


def basis(i: int, noise: float = 0.0, rng=None) -> list[float]:
    v = np.full(DIM, 0.01)
    v[i % DIM] = 1.0
    if noise and rng is not None:
        v = v + rng.normal(0, noise, DIM)
    return unit(v)


def point(doc: str, n: int, dense, words: list[str], **payload) -> IndexPoint:
    return IndexPoint(
        id=pid(doc, n),
        dense=dense,
        sparse=sp.weights_from_counts(Counter(words)),
        payload={"doc_id": doc, "n": n, **payload},
    )


# --- store fixtures ------------------------------------------------------------------------------


def _server_client():
    url = os.environ.get("KB_QDRANT_URL")
    if url:
        return QdrantClient(url=url, api_key=os.environ.get("KB_QDRANT_API_KEY"), check_compatibility=False), None
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        pytest.skip("no KB_QDRANT_URL and no Docker daemon: server tests skipped")
    from testcontainers.qdrant import QdrantContainer

    container = QdrantContainer()
    container.start()
    return container.get_client(), container


@pytest.fixture(scope="module")
def server_client():
    client, container = _server_client()
    yield client
    client.close()
    if container is not None:
        container.stop()


@pytest.fixture(
    params=["edge", "memory", pytest.param("server", marks=pytest.mark.server)],
)
def make_store(request, tmp_path):
    """A factory: make_store() opens (or reopens) a store on the same backing data."""
    opened = []
    kind = request.param
    if kind == "server":
        client = request.getfixturevalue("server_client")
        name = f"test_{uuid.uuid4().hex}"
    elif kind == "memory":
        client = QdrantClient(":memory:")
        name = "test"

    def factory():
        if kind == "edge":
            store = EdgeStore(tmp_path / "qdrant")
        else:
            store = ServerStore(client, name)
        opened.append(store)
        return store

    factory.kind = kind
    yield factory
    for store in opened:
        if kind == "edge":
            store.close()
    if kind == "server":
        client.delete_collection(name)
    elif kind == "memory":
        client.close()


@pytest.fixture
def store(make_store):
    s = make_store()
    s.ensure_collection(DIM)
    return s


# Five documents: different languages, genres, dates, conventions and agencies.
DOCS = {
    "d-basel": dict(
        lang="ru", genre="law", date="2021-03-15", conventions=["basel"], agencies=["ecogeo"], act_id="kzlaw-1"
    ),
    "d-minamata": dict(lang="ru", genre="decision", date="2017-09-29", conventions=["minamata"], agencies=[]),
    "d-stockholm": dict(
        lang="kk", genre="press_release", date="2025-05-02", conventions=["stockholm", "basel"], agencies=["ecogeo"],
        act_id="kzlaw-1",  # the same act as d-basel, in the other language
    ),
    "d-plan": dict(lang="ru", genre="plan", date="2022-10-01", conventions=[], agencies=["minprom", "ecogeo"]),
    "d-undated": dict(lang="mixed", genre="other", date=None, conventions=[], agencies=[]),
}


def corpus_points() -> list[IndexPoint]:
    rng = np.random.default_rng(7)
    pts = []
    for k, (doc, meta) in enumerate(DOCS.items()):
        for n in range(3):
            words = [f"w{doc}", f"n{n}", "common"]
            pts.append(point(doc, n, basis(k, 0.05, rng), words, **meta))
    return pts


@pytest.fixture
def loaded(store):
    store.upsert(corpus_points())
    return store


def docs_of(hits) -> set[str]:
    return {h.payload["doc_id"] for h in hits}


# --- collection and writes -------------------------------------------------------------------------


def test_empty_store_before_collection(make_store):
    s = make_store()
    assert s.count() == 0
    assert s.document_ids() == set()
    assert s.search(dense=basis(0), sparse=None, filters=None, limit=5) == []


def test_ensure_collection_is_idempotent_and_checks_dim(store):
    store.ensure_collection(DIM)
    with pytest.raises(IndexConfigError, match="16|8"):
        store.ensure_collection(16)


def test_upsert_count_and_document_ids(loaded):
    assert loaded.count() == 15
    assert loaded.document_ids() == set(DOCS)


def test_same_points_twice_change_nothing(loaded):
    before = loaded.search(dense=basis(1), sparse=None, filters=None, limit=15)
    loaded.upsert(corpus_points())
    after = loaded.search(dense=basis(1), sparse=None, filters=None, limit=15)
    assert loaded.count() == 15
    assert [(h.id, round(h.score, 5)) for h in before] == [(h.id, round(h.score, 5)) for h in after]


def test_invalid_points_are_refused_whole(store):
    good = point("d1", 0, basis(0), ["a"])
    bad_id = IndexPoint(id="passage-1", dense=basis(0), sparse=SparseVec([], []), payload={"doc_id": "d1"})
    with pytest.raises(InvalidPointError, match="passage-1"):
        store.upsert([good, bad_id])
    no_doc = IndexPoint(id=pid("d1", 2), dense=basis(0), sparse=SparseVec([], []), payload={})
    with pytest.raises(InvalidPointError, match="doc_id"):
        store.upsert([good, no_doc])
    assert store.count() == 0
    wrong_dim = point("d1", 1, [1.0, 0.0], ["a"])
    with pytest.raises(InvalidPointError, match="dimensions"):
        store.upsert([good, wrong_dim])
    assert store.count() == 0


def test_delete_document(loaded):
    loaded.delete_document("d-basel")
    assert loaded.count() == 12
    assert loaded.document_ids() == set(DOCS) - {"d-basel"}
    hits = loaded.search(dense=basis(0), sparse=None, filters=None, limit=15)
    assert "d-basel" not in docs_of(hits)
    loaded.delete_document("no-such-doc")
    assert loaded.count() == 12


def test_replace_document_drops_stale_points(loaded):
    meta = {**DOCS["d-plan"], "genre": "report"}
    new = [point("d-plan", n, basis(3), ["revised", f"n{n}"], **meta) for n in range(2)]
    loaded.replace_document("d-plan", new)
    assert loaded.count() == 14
    hits = loaded.search(dense=None, sparse=None, filters=SearchFilters(doc_id=["d-plan"]), limit=10)
    assert hits == []  # no vector: nothing to rank
    plan = loaded.search(dense=basis(3), sparse=None, filters=SearchFilters(doc_id=["d-plan"]), limit=10)
    assert sorted(h.id for h in plan) == sorted(p.id for p in new)
    assert {h.payload["genre"] for h in plan} == {"report"}
    # the revised text is searchable, the old one is not
    assert docs_of(loaded.search(dense=None, sparse=sp.query_from_terms(["revised"]), filters=None, limit=5)) == {
        "d-plan"
    }
    assert loaded.search(dense=None, sparse=sp.query_from_terms(["wd-plan"]), filters=None, limit=5) == []
    # the other documents are untouched
    assert loaded.document_ids() == set(DOCS)


def test_replace_with_no_points_deletes(loaded):
    loaded.replace_document("d-minamata", [])
    assert "d-minamata" not in loaded.document_ids()


# --- filters --------------------------------------------------------------------------------------

FILTER_CASES = [
    (SearchFilters(lang=["kk"]), {"d-stockholm"}),
    (SearchFilters(lang=["ru", "mixed"]), {"d-basel", "d-minamata", "d-plan", "d-undated"}),
    (SearchFilters(genre=["decision", "plan"]), {"d-minamata", "d-plan"}),
    (SearchFilters(convention=["basel"]), {"d-basel", "d-stockholm"}),
    (SearchFilters(agency=["ecogeo"]), {"d-basel", "d-stockholm", "d-plan"}),
    (SearchFilters(agency=["minprom"], convention=["basel"]), set()),
    (SearchFilters(doc_id=["d-plan", "d-minamata"]), {"d-plan", "d-minamata"}),
    (SearchFilters(date_from=dt.date(2021, 3, 15)), {"d-basel", "d-stockholm", "d-plan"}),
    (SearchFilters(date_to=dt.date(2021, 3, 15)), {"d-basel", "d-minamata"}),
    (SearchFilters(date_from=dt.date(2018, 1, 1), date_to=dt.date(2022, 12, 31)), {"d-basel", "d-plan"}),
    (SearchFilters(date_from=dt.date(2030, 1, 1)), set()),
    (SearchFilters(convention=["no-such-convention"]), set()),
    (SearchFilters(doc_id=["no-such-doc"]), set()),
    (SearchFilters(act_id=["kzlaw-1"]), {"d-basel", "d-stockholm"}),
    # One act's version in one language: how search finds an act's passage in its other language.
    (SearchFilters(act_id=["kzlaw-1"], lang=["kk"]), {"d-stockholm"}),
    (SearchFilters(act_id=["kzlaw-2"]), set()),
    (SearchFilters(), set(DOCS)),
]


@pytest.mark.parametrize("filters,expected", FILTER_CASES, ids=[str(i) for i in range(len(FILTER_CASES))])
def test_filters(loaded, filters, expected):
    for dense, sparse in [
        (basis(0), None),
        (None, sp.query_from_terms(["common"])),
        (basis(0), sp.query_from_terms(["common"])),
    ]:
        hits = loaded.search(dense=dense, sparse=sparse, filters=filters, limit=20)
        assert docs_of(hits) == expected, (dense is not None, sparse is not None)


def test_date_given_as_date_object_filters(store):
    store.upsert([point("d-x", 0, basis(0), ["x"], date=dt.date(2020, 6, 1))])
    hits = store.search(
        dense=basis(0), sparse=None, filters=SearchFilters(date_from=dt.date(2020, 5, 31)), limit=5
    )
    assert [h.payload["date"] for h in hits] == ["2020-06-01"]
    assert store.search(dense=basis(0), sparse=None, filters=SearchFilters(date_to=dt.date(2020, 5, 31)), limit=5) == []


def test_search_with_fields_then_whole_payloads(loaded):
    """Ranking reads a few fields; the page's payloads come whole, by id, in one call."""
    for dense, sparse in [(basis(0), None), (basis(0), sp.query_from_terms(["common"]))]:
        lean = loaded.search(dense=dense, sparse=sparse, filters=None, limit=20, fusion="dbsf",
                             fields=["doc_id", "lang"])
        full = loaded.search(dense=dense, sparse=sparse, filters=None, limit=20, fusion="dbsf")
        assert [(h.id, h.score) for h in lean] == [(h.id, h.score) for h in full]
        assert all(set(h.payload) == {"doc_id", "lang"} for h in lean)
        whole = loaded.payloads([h.id for h in lean] + ["00000000-0000-0000-0000-000000000000"])
        assert whole == {h.id: h.payload for h in full}  # an unknown id is simply absent
    assert loaded.payloads([]) == {}


def test_search_many_is_each_search_in_order(loaded):
    """One engine batch gives what the searches give one by one; an empty request gives []."""
    requests = [
        SearchArgs(basis(0), sp.query_from_terms(["common"]), SearchFilters(lang=["ru"]), 5, "dbsf", 20),
        SearchArgs(None, None, None, 5),
        SearchArgs(basis(1), None, SearchFilters(lang=["kk", "mixed"]), 3),
        SearchArgs(None, sp.query_from_terms(["wd-plan"]), None, 4, "rrf"),
    ]
    one_by_one = [loaded.search(dense=r.dense, sparse=r.sparse, filters=r.filters, limit=r.limit, fusion=r.fusion,
                                prefetch_limit=r.prefetch_limit, fields=["doc_id"]) for r in requests]
    batch = loaded.search_many(requests, fields=["doc_id"])
    assert [[(h.id, h.score, h.payload) for h in hits] for hits in batch] == \
        [[(h.id, h.score, h.payload) for h in hits] for hits in one_by_one]
    assert batch[1] == [] and batch[0] and docs_of(batch[3]) == {"d-plan"}
    assert loaded.search_many([]) == []
    with pytest.raises(ValueError, match="limit"):
        loaded.search_many([SearchArgs(basis(0), None, None, 0)])


def test_ranking_fields_follow_every_write(loaded):
    """The fields ranking reads are never those of before a write (the edge store caches them)."""
    probe = dict(dense=basis(0), sparse=None, filters=None, limit=20, fields=["doc_id", "act_id"])
    before = {h.payload["doc_id"]: h.payload.get("act_id") for h in loaded.search(**probe)}
    assert before["d-basel"] == "kzlaw-1"
    loaded.set_payload_by_doc("d-basel", {"act_id": "kzlaw-2"})
    assert {h.payload.get("act_id") for h in loaded.search(**probe) if h.payload["doc_id"] == "d-basel"} == {"kzlaw-2"}
    loaded.delete_document("d-basel")
    assert "d-basel" not in docs_of(loaded.search(**probe))
    loaded.upsert([point("d-basel", 0, basis(0), ["x"], lang="ru", act_id="kzlaw-3")])
    assert {h.payload.get("act_id") for h in loaded.search(**probe) if h.payload["doc_id"] == "d-basel"} == {"kzlaw-3"}
    loaded.replace_document("d-basel", [point("d-basel", 1, basis(0), ["x"], lang="ru", act_id="kzlaw-4")])
    hits = [h for h in loaded.search(**probe) if h.payload["doc_id"] == "d-basel"]
    assert [(h.id, h.payload.get("act_id")) for h in hits] == [(pid("d-basel", 1), "kzlaw-4")]


# --- ranking --------------------------------------------------------------------------------------


@pytest.fixture
def fusion_store(store):
    """A: nearest to the query vector, no shared term. B and C: far away, the only holders of 'rare'."""
    rng = np.random.default_rng(3)
    pts = [point("filler", n, basis(1 + n % 6, 0.3, rng), ["common", f"f{n}"]) for n in range(30)]
    pts.append(point("doc-a", 0, basis(0), ["common", "alpha"]))
    pts.append(point("doc-b", 0, unit(-np.asarray(basis(0))), ["common", "rare"]))
    pts.append(point("doc-c", 0, unit(-np.asarray(basis(1))), ["common", "rare", "rare"]))
    store.upsert(pts)
    return store


def test_single_vector_searches(fusion_store):
    dense = fusion_store.search(dense=basis(0), sparse=None, filters=None, limit=3)
    assert dense[0].payload["doc_id"] == "doc-a"
    assert not {"doc-b", "doc-c"} & docs_of(dense)
    lexical = fusion_store.search(dense=None, sparse=sp.query_from_terms(["rare"]), filters=None, limit=3)
    assert [h.payload["doc_id"] for h in lexical] == ["doc-c", "doc-b"]  # only points sharing a term
    assert fusion_store.search(dense=None, sparse=SparseVec([], []), filters=None, limit=3) == []


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
def test_hybrid_returns_points_found_by_either_vector(fusion_store, fusion):
    hits = fusion_store.search(
        dense=basis(0), sparse=sp.query_from_terms(["rare"]), filters=None, limit=3, fusion=fusion
    )
    # doc-a is found by the dense vector only, doc-c by the lexical one only
    assert {"doc-a", "doc-c"} <= docs_of(hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_rrf_keeps_a_lexical_only_match_above_dense_runners_up(fusion_store):
    hits = fusion_store.search(dense=basis(0), sparse=sp.query_from_terms(["rare"]), filters=None, limit=4)
    assert docs_of(hits[:3]) == {"doc-a", "doc-b", "doc-c"}


def test_idf_ranks_rare_term_above_common_one(fusion_store):
    hits = fusion_store.search(dense=None, sparse=sp.query_from_terms(["common", "rare"]), filters=None, limit=5)
    assert [h.payload["doc_id"] for h in hits[:2]] == ["doc-c", "doc-b"]
    assert hits[1].score > 2 * hits[2].score  # 'rare' outweighs 'common' thanks to IDF


# --- persistence, crashes, locking (embedded engine) ---------------------------------------------


def test_open_store_picks_backend(tmp_path):
    s = open_store(Settings(data_dir=tmp_path, qdrant_url=None))
    try:
        assert isinstance(s, EdgeStore) and s.path == tmp_path / "qdrant"
    finally:
        s.close()


def test_unreachable_server_names_url():
    url = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(IndexUnavailableError, match="127.0.0.1:9"):
        open_store(Settings(qdrant_url=url))


def test_reopen_after_close_keeps_everything(tmp_path):
    s = EdgeStore(tmp_path / "q")
    s.ensure_collection(DIM)
    s.upsert(corpus_points())
    s.delete_document("d-minamata")
    # limit above the point count: equal scores may come back in another order after a reopen
    before = s.search(dense=basis(2), sparse=sp.query_from_terms(["common"]), filters=None, limit=20)
    s.close()
    s = EdgeStore(tmp_path / "q")
    try:
        assert s.count() == 12
        assert s.document_ids() == set(DOCS) - {"d-minamata"}
        s.ensure_collection(DIM)  # existing shard: checked, not recreated
        assert s.count() == 12
        after = s.search(dense=basis(2), sparse=sp.query_from_terms(["common"]), filters=None, limit=20)
        # (fused scores follow ranks, so tied points may swap scores: compare ids and scores as sets)
        assert {h.id for h in after} == {h.id for h in before}
        assert sorted(round(h.score, 4) for h in after) == sorted(round(h.score, 4) for h in before)
        hits = s.search(dense=basis(2), sparse=None, filters=SearchFilters(convention=["basel"]), limit=10)
        assert docs_of(hits) == {"d-basel", "d-stockholm"}  # payload indexes survive the reopen
        with pytest.raises(IndexConfigError, match="re-ingest"):
            s.ensure_collection(DIM * 2)
    finally:
        s.close()


def test_optimize_then_reopen(tmp_path):
    s = EdgeStore(tmp_path / "q")
    s.ensure_collection(DIM)
    s.upsert(corpus_points())
    s.optimize()
    assert s.count() == 15
    s.close()
    s = EdgeStore(tmp_path / "q")
    try:
        assert s.count() == 15
    finally:
        s.close()


def test_optimize_runs_in_a_child_process_with_progress_while_reads_wait(tmp_path):
    """The engine's optimize holds the GIL for minutes at scale: it runs in a child process,
    progress is reported meanwhile, and a search that arrives during it waits and gets its hits."""
    import threading
    import time

    from kb.index import edge_rebuild

    s = EdgeStore(tmp_path / "q")
    s.ensure_collection(DIM)
    s.upsert(corpus_points())
    query = dict(dense=basis(0), sparse=None, filters=None, limit=3)
    before = docs_of(s.search(**query))
    calls: list[tuple[float, float]] = []
    during: list[set[str]] = []

    def searcher() -> None:
        deadline = time.monotonic() + 30
        while s._open.is_set() and time.monotonic() < deadline:  # wait for the rebuild to begin
            time.sleep(0.001)
        during.append(docs_of(s.search(**query)))

    t = threading.Thread(target=searcher, daemon=True)
    t.start()
    try:
        s.optimize(progress=lambda elapsed, total: calls.append((elapsed, total)))
        t.join(60)
        assert during == [before]
        assert len(calls) >= 2 and calls[-1][0] == calls[-1][1] and calls[0][1] > 0
        # a rebuild of seconds teaches nothing about the next one; a long one is kept for its estimate
        assert not (tmp_path / "q" / edge_rebuild.TIMING_FILE).exists()
        edge_rebuild.record(tmp_path / "q", 200_000, 300.0)
        assert edge_rebuild.estimate_s(tmp_path / "q", 400_000) == pytest.approx(300.0 * 2 ** edge_rebuild.EXPONENT)
        assert s.count() == 15
    finally:
        s.close()


def test_a_failed_rebuild_says_so_and_keeps_the_index_open(tmp_path, monkeypatch):
    import kb.index.edge as edge

    s = EdgeStore(tmp_path / "q")
    s.ensure_collection(DIM)
    s.upsert(corpus_points())
    monkeypatch.setattr(edge.sys, "executable", "/bin/false")
    try:
        with pytest.raises(IndexStoreError, match="rebuilding the index .* failed"):
            s.optimize()
        assert s.count() == 15 and docs_of(s.search(dense=basis(0), sparse=None, filters=None, limit=3))
    finally:
        s.close()


def test_second_opener_gets_a_clear_lock_error(tmp_path):
    s = EdgeStore(tmp_path / "q")
    s.ensure_collection(DIM)
    try:
        with pytest.raises(IndexLockedError, match="in use"):
            EdgeStore(tmp_path / "q")
    finally:
        s.close()
    EdgeStore(tmp_path / "q").close()  # free again once closed


WRITER = textwrap.dedent(
    """
    import os, sys, uuid
    import numpy as np
    from kb.index.edge import EdgeStore
    from kb.index.base import IndexPoint
    from kb.index.sparse import query_from_terms
    path, mode = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(0)
    s = EdgeStore(path)
    s.ensure_collection(8)
    batch = 0
    while True:
        pts = [IndexPoint(str(uuid.uuid5(uuid.NAMESPACE_URL, f"{batch}/{i}")), rng.normal(size=8).tolist(),
                          query_from_terms([f"t{i}", "all"]), {"doc_id": f"doc{batch}"}) for i in range(50)]
        s.upsert(pts)
        batch += 1
        print(batch, flush=True)
        if mode == "exit" and batch == 3:
            os._exit(0)  # no flush, no close
    """
)


def _writer(path: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _check_consistent(path: Path, at_least: int) -> None:
    s = EdgeStore(path)
    try:
        n = s.count()
        assert n >= at_least * 50 and n % 50 == 0  # every batch is all or nothing
        assert len(s.document_ids()) == n // 50
        hits = s.search(dense=[1.0] * 8, sparse=sp.query_from_terms(["all"]), filters=None, limit=5)
        assert len(hits) == 5
        s.upsert(
            [IndexPoint(pid("after", 0), [1.0] * 8, sp.query_from_terms(["x"]), {"doc_id": "after"})]
        )
        assert s.count() == n + 1
    finally:
        s.close()


def test_exit_without_close_keeps_writes(tmp_path):
    proc = _writer(tmp_path / "q", "exit")
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    _check_consistent(tmp_path / "q", at_least=3)


def test_killed_mid_upsert_reopens_consistent(tmp_path):
    proc = _writer(tmp_path / "q", "loop")
    try:
        done = 0
        deadline = time.monotonic() + 60
        while done < 5 and time.monotonic() < deadline:
            done = int(proc.stdout.readline() or 0)
        assert done >= 5
        with pytest.raises(IndexLockedError):
            EdgeStore(tmp_path / "q")  # the writer holds the directory
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    _check_consistent(tmp_path / "q", at_least=done)


# --- sparse vectors -------------------------------------------------------------------------------


def test_term_index_is_stable_uint32():
    # Pinned: the stored index depends on it, so a change here invalidates every index.
    # Pinned values also prove it is not Python's per-process salted hash().
    assert sp.term_index("отход") == 2919000504
    assert sp.term_index("қалдық") != sp.term_index("калдык")
    assert all(0 <= sp.term_index(t) < 2**32 for t in ["a", "б", "ә", "x" * 100])


def test_bm25_document_weights():
    short = sp.weights_from_counts({"a": 1}, length=10)
    long = sp.weights_from_counts({"a": 1}, length=200)
    assert short.values[0] > long.values[0]  # length normalisation
    w = [sp.weights_from_counts({"a": tf}, length=60).values[0] for tf in (1, 2, 4, 50)]
    assert w == sorted(w) and w[-1] < sp.K1 + 1  # grows with tf, saturates below k1+1
    assert sp.weights_from_counts({"a": 1}, length=int(sp.AVG_LEN)).values[0] == pytest.approx(1.0)


def test_doc_and_query_vectors_use_the_analyser(monkeypatch):
    analyses = {"ru": ["отход", "отход", "вода"], "kk": ["қалдық", "отход"], "mixed": ["су", "отход"]}
    fake = lambda text, lang: list(analyses[lang])  # noqa: E731
    monkeypatch.setattr(sp, "terms", fake)
    monkeypatch.setattr("kb.lang.terms", fake)  # query terms come from kb.lang.query_terms
    ru = sp.doc_sparse("ignored", "ru")
    assert len(ru.indices) == 2 and ru.indices == sorted(ru.indices)
    weight = dict(zip(ru.indices, ru.values))
    assert weight[sp.term_index("отход")] > weight[sp.term_index("вода")]
    q = sp.query_sparse("ignored", "kk")
    assert q.values == [1.0, 1.0] and set(q.indices) == {sp.term_index("қалдық"), sp.term_index("отход")}
    # unsure query language: both analyses, each term once
    both = sp.query_sparse("ignored", None)
    assert sorted(both.indices) == sorted(sp.term_index(t) for t in ["отход", "вода", "қалдық"])
    assert sp.query_sparse("ignored", "mixed") == both
    # a mixed or unknown passage: the analyser's own word-by-word decision
    for lang in ("mixed", None):
        assert set(sp.doc_sparse("ignored", lang).indices) == {sp.term_index("су"), sp.term_index("отход")}


def test_real_analyser_round_trip(store):
    """Text -> terms -> sparse vector -> engine: a word of the query finds its passage."""
    texts = {
        "ru": "Оператор обязан представить отчёт о выбросах загрязняющих веществ.",
        "kk": "Оператор ластаушы заттардың шығарындылары туралы есеп ұсынуға міндетті.",
    }
    for n, (lang, text) in enumerate(texts.items()):
        store.upsert(
            [IndexPoint(pid("t", n), basis(n), sp.doc_sparse(text, lang), {"doc_id": f"t-{lang}", "lang": lang})]
        )
    hits = store.search(dense=None, sparse=sp.query_sparse("отчёт о выбросах", "ru"), filters=None, limit=5)
    assert hits and hits[0].payload["doc_id"] == "t-ru"
