"""Re-ingesting a changed file embeds only the passages whose text changed (kb.indexer)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from embedding_fixtures import embedder, embedding_model_dir  # noqa: F401  (fixtures)

from kb.config import Settings
from kb.indexer import EMBED_HASH
from kb.models import SearchRequest

REPO = Path(__file__).resolve().parents[1]
ACT = REPO / "corpora" / "acts" / "ru" / "gov-2023-mchs-nura-district-emergency-department.md"
OLD = "вводится в действие со дня его подписания"
NEW = "вводится в действие по истечении десяти календарных дней после дня его первого официального опубликования"


@pytest.fixture
def kb(tmp_path, embedding_model_dir):  # noqa: F811
    from kb.service import KnowledgeBase

    kb = KnowledgeBase(Settings(data_dir=tmp_path / "data", embedding_model=embedding_model_dir, torch_threads=1))
    yield kb
    kb.close()


@pytest.fixture
def spy(kb, monkeypatch):
    """Records every text the indexer sends to the model."""
    sent: list[str] = []
    real = kb.embedder.encode_passages

    def encode_passages(texts, *args, **kwargs):
        sent.extend(texts)
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(kb.embedder, "encode_passages", encode_passages)
    return sent


def stored(kb, doc_id: str) -> dict[str, np.ndarray]:
    return {h: np.asarray(v) for h, v in kb.index.document_vectors(doc_id, EMBED_HASH).items()}


def test_changed_file_reembeds_only_changed_passages(kb, spy, tmp_path):
    path = tmp_path / "act.md"
    text = ACT.read_text(encoding="utf-8")
    assert text.count(OLD) == 1
    path.write_text(text, encoding="utf-8")

    first = kb.ingest([path])
    assert first.ok and first.files[0].status == "added"
    old_id = first.files[0].doc_id
    n = kb.index.count()
    assert n >= 3 and len(spy) == n and kb.indexer.reused == 0
    before = stored(kb, old_id)
    assert len(before) == n

    spy.clear()
    path.write_text(text.replace(OLD, NEW), encoding="utf-8")
    second = kb.ingest([path])
    assert second.ok and second.files[0].status in {"added", "updated"}
    new_id = second.files[0].doc_id
    assert new_id != old_id  # a changed file is a new document version
    assert kb.index.document_ids() == {new_id}

    # only what changed went to the model; everything else kept its vector
    assert spy and all("календарных дней" in t for t in spy)
    after = stored(kb, new_id)
    assert kb.index.count() == len(after)
    assert kb.indexer.reused == len(after) - len(spy) >= n - 2
    kept = set(before) & set(after)
    assert len(kept) == kb.indexer.reused
    for h in kept:
        assert np.array_equal(before[h], after[h])

    # the re-embedded passage is searchable by its new wording
    hits = kb.search(SearchRequest(q="по истечении десяти календарных дней", mode="dense", top_k=1)).hits
    assert hits and "календарных дней" in hits[0].text


def test_forced_reingest_of_an_unchanged_file_embeds_nothing(kb, spy, tmp_path):
    path = tmp_path / "act.md"
    shutil.copy(ACT, path)
    assert kb.ingest([path]).ok
    n = len(spy)
    spy.clear()
    report = kb.ingest([path], force=True)
    assert report.ok
    assert spy == [] and kb.indexer.reused == n and kb.index.count() == n


# --- the stores' side: document_vectors -----------------------------------------------------


@pytest.fixture(params=["edge", "memory"])
def store(request, tmp_path):
    from qdrant_client import QdrantClient

    from kb.index.edge import EdgeStore
    from kb.index.server import ServerStore

    if request.param == "edge":
        s = EdgeStore(tmp_path / "qdrant")
    else:
        s = ServerStore(QdrantClient(":memory:"), "test")
    yield s
    s.close()


def test_document_vectors_returns_one_documents_vectors_by_key(store):
    from kb.index.base import IndexPoint, SparseVec
    from kb.chunking import passage_id

    assert store.document_vectors("a", EMBED_HASH) == {}  # no collection yet
    store.ensure_collection(4)
    rng = np.random.default_rng(1)

    def point(doc: str, n: int, **payload) -> IndexPoint:
        v = rng.normal(size=4)
        dense = (v / np.linalg.norm(v)).tolist()
        return IndexPoint(passage_id(doc, n), dense, SparseVec([], []), {"doc_id": doc, **payload})

    # 300 points: more than one scroll page
    a = [point("a", i, **{EMBED_HASH: f"h{i}"}) for i in range(300)]
    store.upsert(a + [point("a", 300), point("b", 0, **{EMBED_HASH: "hb"})])
    got = store.document_vectors("a", EMBED_HASH)
    assert set(got) == {f"h{i}" for i in range(300)}  # the point without the key is left out, b's too
    assert np.allclose(got["h7"], a[7].dense, atol=1e-6)
    assert store.document_vectors("missing", EMBED_HASH) == {}
