"""Ingestion: files and folders -> parse -> enrich -> store -> hooks, with a per-file report.

The seams for the rest of the system are plain lists of callables in `Hooks`:
  enrichers   Callable[[Document], None], run in order after parsing (entity tagging,
              obligation extraction); they fill the document in place
  on_stored   Callable[[Document], None], after a document is written (vector index)
  on_removed  Callable[[str], None], after a document id left the store (vector index)
A file whose enricher raises is reported failed and nothing of it is stored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ingest import IngestError, doc_id, is_supported, parse_bytes
from ingest.parse import check_size
from ingest.sidecar import find_for as find_sidecar
from kb.config import Settings, get_settings
from kb.models import Document
from kb.store import DocStore

Status = Literal["added", "updated", "unchanged", "failed", "skipped"]
SKIP_NAMES = ("readme", "manifest.tsv", "license", "licence")
SIDECAR_NAMES = ("meta.yaml",)  # a mirror act's sidecar, and NAME.meta.yaml beside any file


@dataclass
class Hooks:
    enrichers: list[Callable[[Document], None]] = field(default_factory=list)
    on_stored: list[Callable[[Document], None]] = field(default_factory=list)
    on_removed: list[Callable[[str], None]] = field(default_factory=list)


# What `ingest_paths` runs when given no hooks: the service registers its taggers and index here.
HOOKS = Hooks()


@dataclass
class FileResult:
    path: str
    status: Status
    doc_id: str | None = None
    title: str = ""
    reason: str | None = None


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("added", "updated", "unchanged", "skipped", "failed")}


Progress = Callable[[int, int, FileResult], None]  # (done, total, result of the file just done)


def walk(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str | None]]:
    """(file, why skipped or None). Folders are walked recursively in name order; in them,
    hidden files, README/manifest/licence files and unsupported types are skipped. A file
    named explicitly is never skipped: if it cannot be parsed, that is an error."""
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            yield p, None
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                f = Path(root) / name
                if name.startswith("."):
                    yield f, "hidden file"
                elif name.lower().endswith(SIDECAR_NAMES):
                    yield f, "sidecar (requisites of the act beside it)"
                elif name.lower().startswith(SKIP_NAMES):
                    yield f, "not a document (README/manifest/licence)"
                elif not is_supported(f):
                    yield f, f"unsupported file type {f.suffix.lower() or '(none)'}"
                else:
                    yield f, None


def ingest_paths(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    progress: Progress | None = None,
    hooks: Hooks | None = None,
    force: bool = False,
) -> IngestReport:
    """Ingest files and folders; every file gets a result, a bad file never stops the rest."""
    settings = settings or get_settings()
    hooks = hooks or HOOKS
    store = DocStore(settings)
    report = IngestReport()
    items = list(walk(paths))
    for done, (path, skip) in enumerate(items, start=1):
        if skip:
            result = FileResult(str(path), "skipped", reason=skip)
        else:
            result = ingest_file(path, store, settings, hooks, force=force)
        report.files.append(result)
        if progress:
            progress(done, len(items), result)
    return report


def ingest_file(
    path: Path, store: DocStore, settings: Settings, hooks: Hooks, force: bool = False
) -> FileResult:
    try:
        data = _read(path, settings)
        new_id = doc_id(data)
        if not force and new_id in store:
            if store.id_for_source(path) != new_id:
                orphan = store.add_source(path, new_id)
                for removed in hooks.on_removed if orphan else []:
                    removed(orphan)
            return FileResult(str(path), "unchanged", new_id, _title(store, new_id))
        doc = parse_bytes(
            data, path.name, settings.ingest_options(), source=str(path), sidecar=find_sidecar(path)
        )
        return store_document(doc, store, hooks, path=str(path))
    except IngestError as e:
        return FileResult(str(path), "failed", reason=e.reason)


def store_document(doc: Document, store: DocStore, hooks: Hooks, path: str | None = None) -> FileResult:
    """Enrich, store and announce one parsed document (also the upload path of the API)."""
    where = path or doc.source
    for enrich in hooks.enrichers:
        try:
            enrich(doc)
        except Exception as e:  # an enricher bug must not take the other files down
            return FileResult(where, "failed", doc.id, doc.title, f"{_name(enrich)} failed: {e}")
    try:
        status, replaced = store.put(doc)
    except OSError as e:  # disk full, permissions: the store keeps its previous state
        return FileResult(where, "failed", doc.id, doc.title, f"cannot store document ({e.strerror or e})")
    if replaced:
        for removed in hooks.on_removed:
            removed(replaced)
    for stored in hooks.on_stored:
        try:
            stored(doc)
        except Exception as e:
            return FileResult(
                where, "failed", doc.id, doc.title,
                f"stored, but {_name(stored)} failed: {e} (re-run ingest with --force to retry)",
            )
    return FileResult(where, status, doc.id, doc.title)


def remove_document(doc_id: str, settings: Settings | None = None, hooks: Hooks | None = None) -> bool:
    """Delete a stored document and tell the hooks (the index) to forget it."""
    hooks = hooks or HOOKS
    removed = DocStore(settings or get_settings()).delete(doc_id)
    if removed:
        for hook in hooks.on_removed:
            hook(doc_id)
    return removed


def _read(path: Path, settings: Settings) -> bytes:
    if not is_supported(path):
        from ingest.parse import _unsupported

        raise IngestError(path, _unsupported(path))
    try:
        if not path.exists():
            raise IngestError(path, "no such file")
        if not path.is_file():
            raise IngestError(path, "not a regular file")
        check_size(path, path.stat().st_size, settings.ingest_options())
        return path.read_bytes()
    except OSError as e:
        raise IngestError(path, f"cannot read file ({e.strerror or e})") from e


def _title(store: DocStore, doc_id: str) -> str:
    summary = store.summary(doc_id)
    return summary.title if summary else ""


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
