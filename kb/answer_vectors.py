"""Vectors of a document's answer candidates, computed once at ingest.

A first-time answer scored every candidate sentence, table row, list and obligation record of the
retrieved passages against the question, and embedding those ~100 texts at query time was 90% of
an answer's time (about 0.8 s of CPU on a 2-core box). The candidates of a passage depend only on
the document (its chunking, blocks, table headers and obligation records), so they are embedded
when the document is stored, next to its passage vectors, and looked up by the text's hash at
question time; a text not found (a document stored before this existed and not yet backfilled)
is embedded on the spot, as before.

One row per (document, model) in the document store's database (table `answer_vectors`, see
kb/db/schema.py), so that every API worker on every machine reads what ingestion computed: with
PostgreSQL and a Qdrant server a worker holds no state. Document ids are content hashes, so a row
never goes stale; another model gets other rows. A row is written whole in one statement, inside
the store's write transaction, so a reader sees the previous row or the new one, never half.

Documents stored before this existed are backfilled by `start_backfill`: a thread at the writers'
lower CPU priority, so the first question never waits for it (it is answered by embedding the
candidates of such documents on the spot until their row is there).
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np
from sqlalchemy import Engine, delete, exists, insert, select

from kb.db import writing
from kb.db.schema import answer_vectors, documents
from kb.models import Document
from kb.priority import lower_this_thread

log = logging.getLogger(__name__)

TextsOf = Callable[[Document], list[str]]
KEY_LEN = 24  # hex characters of text_key
DTYPE = np.dtype("<f4")  # the stored bytes: little-endian float32, whatever the machine
MODEL_LEN = 255  # the model column's width
# A document with no row is looked up again after this long: another worker may have added it.
MISS_TTL_S = 30.0


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_LEN // 2).hexdigest()


def model_key(fingerprint: str) -> str:
    """The model column's value: the embedder's fingerprint, hashed at the end when too long."""
    name = str(fingerprint)
    if len(name) <= MODEL_LEN:
        return name
    return name[: MODEL_LEN - 25] + "#" + hashlib.blake2b(name.encode("utf-8"), digest_size=12).hexdigest()


class AnswerVectors:
    def __init__(self, engine: Engine, embedder, texts_of: TextsOf, batch_size: int = 16, cached_docs: int = 400):
        self.engine = engine
        self.model = model_key(embedder.fingerprint)
        self.embedder = embedder
        self.texts_of = texts_of
        self.batch_size = batch_size
        self.cached_docs = cached_docs
        # Recently used documents' vectors by text key; a document without a row maps to
        # (time looked up, {}) until MISS_TTL_S has passed.
        self._docs: OrderedDict[str, tuple[float, dict[str, np.ndarray]]] = OrderedDict()
        self._removed: dict[str, np.ndarray] = {}  # vectors of the document removed last, by text key
        self._lock = threading.Lock()
        self._backfill: threading.Thread | None = None
        self._stop = threading.Event()

    # -- reading ---------------------------------------------------------------------
    def has(self, doc_id: str) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.scalar(select(exists().where(
                answer_vectors.c.doc_id == doc_id, answer_vectors.c.model == self.model))))

    def lookup(self, doc_id: str, text: str) -> np.ndarray | None:
        return self._vectors_of(doc_id).get(text_key(text))

    def missing(self, doc_ids: Iterable[str]) -> list[str]:
        """The given documents that have no row under this model, in the given order."""
        with self.engine.connect() as conn:
            have = set(conn.scalars(select(answer_vectors.c.doc_id).where(answer_vectors.c.model == self.model)))
        return [d for d in doc_ids if d not in have]

    def _vectors_of(self, doc_id: str) -> dict[str, np.ndarray]:
        with self._lock:
            got = self._docs.get(doc_id)
            if got is not None and (got[1] or time.monotonic() - got[0] < MISS_TTL_S):
                self._docs.move_to_end(doc_id)
                return got[1]
        vectors = self._read(doc_id)
        with self._lock:
            self._docs[doc_id] = (time.monotonic(), vectors)
            self._docs.move_to_end(doc_id)
            while len(self._docs) > self.cached_docs:
                self._docs.popitem(last=False)
        return vectors

    def _read(self, doc_id: str) -> dict[str, np.ndarray]:
        with self.engine.connect() as conn:
            row = conn.execute(select(answer_vectors.c.dim, answer_vectors.c.text_keys, answer_vectors.c.vecs).where(
                answer_vectors.c.doc_id == doc_id, answer_vectors.c.model == self.model)).first()
        if row is None:
            return {}
        dim, keys_text, blob = row
        keys = [keys_text[i: i + KEY_LEN] for i in range(0, len(keys_text), KEY_LEN)]
        blob = bytes(blob)
        if len(keys_text) % KEY_LEN or len(blob) != len(keys) * dim * DTYPE.itemsize:
            # Not what `add` writes (a hand-edited row): embed live rather than fail the question.
            log.warning("answer vectors of %s under %s malformed (%d key characters, %d bytes, dim %d); "
                        "embedding at query time", doc_id, self.model, len(keys_text), len(blob), dim)
            return {}
        matrix = np.frombuffer(blob, dtype=DTYPE).reshape(len(keys), dim).astype(np.float32)
        return dict(zip(keys, matrix))

    # -- writing ---------------------------------------------------------------------
    def add(self, doc: Document, reuse_removed: bool = True) -> int:
        """Embed the document's candidate texts and store them; returns how many texts were embedded.

        Texts whose vector is known (the same document stored again, or the document a changed
        file replaced, removed just before) are not embedded again, as the indexer does for passages."""
        texts = list(dict.fromkeys(self.texts_of(doc)))
        keys = [text_key(t) for t in texts]
        known = self._read(doc.id)
        if reuse_removed:
            known = self._removed | known
            self._removed = {}
        todo = [i for i, k in enumerate(keys) if k not in known]
        fresh = (self.embedder.encode_passages([texts[i] for i in todo], batch_size=self.batch_size)
                 if todo else [])
        got = dict(zip((keys[i] for i in todo), fresh))
        vecs = (np.stack([np.asarray(got[k] if k in got else known[k], dtype=np.float32) for k in keys])
                if keys else np.zeros((0, 0), dtype=np.float32))
        row = {"doc_id": doc.id, "model": self.model, "dim": int(vecs.shape[1]) if keys else 0,
               "text_keys": "".join(keys), "vecs": vecs.astype(DTYPE).tobytes()}
        with writing(self.engine) as conn:
            # The same document may be stored twice at once (an upload and a backfill): last wins.
            conn.execute(delete(answer_vectors).where(
                answer_vectors.c.doc_id == doc.id, answer_vectors.c.model == self.model))
            conn.execute(insert(answer_vectors).values(**row))
        with self._lock:
            self._docs.pop(doc.id, None)
        return len(todo)

    def remove(self, doc: Document | str) -> None:
        """Forget a document that left the store (its rows under every model)."""
        doc_id = doc if isinstance(doc, str) else doc.id
        # A changed file is removed just before its new version is stored: keep what it had.
        self._removed = self._read(doc_id)
        with writing(self.engine) as conn:
            conn.execute(delete(answer_vectors).where(answer_vectors.c.doc_id == doc_id))
        with self._lock:
            self._docs.pop(doc_id, None)

    def prune(self) -> int:
        """Delete the rows of documents no longer stored (a crash between the two deletes)."""
        with writing(self.engine) as conn:
            return conn.execute(delete(answer_vectors).where(
                answer_vectors.c.doc_id.not_in(select(documents.c.id)))).rowcount

    # -- backfill --------------------------------------------------------------------
    def reconcile(self, doc_ids: Iterable[str], load: Callable[[str], Document | None],
                  stop: threading.Event | None = None) -> int:
        """Embed the stored documents that have no vectors yet (stored before this existed)."""
        done = 0
        for doc_id in self.missing(doc_ids):
            if stop is not None and stop.is_set():
                break
            if self.has(doc_id):  # another worker did it meanwhile
                continue
            doc = load(doc_id)
            if doc is not None:
                n = self.add(doc, reuse_removed=False)
                done += 1
                log.info("answer vectors for %s: %d texts embedded", doc_id, n)
        return done

    def start_backfill(self, doc_ids: Callable[[], Iterable[str]], load: Callable[[str], Document | None],
                       nice: int = 0) -> threading.Thread:
        """`reconcile` in a daemon thread at a lower CPU priority; questions do not wait for it."""
        with self._lock:
            if self._backfill is not None and self._backfill.is_alive():
                return self._backfill
            self._stop = stop = threading.Event()

            def run() -> None:
                lower_this_thread(nice)
                try:
                    self.prune()
                    # Every worker of a deployment starts one: in a random order of its own, and
                    # skipping what another has stored meanwhile, they share the work instead of
                    # each embedding the same document at the same time.
                    todo = list(doc_ids())
                    random.shuffle(todo)
                    done = self.reconcile(todo, load, stop=stop)  # keeps the order, skips what has rows
                    if done:
                        log.info("answer vectors backfilled for %d documents", done)
                except Exception:  # noqa: BLE001  the answers embed live instead; say why
                    log.exception("answer vectors backfill failed; candidates are embedded at query time")

            self._backfill = threading.Thread(target=run, name="kb-answer-vectors", daemon=True)
            self._backfill.start()
            return self._backfill

    def close(self) -> None:
        """Stop the backfill after the document it is on."""
        self._stop.set()
        thread = self._backfill
        if thread is not None:
            thread.join()
        self._backfill = None
