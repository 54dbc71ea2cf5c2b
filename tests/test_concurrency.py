"""Parallel reads, one writer (issue 14): searches and /health go on while a file is ingested.

A real KnowledgeBase (model, embedded Qdrant, SQLite) behind a real uvicorn server; clients
are threads with their own HTTP connections. Nothing here is timed: the checks are that
reads complete *while* the writer is still working, and that nothing fails.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from api.app import create_app
from browser_support import Server

V1 = "api/v1"
QUERIES = ["охрана озонового слоя", "озон қабатын қорғау", "хвостохранилища рабочая группа", "сынап"]


def _big_text(n: int) -> str:
    # Enough distinct paragraphs that embedding them takes a while on one thread.
    return "\n\n".join(
        f"Статья {i}. Уполномоченный орган ежегодно до 1 марта направляет отчет номер {i} "
        f"о состоянии окружающей среды в районе {i} и мерах по охране водных объектов." for i in range(1, n)
    )


@pytest.fixture(scope="module")
def served(corpus_kb):
    corpus_kb.warm_up()
    _, secret = corpus_kb.keys.create("write", "concurrency test")
    with Server(create_app(corpus_kb)) as url:
        yield url, secret, corpus_kb


def test_searches_and_health_answer_while_an_upload_is_ingested(served):
    url, secret, kb = served
    upload_done = threading.Event()
    during: list[str] = []
    errors: list[str] = []
    doc_id: list[str] = []

    def upload() -> None:
        try:
            with httpx.Client(base_url=url, timeout=600) as c:
                r = c.post(f"{V1}/documents", files={"file": ("big.txt", _big_text(400).encode(), "text/plain")},
                           headers={"X-API-Key": secret})
                if r.status_code != 201:
                    errors.append(f"upload {r.status_code}: {r.text[:200]}")
                else:
                    doc_id.append(r.json()["id"])
        finally:
            upload_done.set()

    def reader(n: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as c:
            i = 0
            while not upload_done.is_set():
                r = c.post(f"{V1}/search", json={"q": QUERIES[(n + i) % len(QUERIES)], "top_k": 5})
                if r.status_code != 200:
                    errors.append(f"search {r.status_code}: {r.text[:200]}")
                elif not upload_done.is_set():
                    during.append("search")
                h = c.get(f"{V1}/health")
                if h.status_code != 200:
                    errors.append(f"health {h.status_code}")
                elif not upload_done.is_set():
                    during.append("health")
                i += 1

    writer = threading.Thread(target=upload)
    readers = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    writer.start()
    for t in readers:
        t.start()
    writer.join(600)
    for t in readers:
        t.join(120)
    try:
        assert not errors, errors[:5]
        # With one lock around every request (the old service) no read finished during the upload.
        assert during.count("search") >= 4 and during.count("health") >= 4, during
    finally:
        for d in doc_id:
            kb.delete_document(d)


def test_writes_are_serialised(served):
    """Two uploads at once both land, and the store and index agree afterwards."""
    url, secret, kb = served
    results: list[int] = []
    ids: list[str] = []

    def upload(n: int) -> None:
        with httpx.Client(base_url=url, timeout=600) as c:
            text = f"Памятка {n}\n\n" + _big_text(20 + n)
            r = c.post(f"{V1}/documents", files={"file": (f"memo{n}.txt", text.encode(), "text/plain")},
                       headers={"X-API-Key": secret})
            results.append(r.status_code)
            if r.status_code == 201:
                ids.append(r.json()["id"])

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    try:
        assert results == [201, 201, 201]
        indexed = kb.index.document_ids()
        assert set(ids) <= indexed and all(i in kb.docs for i in ids)
    finally:
        for d in ids:
            kb.delete_document(d)


def test_concurrent_queries_are_embedded_in_batches_with_the_same_vectors(embedder):
    """Queries arriving while the model is busy are embedded together, each getting its own vector."""
    import time as _time

    import numpy as np

    from kb.service import LockedEmbedder

    calls: list[int] = []

    class Slow:
        def encode_queries(self, texts):
            calls.append(len(texts))
            _time.sleep(0.05)  # the model is busy: others arrive meanwhile
            return embedder.encode_queries(texts)

    shared = LockedEmbedder(Slow())
    out: dict[str, np.ndarray] = {}

    def ask(q: str) -> None:
        out[q] = shared.encode_queries([q])[0]

    threads = [threading.Thread(target=ask, args=(q,)) for q in QUERIES * 3 + [f"сұрақ {i}" for i in range(12)]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(calls) == len(threads) and len(calls) < len(threads) and max(calls) > 1
    assert max(calls) <= LockedEmbedder.max_batch  # a burst is cut into batches that finish early
    for q, vec in out.items():
        assert float(np.dot(vec, embedder.encode_queries([q])[0])) > 0.999


def test_a_model_with_two_streams_embeds_two_batches_at_once():
    """With two inference streams the second core embeds too; never more calls than streams."""
    import time as _time

    import numpy as np

    from kb.service import LockedEmbedder

    lock = threading.Lock()
    running, most = [0], [0]
    sizes: list[int] = []

    class TwoStreams:
        concurrency = 2

        def encode_queries(self, texts):
            with lock:
                sizes.append(len(texts))
                running[0] += 1
                most[0] = max(most[0], running[0])
            _time.sleep(0.05)
            with lock:
                running[0] -= 1
            return np.ones((len(texts), 4), dtype=np.float32) * np.array([[len(t)] for t in texts])

    shared = LockedEmbedder(TwoStreams())
    out: dict[str, float] = {}

    def ask(q: str) -> None:
        out[q] = float(shared.encode_queries([q])[0][0])

    texts = ["q" * n for n in range(1, 41)]
    threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert most[0] == 2
    assert min(sizes) >= 1  # a free stream never runs an empty batch while a query is in flight
    assert out == {t: float(len(t)) for t in texts}  # each caller got its own vector


def test_searches_beyond_the_read_limit_wait_in_line(corpus_kb, monkeypatch):
    """At most KB_READ_CONCURRENCY searches are worked on at once; the others wait, none fails."""
    import time as _time

    lock = threading.Lock()
    running, most = [0], [0]
    real = corpus_kb.search

    def counted(req):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            _time.sleep(0.05)
            return real(req)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(corpus_kb, "search", counted)
    app = create_app(corpus_kb)
    app.state.read_concurrency = 2
    codes: list[int] = []
    with Server(app) as url:
        def search(n: int) -> None:
            with httpx.Client(base_url=url, timeout=120) as c:
                codes.append(c.post(f"{V1}/search", json={"q": QUERIES[n % len(QUERIES)]}).status_code)

        threads = [threading.Thread(target=search, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert codes == [200] * 8
    assert most[0] == 2  # without the limit all eight ran at once (40 worker threads)


def test_uploads_are_parsed_in_a_worker_process_that_a_crash_does_not_take_down(served):
    """An upload is parsed and enriched outside the service's process (kb.parse_pool.UploadWorker);
    a worker killed between two uploads costs neither of them."""
    import os
    import signal
    import time as _time

    from kb.parse_pool import upload_worker

    url, secret, kb = served
    worker = upload_worker(kb.settings.writer_nice)
    ids: list[str] = []
    try:
        with httpx.Client(base_url=url, timeout=600, headers={"X-API-Key": secret}) as c:
            text = "Правила учета\n\n1. Оператор ежегодно до 1 марта представляет в уполномоченный орган отчет."
            r = c.post(f"{V1}/documents", files={"file": ("rules1.txt", text.encode(), "text/plain")})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
            pids = worker.pids()
            assert pids and os.getpid() not in pids
            assert kb.get_document(ids[0]).obligations  # enriched in the worker, stored here
            os.kill(pids[0], signal.SIGKILL)
            _time.sleep(0.5)
            r = c.post(f"{V1}/documents", files={"file": ("rules2.txt", (text + " Второй.").encode(), "text/plain")})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
            assert worker.pids() and worker.pids() != pids
    finally:
        for d in ids:
            kb.delete_document(d)


def test_an_app_given_a_knowledge_base_leaves_it_open(corpus_kb):
    """Only the service's own knowledge base is closed at shutdown; one given to create_app
    (tests, benches, embedding apps) stays its caller's: its index was closed under it."""
    from fastapi.testclient import TestClient

    index = corpus_kb.index
    with TestClient(create_app(corpus_kb)) as client:
        assert client.get(f"/{V1}/health").status_code == 200
    assert corpus_kb.__dict__.get("index") is index
    assert corpus_kb.index.count() > 0
