"""Parsed documents on disk: one JSON file per document under `settings.docs_dir`,
plus a catalog (source path -> document id, and a light summary per document).

Every write goes to a temporary file in the same folder and is moved into place
with os.replace, so a crash or a failure never leaves a half-written document or
catalog behind: readers see the old version or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from kb.config import Settings, get_settings
from kb.models import Document, DocumentSummary

CATALOG = "catalog.json"
PutStatus = Literal["added", "updated", "unchanged"]


def source_key(source: str | Path) -> str:
    """How a source path is keyed in the catalog: absolute, so "./a.md" and "a.md" agree.
    Uploads (a bare name with no folder that exists here) keep their name."""
    path = Path(source)
    try:
        return str(path.resolve()) if path.exists() or path.parent != Path(".") else str(source)
    except OSError:
        return str(source)


def atomic_write(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def summarize(doc: Document) -> DocumentSummary:
    return DocumentSummary(
        id=doc.id,
        source=doc.source,
        title=doc.title,
        lang=doc.lang,
        genre=doc.genre,
        date=doc.date,
        number=doc.number,
        issuer=doc.issuer,
        blocks=len(doc.blocks),
        entities=len(doc.entities),
        obligations=len(doc.obligations),
        meta=doc.meta,
    )


class DocStore:
    """The document store. Thread-safe within one process (the API serves from threads)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.root = Path(self.settings.docs_dir)
        self._lock = threading.RLock()

    # -- catalog -------------------------------------------------------------------
    def _catalog_path(self) -> Path:
        return self.root / CATALOG

    def _load(self) -> dict:
        try:
            with open(self._catalog_path(), encoding="utf-8") as f:
                raw = json.load(f)
        except FileNotFoundError:
            return {"sources": {}, "docs": {}}
        return {"sources": raw.get("sources", {}), "docs": raw.get("docs", {})}

    def _save(self, catalog: dict) -> None:
        atomic_write(self._catalog_path(), json.dumps(catalog, ensure_ascii=False, indent=1))

    def _doc_path(self, doc_id: str) -> Path:
        if not doc_id or not all(c.isalnum() or c in "-_" for c in doc_id):
            raise KeyError(doc_id)  # ids come from URLs too: no path tricks
        return self.root / f"{doc_id}.json"

    # -- reading -------------------------------------------------------------------
    def get(self, doc_id: str) -> Document | None:
        try:
            path = self._doc_path(doc_id)
        except KeyError:
            return None
        try:
            return Document.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def __contains__(self, doc_id: str) -> bool:
        try:
            return self._doc_path(doc_id).exists()
        except KeyError:
            return False

    def list(self) -> list[DocumentSummary]:
        """Light summaries of all documents (read from the catalog, not the documents)."""
        docs = self._load()["docs"]
        return [DocumentSummary.model_validate(v) for _, v in sorted(docs.items())]

    def summary(self, doc_id: str) -> DocumentSummary | None:
        raw = self._load()["docs"].get(doc_id)
        return DocumentSummary.model_validate(raw) if raw else None

    def ids(self) -> list[str]:
        return sorted(self._load()["docs"])

    def __iter__(self) -> Iterator[Document]:
        for doc_id in self.ids():
            doc = self.get(doc_id)
            if doc is not None:
                yield doc

    def __len__(self) -> int:
        return len(self._load()["docs"])

    def id_for_source(self, source: str | Path) -> str | None:
        return self._load()["sources"].get(source_key(source))

    # -- writing -------------------------------------------------------------------
    def put(self, doc: Document) -> tuple[PutStatus, str | None]:
        """Store a document; (status, id of the document it replaced, if any).

        The document is keyed by its source: storing a changed version of a file
        replaces the old document (whose file is removed unless another source
        still points at it)."""
        key = source_key(doc.source)
        with self._lock:
            catalog = self._load()
            old_id = catalog["sources"].get(key)
            atomic_write(self._doc_path(doc.id), doc.model_dump_json())
            catalog["sources"][key] = doc.id
            catalog["docs"][doc.id] = summarize(doc).model_dump(mode="json")
            replaced = old_id if old_id and old_id != doc.id else None
            if replaced and replaced not in catalog["sources"].values():
                catalog["docs"].pop(replaced, None)
            self._save(catalog)
            if replaced and replaced not in catalog["sources"].values():
                self._doc_path(replaced).unlink(missing_ok=True)
            if old_id == doc.id:
                return "unchanged", None
            return ("updated" if replaced else "added"), replaced

    def add_source(self, source: str | Path, doc_id: str) -> str | None:
        """Point a source at an already stored document (a copy of a stored file, or a
        file changed back). Returns the id of a document this orphaned and removed."""
        key = source_key(source)
        with self._lock:
            catalog = self._load()
            old_id = catalog["sources"].get(key)
            catalog["sources"][key] = doc_id
            orphan = old_id if old_id and old_id != doc_id and old_id not in catalog["sources"].values() else None
            if orphan:
                catalog["docs"].pop(orphan, None)
            self._save(catalog)
            if orphan:
                self._doc_path(orphan).unlink(missing_ok=True)
            return orphan

    def delete(self, doc_id: str) -> bool:
        """Remove a document and every source pointing at it; False if it was not there."""
        with self._lock:
            catalog = self._load()
            known = doc_id in catalog["docs"]
            catalog["docs"].pop(doc_id, None)
            catalog["sources"] = {k: v for k, v in catalog["sources"].items() if v != doc_id}
            self._save(catalog)
            try:
                path = self._doc_path(doc_id)
            except KeyError:
                return False
            existed = path.exists()
            path.unlink(missing_ok=True)
            return known or existed
