"""Answer candidates' vectors are computed at ingest, so a first-time question embeds only itself."""

from __future__ import annotations

import numpy as np
import pytest

from kb.answer_vectors import AnswerVectors
from kb.models import AskRequest, Document


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


class _Fake:
    fingerprint = "fake:1:3"

    def __init__(self):
        self.calls = 0

    def encode_passages(self, texts, batch_size=16):
        self.calls += 1
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)


def _doc(doc_id: str) -> Document:
    return Document(id=doc_id, source=f"{doc_id}.txt", title="t", lang="ru", genre="other", text="x")


def test_store_adds_looks_up_removes_and_backfills(tmp_path):
    fake = _Fake()
    store = AnswerVectors(tmp_path, fake, texts_of=lambda d: ["один", "два", "один"])
    assert store.add(_doc("a")) == 2  # duplicates embedded once
    calls = fake.calls
    assert store.add(_doc("a")) == 0 and fake.calls == calls  # stored again: nothing re-embedded
    store.remove("a")
    assert store.add(_doc("a2")) == 0  # a changed file's new version reuses what the old one had
    assert store.lookup("a2", "два").tolist() == [3.0, 1.0, 0.0]
    assert store.add(_doc("a")) == 2
    assert store.lookup("a", "два").tolist() == [3.0, 1.0, 0.0]
    assert store.lookup("a", "три") is None and store.lookup("b", "один") is None
    # A reopened store reads the file; a second backfill embeds nothing.
    again = AnswerVectors(tmp_path, fake, texts_of=lambda d: ["один"])
    assert again.lookup("a", "один") is not None
    assert again.reconcile(["a", "b"], _doc) == 1 and again.has("b")
    calls = fake.calls
    assert again.reconcile(["a", "b"], _doc) == 0 and fake.calls == calls
    again.remove("a")
    assert not again.has("a") and again.lookup("a", "один") is None


def test_a_damaged_file_means_embedding_live_not_an_error(tmp_path):
    store = AnswerVectors(tmp_path, _Fake(), texts_of=lambda d: ["один"])
    store.add(_doc("a"))
    store._path("a").write_bytes(b"not a zip")
    fresh = AnswerVectors(tmp_path, _Fake(), texts_of=lambda d: ["один"])
    assert fresh.lookup("a", "один") is None
