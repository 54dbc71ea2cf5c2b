"""Files parsed in worker processes while the main process enriches, embeds and writes.

`ParsePool.submit` hands a file's bytes to a worker (`KB_PARSE_WORKERS` of them); `result`
returns the outcome in the caller's order. A worker parses with the same `parse_bytes` (and
so the same per-file time budget, `KB_PARSE_TIMEOUT_S`: a worker's main thread arms its
timer) and sends back the Document, or the reason the file failed. A worker that dies on a
file (a crash in a C library) takes only that file down: the file is retried alone in a
fresh process, then reported failed; the other files go to a new pool.

Workers are spawned, not forked: the main process holds model threads and database
connections that a fork would copy in an unknown state.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest import IngestError, parse_bytes
from ingest.models import Document
from ingest.options import IngestOptions
from ingest.sidecar import find_for as find_sidecar

# Below this many files to parse, the pool's start-up (a fresh interpreter per worker, ~2 s
# importing the parser) costs more than it saves: they are parsed in the main process.
MIN_FILES = 8
CRASHED = "the parser process crashed on this file (exit {code}); the other files went on"


@dataclass
class Parsed:
    """One file's parse: the Document, or why it failed (`unexpected`: not an IngestError)."""

    doc: Document | None = None
    reason: str | None = None
    unexpected: bool = False
    enriched: bool = False  # the enrichers ran on `doc` already (in the worker)


def parse_one(data: bytes, name: str, source: str, options: IngestOptions) -> Parsed:
    """What `ingest_file` did inline: parse with the file's sidecar; the outcome as data
    (an IngestError does not survive pickling: its reason travels as text)."""
    try:
        doc = parse_bytes(data, name, options, source=source, sidecar=find_sidecar(Path(source)))
        return Parsed(doc=doc)
    except IngestError as e:
        return Parsed(reason=e.reason)
    except Exception as e:  # a parser bug must still name the file, in the main process
        return Parsed(reason=f"{type(e).__name__}: {e}", unexpected=True)


def prepare_one(data: bytes, name: str, source: str, options: IngestOptions,
                enrichers: tuple[Callable[[Document], None], ...] | None = None) -> Parsed:
    """`parse_one`, then the enrichers (default kb.enrich's): a document ready to store."""
    parsed = parse_one(data, name, source, options)
    if parsed.doc is not None:
        if enrichers is None:
            from kb.enrich import ENRICHERS as enrichers
        for enrich in enrichers:
            try:
                enrich(parsed.doc)
            except Exception as e:  # as store_document reports an enricher's failure
                return Parsed(reason=f"{getattr(enrich, '__name__', enrich)} failed: {e}", unexpected=True)
        parsed.enriched = True
    return parsed


def portable(enrichers) -> tuple | None:
    """The enrichers as a tuple a worker process can receive (module-level functions), or
    None when one of them only exists in this process (a bound method, a closure)."""
    import pickle

    try:
        pickle.dumps(tuple(enrichers))
    except Exception:  # noqa: BLE001 - any pickling failure means "run them here"
        return None
    return tuple(enrichers)


def _worker_init(parent: int, nice: int = 0) -> None:
    import signal

    import ingest.parse  # noqa: F401  (imports and data loaded once per worker, not per file)

    if nice:
        try:
            os.nice(nice)
        except OSError:  # not allowed here: same priority as the service
            pass

    # Ctrl-C reaches the whole process group: the main process stops the batch and the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        # A worker outlives a killed parent (kill -9): it blocks on its queue forever.
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class ParsePool:
    """Parse jobs in `workers` processes; with fewer than two workers (or fewer than
    MIN_FILES files) everything is parsed in this process, as before."""

    def __init__(self, workers: int, options: IngestOptions, files: int, enrichers=()):
        self.workers = workers
        self.options = options
        # Entity tagging and obligation extraction cost as much CPU as parsing (a 300-article
        # act: 0.6 s to parse, 5 s to enrich) and hold the interpreter lock: with workers they
        # run there too, beside the parse, when they can travel to a worker.
        self.enrichers = portable(enrichers) if enrichers else None
        self.parallel = workers > 1 and files >= MIN_FILES
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[int, tuple[tuple, Future | None]] = {}
        self._next = 0
        self.restarts = 0  # pools replaced after a worker died

    @property
    def ahead(self) -> int:
        """How many files may be read and queued ahead of the one being stored."""
        return self.workers * 2 if self.parallel else 0

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self, workers: int | None = None) -> ProcessPoolExecutor:
        return _spawned(workers or self.workers)

    def submit(self, data: bytes, name: str, source: str) -> int:
        """A ticket for `result`. Parallel: the parse starts now in a worker."""
        args = (data, name, source, self.options)
        future = None
        if self.parallel:
            if self._pool is None:
                self._pool = self._executor()
            try:
                future = self._pool.submit(*self._call(args))
            except BrokenProcessPool:  # a worker died since the last submit: a new pool
                self._restart()
                if self._pool is None:
                    self._pool = self._executor()
                future = self._pool.submit(*self._call(args))
        ticket = self._next
        self._next += 1
        self._jobs[ticket] = (args, future)
        return ticket

    def _call(self, args: tuple) -> tuple:
        """What a worker runs for one file: parse, and enrich when the enrichers can travel."""
        return (prepare_one, *args, self.enrichers) if self.enrichers else (parse_one, *args)

    def result(self, ticket: int) -> Parsed:
        args, future = self._jobs.pop(ticket)
        if future is None:
            return parse_one(*args)  # in this process: the pipeline enriches as before
        try:
            return future.result()
        except BrokenProcessPool:
            self._restart()
            return self._alone(args)

    def discard(self, ticket: int) -> None:
        """The file needs no parse after all (a copy of one stored meanwhile)."""
        _, future = self._jobs.pop(ticket)
        if future is not None:
            future.cancel()

    def _restart(self) -> None:
        """A worker died: every job in the pool failed with it. A new pool takes the rest."""
        old, self._pool = self._pool, None
        self.restarts += 1
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        for ticket, (args, future) in list(self._jobs.items()):
            if future is not None and not _succeeded(future):
                if self._pool is None:
                    self._pool = self._executor()
                self._jobs[ticket] = (args, self._pool.submit(*self._call(args)))

    def _alone(self, args: tuple) -> Parsed:
        """The file whose worker died, again in a process of its own: is it the culprit?"""
        with self._executor(1) as solo:
            future = solo.submit(*self._call(args))
            try:
                return future.result()
            except BrokenProcessPool:
                return _crashed(solo)


class UploadWorker:
    """One spawned process, shared by every knowledge base of this process and kept between
    uploads, that parses and enriches uploaded files (`prepare_one`).

    Parsing and obligation extraction are pure Python: in the service's own process they
    hold the interpreter lock that every search needs, and a 300-article upload took a
    sixth of it for half a minute. In a process of its own (at the writers' nice value) the
    upload costs the searches only the CPU the searches leave. A worker that dies on a
    file fails that upload with the reason; the next upload starts a fresh worker."""

    def __init__(self, nice: int):
        self.nice = nice
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def run(self, data: bytes, name: str, source: str, options: IngestOptions) -> Parsed:
        for attempt in (1, 2):  # a worker that died before this file must not fail it
            pool = self._current()
            try:
                return pool.submit(prepare_one, data, name, source, options).result()
            except BrokenProcessPool:
                crashed = _crashed(pool)
                self._discard(pool)
                if attempt == 2:  # this file took a fresh worker down too
                    return crashed
        raise AssertionError("unreachable")

    def pids(self) -> list[int]:
        """The worker's process id (none before the first upload)."""
        pool = self._pool
        return [p.pid for p in getattr(pool, "_processes", {}).values()] if pool is not None else []

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = _spawned(1, self.nice)
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


_upload_workers: dict[int, UploadWorker] = {}
_upload_lock = threading.Lock()


def upload_worker(nice: int) -> UploadWorker:
    """The process-wide upload worker for this nice value (see UploadWorker)."""
    with _upload_lock:
        if nice not in _upload_workers:
            _upload_workers[nice] = UploadWorker(nice)
        return _upload_workers[nice]


def _spawned(workers: int, nice: int = 0) -> ProcessPoolExecutor:
    """Worker processes that watch this one (see _worker_init)."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init, initargs=(os.getpid(), nice),
    )


def _crashed(pool: ProcessPoolExecutor) -> Parsed:
    """The outcome of a file whose worker in `pool` died on it."""
    codes = [p.exitcode for p in getattr(pool, "_processes", {}).values()]
    return Parsed(reason=CRASHED.format(code=codes[0] if codes else "unknown"))


def _succeeded(future: Future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None
