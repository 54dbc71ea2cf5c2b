"""Background ingestion jobs: the API answers at once (202) and a worker thread ingests.

A job is files uploaded with the request, or paths on the server's disk (what the CLI
sends when a service holds the data directory). Its record lives in the database (the
`jobs` table), so any API worker or machine can report on any job, and a cancel
request reaches the worker that runs it. Progress is written after each file;
cancelling stops a job between two files, so every file is either fully stored or
untouched. Each worker runs its own jobs one at a time (writes are serialised anyway).
A job whose worker process is gone is reported as failed, never as running forever.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update

from kb.db import engine_for, writing
from kb.db.schema import jobs as jobs_table
from kb.models import Job, JobFailure
from kb.priority import lower_this_thread
from kb.service_file import pid_alive

if TYPE_CHECKING:
    from kb.service import KnowledgeBase

log = logging.getLogger(__name__)
MAX_KEPT = 500  # finished jobs remembered; older ones are dropped
FINISHED = ("done", "failed", "cancelled")


class JobCancelled(Exception):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobRunner:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.owner = _owner()
        self._work: dict[str, Callable[[Job], None]] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kb-jobs", daemon=True)
        self._thread.start()
        self._fail_orphans()

    @cached_property
    def engine(self):
        return engine_for(self.kb.settings)

    # -- submitting ------------------------------------------------------------------------------
    def submit_paths(self, paths: list[str], force: bool = False, follow_symlinks: bool = False) -> Job:
        targets = [Path(p) for p in paths]

        def work(job: Job) -> None:
            shown = [0.0]

            def rebuilding(elapsed: float, estimate: float) -> None:
                # a save every 2 s is plenty; elapsed == estimate is optimize's last call
                if elapsed - shown[0] >= 2 or elapsed == estimate:
                    shown[0] = elapsed
                    left = max(0, round(estimate - elapsed))
                    job.current = f"search index (HNSW): {round(elapsed)} s, about {left} s left"
                    self._save(job)

            self.kb.ingest(
                targets, progress=lambda done, total, result: self._progress(job, done, total, result),
                force=force, follow_symlinks=follow_symlinks, rebuild_progress=rebuilding,
            )

        return self._submit(work, total=0)

    def submit_uploads(self, files: list[tuple[str, bytes]], force: bool = False) -> Job:
        def work(job: Job) -> None:
            from kb.pipeline import FileResult

            for done, (name, data) in enumerate(files, start=1):
                self._check_cancel(job)
                job.current = name
                self._save(job)
                try:
                    _, status = self.kb.ingest_upload(name, data, force=force)
                    result = FileResult(f"upload:{name}", status)
                except Exception as exc:  # one bad file never stops the job
                    result = FileResult(f"upload:{name}", "failed", reason=_reason(exc))
                self._progress(job, done, len(files), result)

        return self._submit(work, total=len(files))

    def _submit(self, work: Callable[[Job], None], total: int) -> Job:
        job = Job(id=uuid.uuid4().hex, created_at=_now(), total=total)
        with writing(self.engine) as conn:
            conn.execute(insert(jobs_table).values(
                id=job.id, status=job.status, owner=self.owner, created_at=job.created_at,
                record=job.model_dump_json(), cancel_requested=False,
            ))
        with self._lock:
            self._work[job.id] = work
        self._queue.put(job.id)
        self._trim()
        return job

    # -- reading ---------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs_table.c.record).where(jobs_table.c.id == job_id)).first()
        return Job.model_validate_json(row.record) if row else None

    def list(self, limit: int = 100) -> list[Job]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs_table.c.record).order_by(jobs_table.c.created_at.desc()).limit(limit)
            ).all()
        return [Job.model_validate_json(r.record) for r in rows]

    def cancel(self, job_id: str) -> Job | None:
        with writing(self.engine) as conn:
            row = conn.execute(select(jobs_table).where(jobs_table.c.id == job_id)).first()
            if row is None:
                return None
            job = Job.model_validate_json(row.record)
            if job.status == "queued":
                job.status, job.finished_at = "cancelled", _now()
                conn.execute(update(jobs_table).where(jobs_table.c.id == job_id).values(
                    status=job.status, record=job.model_dump_json(), cancel_requested=True))
            elif job.status == "running":
                conn.execute(update(jobs_table).where(jobs_table.c.id == job_id).values(cancel_requested=True))
        return job

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job has finished (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        job = self.get(job_id)
        while job is not None and job.status not in FINISHED and time.monotonic() < deadline:
            time.sleep(0.05)
            job = self.get(job_id)
        return job

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    # -- the worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        lower_this_thread(self.kb.settings.writer_nice)  # jobs yield the CPU to requests
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                work = self._work.pop(job_id, None)
            job = self.get(job_id)
            if work is None or job is None or job.status != "queued":
                continue  # cancelled while queued
            job.status, job.started_at = "running", _now()
            self._save(job)
            try:
                work(job)
                job.status = "done"
            except JobCancelled:
                job.status = "cancelled"
            except Exception as exc:  # noqa: BLE001 - a job reports its failure, the worker goes on
                log.exception("job %s failed", job_id)
                job.status, job.error = "failed", _reason(exc)
            job.finished_at, job.current = _now(), None
            self._save(job)

    def _progress(self, job: Job, done: int, total: int, result) -> None:
        job.done, job.total, job.current = done, total, result.path
        if result.status in ("added", "updated", "unchanged", "skipped"):
            setattr(job, result.status, getattr(job, result.status) + 1)
        elif result.status == "failed":
            job.failed.append(JobFailure(path=result.path, reason=result.reason or "failed"))
        self._save(job)
        self._check_cancel(job)

    def _check_cancel(self, job: Job) -> None:
        with self.engine.connect() as conn:
            flag = conn.execute(select(jobs_table.c.cancel_requested).where(jobs_table.c.id == job.id)).scalar()
        if flag:
            raise JobCancelled()

    def _save(self, job: Job) -> None:
        with writing(self.engine) as conn:
            conn.execute(update(jobs_table).where(jobs_table.c.id == job.id).values(
                status=job.status, record=job.model_dump_json()))

    def _fail_orphans(self) -> None:
        """Jobs left queued or running by a process of this host that no longer exists."""
        host = socket.gethostname() + ":"
        with writing(self.engine) as conn:
            rows = conn.execute(select(jobs_table).where(jobs_table.c.status.in_(("queued", "running")))).all()
            for row in rows:
                if not row.owner.startswith(host) or pid_alive(int(row.owner[len(host):] or 0)):
                    continue
                job = Job.model_validate_json(row.record)
                job.status, job.finished_at = "failed", _now()
                job.error = "the service stopped before the job finished; run it again"
                conn.execute(update(jobs_table).where(jobs_table.c.id == row.id).values(
                    status=job.status, record=job.model_dump_json()))

    def _trim(self) -> None:
        with writing(self.engine) as conn:
            old = conn.execute(
                select(jobs_table.c.id).where(jobs_table.c.status.in_(FINISHED))
                .order_by(jobs_table.c.created_at.desc()).offset(MAX_KEPT)
            ).scalars().all()
            if old:
                conn.execute(delete(jobs_table).where(jobs_table.c.id.in_(old)))


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc)[:500] or type(exc).__name__
