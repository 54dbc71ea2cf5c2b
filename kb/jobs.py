"""Background ingestion jobs: the API answers at once (202) and one worker thread ingests.

A job is files uploaded with the request, or paths on the server's disk (what the
CLI sends when a service holds the data directory). Its progress is updated after
each file; cancelling stops it between two files, so every file is either fully
stored or untouched. Jobs run one at a time (writes are serialised anyway) and
the last MAX_KEPT finished ones are remembered in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kb.models import Job, JobFailure

if TYPE_CHECKING:
    from kb.service import KnowledgeBase

log = logging.getLogger(__name__)
MAX_KEPT = 200


class JobCancelled(Exception):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class JobRunner:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._work: dict[str, Callable[[Job], None]] = {}
        self._cancel: set[str] = set()
        self._lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kb-jobs", daemon=True)
        self._thread.start()

    # -- submitting ------------------------------------------------------------------------------
    def submit_paths(self, paths: list[str], force: bool = False, follow_symlinks: bool = False) -> Job:
        targets = [Path(p) for p in paths]

        def work(job: Job) -> None:
            self.kb.ingest(
                targets, progress=lambda done, total, result: self._progress(job, done, total, result),
                force=force, follow_symlinks=follow_symlinks,
            )

        return self._submit(work, total=0)

    def submit_uploads(self, files: list[tuple[str, bytes]], force: bool = False) -> Job:
        def work(job: Job) -> None:
            from kb.pipeline import FileResult

            for done, (name, data) in enumerate(files, start=1):
                self._check_cancel(job)
                self._update(job, current=name)
                try:
                    _, status = self.kb.ingest_upload(name, data, force=force)
                    result = FileResult(f"upload:{name}", status)
                except Exception as exc:  # one bad file never stops the job
                    result = FileResult(f"upload:{name}", "failed", reason=_reason(exc))
                self._progress(job, done, len(files), result)

        return self._submit(work, total=len(files))

    def _submit(self, work: Callable[[Job], None], total: int) -> Job:
        job = Job(id=uuid.uuid4().hex, created_at=_now(), total=total)
        with self._lock:
            self._jobs[job.id] = job
            self._work[job.id] = work
            self._trim()
        self._queue.put(job.id)
        return job.model_copy()

    # -- reading ---------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job else None

    def list(self) -> list[Job]:
        with self._lock:
            return [j.model_copy(deep=True) for j in reversed(self._jobs.values())]

    def cancel(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.status == "queued":
                job.status, job.finished_at = "cancelled", _now()
                self._work.pop(job_id, None)
            elif job.status == "running":
                self._cancel.add(job_id)
            return job.model_copy(deep=True)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job has finished (for tests and the CLI's local mode)."""
        deadline = _now() + dt.timedelta(seconds=timeout)
        while _now() < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed", "cancelled"):
                return job
            threading.Event().wait(0.05)
        return self.get(job_id)

    def close(self) -> None:
        with self._lock:
            self._cancel.update(j for j, job in self._jobs.items() if job.status == "running")
        self._queue.put(None)
        self._thread.join(timeout=30)

    # -- the worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                work = self._work.pop(job_id, None)
                job = self._jobs.get(job_id)
                if work is None or job is None:
                    continue
                job.status, job.started_at = "running", _now()
            try:
                work(job)
                final = "done"
            except JobCancelled:
                final = "cancelled"
            except Exception as exc:  # noqa: BLE001 - a job reports its failure, the worker goes on
                log.exception("job %s failed", job_id)
                self._update(job, error=_reason(exc))
                final = "failed"
            with self._lock:
                job.status, job.finished_at, job.current = final, _now(), None
                self._cancel.discard(job_id)

    def _progress(self, job: Job, done: int, total: int, result) -> None:
        with self._lock:
            job.done, job.total, job.current = done, total, result.path
            if result.status in ("added", "updated", "unchanged", "skipped"):
                setattr(job, result.status, getattr(job, result.status) + 1)
            elif result.status == "failed":
                job.failed.append(JobFailure(path=result.path, reason=result.reason or "failed"))
        self._check_cancel(job)

    def _check_cancel(self, job: Job) -> None:
        with self._lock:
            cancelled = job.id in self._cancel
        if cancelled:
            raise JobCancelled()

    def _update(self, job: Job, **fields) -> None:
        with self._lock:
            for k, v in fields.items():
                setattr(job, k, v)

    def _trim(self) -> None:
        finished = [j for j, job in self._jobs.items() if job.status in ("done", "failed", "cancelled")]
        for job_id in finished[: max(0, len(self._jobs) - MAX_KEPT)]:
            del self._jobs[job_id]


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc)[:500] or type(exc).__name__
