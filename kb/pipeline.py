"""Ingestion: files and folders -> parse -> enrich -> store -> hooks, with a per-file report.

The seams for the rest of the system are plain lists of callables in `Hooks`:
  enrichers   Callable[[Document], None], run in order after parsing (entity tagging,
              obligation extraction); they fill the document in place
  before_store Callable[[Document], str | None], after enrichment: a reason not to store the
              document (two files claiming one act's language version), or None
  on_stored   Callable[[Document], None], after a document is written (acts, vector index)
  on_removed  Callable[[str], None], after a document id left the store (vector index)
A file whose enricher raises is reported failed and nothing of it is stored.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ingest import IngestError, doc_id, is_supported, parse_bytes
from ingest.parse import check_size
from ingest.sidecar import find_for as find_sidecar
from kb.config import Settings, get_settings
from kb.models import Document
from kb.parse_pool import ParsePool, parse_one
from kb.store import DocStore

Status = Literal["added", "updated", "unchanged", "failed", "skipped"]
SKIP_NAMES = ("readme", "manifest.tsv", "license", "licence")
SIDECAR_NAMES = ("meta.yaml",)  # a mirror act's sidecar, and NAME.meta.yaml beside any file


@dataclass
class Hooks:
    enrichers: list[Callable[[Document], None]] = field(default_factory=list)
    before_store: list[Callable[[Document], str | None]] = field(default_factory=list)
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
    notice: bool = False  # a skip the user should see (a symlink not followed)


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

FOLLOW_HINT = "use --follow-symlinks to follow it"
NOT_UTF8 = "file name is not valid UTF-8 (rename it)"


def display_path(path: str | Path) -> str:
    """A path as text that any terminal or JSON can carry: bytes that are not UTF-8
    (file names come from the file system as bytes) are shown escaped, e.g. `bad\\xff.txt`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def name_ok(name: str) -> bool:
    """False for a name with bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@dataclass
class WalkItem:
    """One thing a walk found: a file to ingest, or one skipped (`skip`) or failed (`error`) with why."""

    path: Path
    skip: str | None = None
    error: str | None = None
    notice: bool = False  # a skip worth showing (a symlink not followed), not a routine one (README)


def walk(paths: Iterable[str | Path], follow_symlinks: bool = False) -> Iterator[WalkItem]:
    """Folders are walked recursively in name order (a folder's files before its subfolders);
    in them, hidden entries, README/manifest/licence files and unsupported types are skipped.
    A file named explicitly is never skipped: if it cannot be parsed, that is an error.

    Inside a folder, a symlink whose target lies outside that folder is skipped unless
    `follow_symlinks` (a folder of documents must not pull in /etc/passwd); a symlinked folder
    inside it is already walked through its real path. Symlink loops, broken links, folders that
    cannot be listed and names that are not UTF-8 are errors of that entry; the walk goes on."""
    for p in paths:
        p = Path(p)
        if not name_ok(str(p)):
            yield WalkItem(p, error=NOT_UTF8)
        elif _is_dir(p):
            root = os.path.realpath(p)
            yield from _walk_dir(p, root, follow_symlinks, ancestors={root}, seen={root})
        else:
            yield WalkItem(p)


def _walk_dir(
    folder: Path, root: str, follow: bool, ancestors: set[str], seen: set[str]
) -> Iterator[WalkItem]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
    except OSError as e:
        yield WalkItem(folder, error=f"cannot read folder ({e.strerror or e})")
        return
    subfolders: list[tuple[Path, str]] = []
    for entry in entries:
        path = folder / entry.name
        if not name_ok(entry.name):
            yield WalkItem(path, error=NOT_UTF8)
            continue
        if entry.name.startswith("."):
            if not _is_dir(entry):
                yield WalkItem(path, skip="hidden file")
            continue
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows links
            if is_link:
                os.stat(path)  # a loop or a dangling link fails here
        except OSError as e:
            yield WalkItem(path, error=_link_error(path, e))
            continue
        if is_link:
            target = os.path.realpath(path)
            if not follow and not _within(target, root):
                what = "folder" if is_dir else "file"
                yield WalkItem(path, skip=f"symlink to a {what} outside the folder ({FOLLOW_HINT})", notice=True)
                continue
            if is_dir and not follow:
                # inside the folder: its real path is walked anyway
                yield WalkItem(path, skip="symlink to a folder inside the walked folder (walked once)")
                continue
        if is_dir:
            subfolders.append((path, os.path.realpath(path)))
        elif entry.name.lower().endswith(SIDECAR_NAMES):
            yield WalkItem(path, skip="sidecar (requisites of the act beside it)")
        elif entry.name.lower().startswith(SKIP_NAMES):
            yield WalkItem(path, skip="not a document (README/manifest/licence)")
        elif not is_supported(path):
            yield WalkItem(path, skip=f"unsupported file type {path.suffix.lower() or '(none)'}")
        else:
            yield WalkItem(path)
    for path, real in subfolders:
        if real in ancestors:
            yield WalkItem(path, error="symlink loop (it leads back to a folder being walked)")
        elif real in seen:
            yield WalkItem(path, skip="folder already walked through another link")
        else:
            seen.add(real)
            yield from _walk_dir(path, root, follow, ancestors | {real}, seen)


def _is_dir(entry: os.DirEntry | Path) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # unreadable: treated as a file, whose read then names the reason
        return False


def _link_error(path: Path, e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(e, FileNotFoundError):
        try:
            return f"broken symlink (its target {display_path(os.readlink(path))} does not exist)"
        except OSError:
            return "broken symlink"
    return f"cannot read file ({e.strerror or e})"


def ingest_paths(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    progress: Progress | None = None,
    hooks: Hooks | None = None,
    force: bool = False,
    follow_symlinks: bool = False,
) -> IngestReport:
    """Ingest files and folders; every file gets a result, a bad file never stops the rest.

    Files are parsed in `KB_PARSE_WORKERS` worker processes (kb.parse_pool) a few files ahead
    of the one being enriched, embedded and stored here, in walk order: results, progress
    and the store's contents are the same as one file at a time."""
    settings = settings or get_settings()
    hooks = hooks or HOOKS
    store = DocStore(settings)
    report = IngestReport()
    items = list(walk(paths, follow_symlinks=follow_symlinks))
    files = sum(1 for it in items if not it.error and not it.skip)
    options = settings.ingest_options()
    with ParsePool(settings.parse_workers, options, files, enrichers=hooks.enrichers) as pool:
        queued: dict[int, _Queued] = {}
        upcoming = 0  # the next item to read and queue
        for done, item in enumerate(items, start=1):
            while upcoming < len(items) and upcoming <= done - 1 + pool.ahead:
                queued[upcoming] = _queue(items[upcoming], store, settings, pool, force, queued.values())
                upcoming += 1
            job = queued.pop(done - 1)
            where = display_path(item.path)
            if item.error:
                result = FileResult(where, "failed", reason=item.error)
            elif item.skip:
                result = FileResult(where, "skipped", reason=item.skip, notice=item.notice)
            else:
                try:
                    result = _finish(item.path, job, store, hooks, pool, force)
                except Exception as e:  # a bug on one file must not lose the others and the summary
                    result = FileResult(where, "failed", reason=f"unexpected error: {type(e).__name__}: {e}")
            report.files.append(result)
            if progress:
                progress(done, len(items), result)
    return report


@dataclass
class _Queued:
    """A file read ahead: its bytes and id, its parse ticket when one was started, or why it failed."""

    data: bytes = b""
    id: str | None = None
    ticket: int | None = None
    reason: str | None = None
    unexpected: bool = False


def _queue(
    item: WalkItem, store: DocStore, settings: Settings, pool: ParsePool, force: bool,
    ahead: Iterable[_Queued],
) -> _Queued:
    if item.error or item.skip:
        return _Queued()
    try:
        data = _read(item.path, settings)
    except IngestError as e:
        return _Queued(reason=e.reason)
    except Exception as e:
        return _Queued(reason=f"{type(e).__name__}: {e}", unexpected=True)
    new_id = doc_id(data)
    if not force and (new_id in store or any(q.id == new_id for q in ahead)):
        return _Queued(data, new_id)  # unchanged, or a copy of a file queued before it: decided in order
    return _Queued(data, new_id, pool.submit(data, item.path.name, str(item.path)))


def _finish(
    path: Path, job: _Queued, store: DocStore, hooks: Hooks, pool: ParsePool, force: bool
) -> FileResult:
    if job.reason is not None:
        reason = f"unexpected error: {job.reason}" if job.unexpected else job.reason
        return FileResult(display_path(path) if job.unexpected else str(path), "failed", reason=reason)
    assert job.id is not None
    if not force and job.id in store:
        if job.ticket is not None:
            pool.discard(job.ticket)
        return _unchanged(path, job.id, store, hooks)
    parsed = pool.result(job.ticket) if job.ticket is not None else parse_one(
        job.data, path.name, str(path), pool.options
    )
    if parsed.doc is None:
        if parsed.unexpected:
            return FileResult(str(path), "failed", reason=f"unexpected error: {parsed.reason}")
        return FileResult(str(path), "failed", reason=parsed.reason)
    if parsed.enriched:
        hooks = replace(hooks, enrichers=[])
    return store_document(parsed.doc, store, hooks, path=str(path))


def _unchanged(path: Path, new_id: str, store: DocStore, hooks: Hooks) -> FileResult:
    if store.id_for_source(path) != new_id:
        orphan = store.add_source(path, new_id)
        for removed in hooks.on_removed if orphan else []:
            removed(orphan)
    return FileResult(str(path), "unchanged", new_id, _title(store, new_id))


def ingest_file(
    path: Path, store: DocStore, settings: Settings, hooks: Hooks, force: bool = False
) -> FileResult:
    """One file, parsed in this process."""
    try:
        data = _read(path, settings)
        new_id = doc_id(data)
        if not force and new_id in store:
            return _unchanged(path, new_id, store, hooks)
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
    for check in hooks.before_store:
        refusal = check(doc)
        if refusal:
            return FileResult(where, "failed", doc.id, doc.title, refusal)
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
        st = path.stat()
    except FileNotFoundError as e:
        raise IngestError(path, _link_error(path, e) if path.is_symlink() else "no such file") from e
    except OSError as e:
        raise IngestError(path, _link_error(path, e)) from e
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(path, "not a regular file")
    check_size(path, st.st_size, settings.ingest_options())
    try:
        return path.read_bytes()
    except OSError as e:
        raise IngestError(path, f"cannot read file ({e.strerror or e})") from e


def _title(store: DocStore, doc_id: str) -> str:
    summary = store.summary(doc_id)
    return summary.title if summary else ""


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
