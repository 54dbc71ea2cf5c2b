"""Answer candidates' vectors are computed at ingest, so a first-time question embeds only itself."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sqlalchemy import func, select, update

from kb import db
from kb.answer_vectors import AnswerVectors
from kb.db.schema import answer_vectors
from kb.models import AskRequest, Document
from kb.store import DocStore
from pg_fixtures import postgres_server, settings  # noqa: F401  (fixtures)


def test_every_stored_document_has_its_candidate_vectors(corpus_kb):
    store = corpus_kb.answer_vectors
    assert all(store.has(doc_id) for doc_id in corpus_kb.docs.ids())


@pytest.mark.parametrize("question", [
    "Когда была создана рабочая группа по безопасности хвостохранилищ?",
    "Заңды тұлғалар жиналған озонды бұзатын заттарды қандай ыдыста сақтауға міндетті?",
    "Что юрлица обязаны соблюдать в отношении лимитов потребления озоноразрушающих веществ?",
])
def test_a_first_time_question_embeds_no_candidate(corpus_kb, question):
    answerer = corpus_kb.answerer
    live: list[str] = []
    orig = answerer._embed

    def spy(texts):
        live.extend(texts)
        return orig(texts)

    answerer._embed = spy
    try:
        a = answerer.analyse(AskRequest(question=question))
    finally:
        answerer._embed = orig
    assert a.best is not None and len(a.cands) > 20
    # Every candidate of the retrieved passages was embedded when its document was stored.
    assert live == []


def test_stored_vector_is_the_live_one(corpus_kb):
    answerer = corpus_kb.answerer
    doc = corpus_kb.get_document(next(iter(corpus_kb.docs.ids())))
    from kb.chunking import chunk_document

    texts = answerer.candidate_texts(doc, chunk_document(doc, count=corpus_kb.embedder.count_tokens))
    assert texts
    for text in texts[:3]:
        stored = corpus_kb.answer_vectors.lookup(doc.id, text)
        live = np.asarray(corpus_kb.embedder.encode_passages([text])[0])
        assert stored is not None and float(stored @ live) > 0.999


def test_another_worker_reads_the_vectors_without_embedding(corpus_kb):
    """A second process on the same database (its own engine, an empty cache, no local files)
    answers a first-time question with no candidate embedded: the vectors live in the database."""
    from kb.answers import Answerer
    from kb.chunking import chunk_document

    answerer = corpus_kb.answerer
    calls: list[int] = []

    class Spy:
        fingerprint = corpus_kb.ingest_embedder.fingerprint

        def encode_passages(self, texts, batch_size=16):
            calls.append(len(texts))
            return corpus_kb.ingest_embedder.encode_passages(texts, batch_size=batch_size)

    engine = db.create_engine_for(corpus_kb.settings)
    other = AnswerVectors(engine, Spy(), lambda d: Answerer.candidate_texts(
        d, chunk_document(d, count=corpus_kb.ingest_embedder.count_tokens)))
    live: list[str] = []
    orig_embed, orig_store = answerer._embed, answerer.stored_vectors

    def spy(texts):
        live.extend(texts)
        return orig_embed(texts)

    answerer._embed, answerer.stored_vectors = spy, other
    try:
        question = "Когда была создана рабочая группа по безопасности хвостохранилищ?"
        a = answerer.analyse(AskRequest(question=question))
        assert other.reconcile(corpus_kb.docs.ids(), corpus_kb.get_document) == 0
    finally:
        answerer._embed, answerer.stored_vectors = orig_embed, orig_store
        engine.dispose()
    assert a.best is not None and live == [] and calls == []


class _Fake:
    fingerprint = "fake:1:3"

    def __init__(self, gate: threading.Event | None = None):
        self.calls = 0
        self.gate = gate

    def encode_passages(self, texts, batch_size=16):
        if self.gate is not None:
            assert self.gate.wait(30)
        self.calls += 1
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)


def _doc(doc_id: str) -> Document:
    return Document(id=doc_id, source=f"{doc_id}.txt", title="t", lang="ru", genre="other", text="x")


def _rows(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(answer_vectors))


def test_store_adds_looks_up_removes_and_backfills(settings):
    engine = DocStore(settings).engine
    fake = _Fake()
    store = AnswerVectors(engine, fake, texts_of=lambda d: ["один", "два", "один"])
    assert store.add(_doc("a")) == 2  # duplicates embedded once
    calls = fake.calls
    assert store.add(_doc("a")) == 0 and fake.calls == calls  # stored again: nothing re-embedded
    assert _rows(engine) == 1
    store.remove("a")
    assert _rows(engine) == 0
    assert store.add(_doc("a2")) == 0  # a changed file's new version reuses what the old one had
    assert store.lookup("a2", "два").tolist() == [3.0, 1.0, 0.0]
    assert store.add(_doc("a")) == 2
    assert store.lookup("a", "два").tolist() == [3.0, 1.0, 0.0]
    assert store.lookup("a", "три") is None and store.lookup("b", "один") is None
    # Another worker: its own engine and cache, the same database; it reads, never embeds.
    db.dispose(settings)
    other = db.create_engine_for(settings)
    try:
        fake2 = _Fake()
        again = AnswerVectors(other, fake2, texts_of=lambda d: ["один"])
        assert again.lookup("a", "один").tolist() == [4.0, 1.0, 0.0] and fake2.calls == 0
        assert again.reconcile(["a", "b"], _doc) == 1 and again.has("b") and fake2.calls == 1
        assert again.reconcile(["a", "b"], _doc) == 0 and fake2.calls == 1
        again.remove("a")
        assert not again.has("a") and again.lookup("a", "один") is None
        # Another model's vectors are other rows; removing the document removes them too.
        third = AnswerVectors(other, type("F", (_Fake,), {"fingerprint": "other:2:3"})(), lambda d: ["x"])
        assert third.missing(["a2", "b"]) == ["a2", "b"]
        third.add(_doc("b"))
        assert _rows(other) == 3
        third.remove("b")
        assert _rows(other) == 1 and not again.has("b")
    finally:
        other.dispose()


def test_a_row_is_written_whole(settings):
    """The matrix is stored as little-endian float32 bytes with its keys: the bytes round-trip."""
    engine = DocStore(settings).engine
    store = AnswerVectors(engine, _Fake(), texts_of=lambda d: [f"t{i}" * (i + 1) for i in range(50)])
    store.add(_doc("a"))
    with engine.connect() as conn:
        dim, keys, blob = conn.execute(select(answer_vectors.c.dim, answer_vectors.c.text_keys,
                                              answer_vectors.c.vecs)).one()
    assert dim == 3 and len(keys) == 50 * 24 and len(bytes(blob)) == 50 * 3 * 4
    fresh = AnswerVectors(engine, _Fake(), texts_of=lambda d: [])
    assert fresh.lookup("a", "t3t3t3t3").tolist() == [8.0, 1.0, 0.0]


def test_a_damaged_row_means_embedding_live_not_an_error(settings):
    engine = DocStore(settings).engine
    store = AnswerVectors(engine, _Fake(), texts_of=lambda d: ["один"])
    store.add(_doc("a"))
    with db.writing(engine) as conn:
        conn.execute(update(answer_vectors).values(vecs=b"damaged"))
    fresh = AnswerVectors(engine, _Fake(), texts_of=lambda d: ["один"])
    assert fresh.lookup("a", "один") is None


def test_backfill_runs_in_the_background_and_prunes(settings):
    """Opening the answerer does not wait for the backfill: lookups miss (the answer embeds
    live) until the document's row lands; rows of documents no longer stored are deleted."""
    docs = DocStore(settings)
    docs.put(_doc("kept"))
    gate = threading.Event()
    store = AnswerVectors(docs.engine, _Fake(gate), texts_of=lambda d: ["один"])
    AnswerVectors(docs.engine, _Fake(), texts_of=lambda d: ["два"]).add(_doc("gone"))  # a crash left it
    thread = store.start_backfill(docs.ids, docs.get, nice=5)
    assert store.start_backfill(docs.ids, docs.get) is thread  # one at a time
    assert thread.is_alive() and store.lookup("kept", "один") is None  # the embedder is held
    gate.set()
    thread.join(30)
    assert not thread.is_alive()
    assert store.has("kept") and not store.has("gone")
    store.close()


def test_close_stops_the_backfill(settings):
    docs = DocStore(settings)
    for name in ("d1", "d2", "d3"):
        docs.put(_doc(name))
    gate = threading.Event()
    fake = _Fake(gate)
    store = AnswerVectors(docs.engine, fake, texts_of=lambda d: ["один"])
    store.start_backfill(docs.ids, docs.get)
    threading.Timer(0.2, gate.set).start()
    store.close()  # waits for the document in hand, then stops
    assert fake.calls <= 1 and len(store.missing(docs.ids())) >= 2


def test_the_table_comes_with_revision_0005(settings):
    """An existing database at revision 0004 gets the table on opening; downgrading drops it."""
    from alembic import command
    from sqlalchemy import inspect

    engine = db.create_engine_for(settings)
    try:
        with db.writing(engine) as conn:
            command.upgrade(db._alembic_config(conn), "0004")
        assert not inspect(engine).has_table("answer_vectors")
        db.migrate(engine)
        assert inspect(engine).has_table("answer_vectors") and db.current_revision(engine) == "0005"
        with db.writing(engine) as conn:
            command.downgrade(db._alembic_config(conn), "0004")
        assert not inspect(engine).has_table("answer_vectors")
    finally:
        engine.dispose()
