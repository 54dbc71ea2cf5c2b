"""Vectors of a document's answer candidates, computed once at ingest.

A first-time answer scored every candidate sentence, table row, list and obligation record of the
retrieved passages against the question, and embedding those ~100 texts at query time was 90% of
an answer's time (about 0.8 s of CPU on a 2-core box). The candidates of a passage depend only on
the document (its chunking, blocks, table headers and obligation records), so they are embedded
when the document is stored, next to its passage vectors, and looked up by the text's hash at
question time; a text not found (a document stored before this existed and not yet backfilled)
is embedded on the spot, as before.

One file per document id under `<data_dir>/answer_vectors/<model fingerprint>/`: document ids
are content hashes, so a file never goes stale; another model gets another folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from kb.models import Document

log = logging.getLogger(__name__)

TextsOf = Callable[[Document], list[str]]


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


class AnswerVectors:
    def __init__(self, root: Path, embedder, texts_of: TextsOf, batch_size: int = 16, cached_docs: int = 400):
        self.root = Path(root) / _safe(embedder.fingerprint)
        self.embedder = embedder
        self.texts_of = texts_of
        self.batch_size = batch_size
        self.cached_docs = cached_docs
        self._docs: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()
        self._removed: dict[str, np.ndarray] = {}  # vectors of the document removed last, by text key
        self._lock = threading.Lock()

    def _path(self, doc_id: str) -> Path:
        return self.root / f"{_safe(doc_id)}.npz"

    def has(self, doc_id: str) -> bool:
        return self._path(doc_id).exists()

    def add(self, doc: Document) -> int:
        """Embed the document's candidate texts and store them; returns how many texts were embedded.

        Texts whose vector is known (the same document stored again, or the document a changed
        file replaced, removed just before) are not embedded again, as the indexer does for passages."""
        texts = list(dict.fromkeys(self.texts_of(doc)))
        keys = [text_key(t) for t in texts]
        known = self._removed | self._vectors_of(doc.id)
        self._removed = {}
        todo = [i for i, k in enumerate(keys) if k not in known]
        fresh = (self.embedder.encode_passages([texts[i] for i in todo], batch_size=self.batch_size)
                 if todo else [])
        got = dict(zip((keys[i] for i in todo), fresh))
        vecs = (np.stack([np.asarray(got[k] if k in got else known[k], dtype=np.float32) for k in keys])
                if keys else np.zeros((0, 0), dtype=np.float32))
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(doc.id)
        # Unique per writer: the answerer's backfill and an ingest may store the same document at once.
        tmp = path.with_name(f"{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp.npz")
        np.savez(tmp, keys=np.asarray(keys, dtype="U24"), vecs=vecs)
        tmp.replace(path)  # a crash never leaves half a file under the real name
        with self._lock:
            self._docs.pop(doc.id, None)
        return len(todo)

    def remove(self, doc: Document | str) -> None:
        doc_id = doc if isinstance(doc, str) else doc.id
        # A changed file is removed just before its new version is stored: keep what it had.
        self._removed = self._vectors_of(doc_id)
        with self._lock:
            self._docs.pop(doc_id, None)
        self._path(doc_id).unlink(missing_ok=True)

    def reconcile(self, doc_ids: Iterable[str], load: Callable[[str], Document | None]) -> int:
        """Embed the stored documents that have no vectors yet (stored before this existed)."""
        done = 0
        for doc_id in doc_ids:
            if self.has(doc_id):
                continue
            doc = load(doc_id)
            if doc is not None:
                n = self.add(doc)
                done += 1
                log.info("answer vectors for %s: %d texts embedded", doc_id, n)
        return done

    def _vectors_of(self, doc_id: str) -> dict[str, np.ndarray]:
        with self._lock:
            got = self._docs.get(doc_id)
            if got is not None:
                self._docs.move_to_end(doc_id)
                return got
        path = self._path(doc_id)
        got = {}
        if path.exists():
            try:
                with np.load(path) as data:
                    got = dict(zip(data["keys"].tolist(), data["vecs"]))
            except (OSError, ValueError, KeyError) as exc:  # a damaged file: embed live instead
                log.warning("answer vectors %s unreadable (%s); embedding at query time", path, exc)
        with self._lock:
            self._docs[doc_id] = got
            while len(self._docs) > self.cached_docs:
                self._docs.popitem(last=False)
        return got

    def lookup(self, doc_id: str, text: str) -> np.ndarray | None:
        return self._vectors_of(doc_id).get(text_key(text))


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(name))[:80]
