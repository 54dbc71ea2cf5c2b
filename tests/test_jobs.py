"""Ingestion jobs live in the database: any worker reports any job, cancels reach the runner."""

from __future__ import annotations

import socket
import time

from sqlalchemy import update

from api_fakes import FakeKB
from kb.db import writing
from kb.db.schema import jobs
from kb.jobs import JobRunner


class SlowKB(FakeKB):
    def ingest_upload(self, filename, data, force=False):
        time.sleep(0.3)
        return super().ingest_upload(filename, data, force=force)


def _files(n: int):
    return [(f"note{i}.txt", f"Заметка {i}.\n\nТекст {i}.".encode()) for i in range(n)]


def test_another_worker_sees_and_cancels_a_running_job():
    kb = SlowKB()
    runner, other = JobRunner(kb), JobRunner(kb)  # two API workers on one database
    try:
        job = runner.submit_uploads(_files(20))
        deadline = time.monotonic() + 30
        while (seen := other.get(job.id)).done < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen.status == "running" and seen.done >= 2
        other.cancel(job.id)
        final = runner.wait(job.id, timeout=30)
        assert final.status == "cancelled" and final.done < 20
        assert other.get(job.id) == final
        assert [j.id for j in other.list()] == [job.id]
    finally:
        runner.close()
        other.close()


def test_a_queued_job_cancelled_never_runs_and_a_dead_workers_job_is_failed():
    kb = SlowKB()
    runner = JobRunner(kb)
    try:
        first = runner.submit_uploads(_files(3))
        second = runner.submit_uploads(_files(1))
        assert runner.cancel(second.id).status == "cancelled"
        assert runner.wait(first.id, timeout=30).status == "done"
        time.sleep(0.2)
        assert runner.get(second.id).status == "cancelled" and runner.get(second.id).done == 0
    finally:
        runner.close()
    # A job recorded as running by a process of this host that no longer exists.
    with writing(runner.engine) as conn:
        conn.execute(update(jobs).where(jobs.c.id == first.id).values(
            status="running", owner=f"{socket.gethostname()}:999999999"))
    again = JobRunner(kb)
    try:
        assert again.get(first.id).status == "failed" and "stopped" in again.get(first.id).error
    finally:
        again.close()


def test_a_running_job_reports_its_eta_from_its_pace():
    import datetime as dt

    from kb.models import Job

    now = dt.datetime.now(dt.timezone.utc)
    running = Job(id="j", status="running", created_at=now, started_at=now - dt.timedelta(seconds=10), done=2, total=6)
    assert 19 <= running.eta_s <= 21  # 5 s a file so far, 4 files to go
    assert "eta_s" in running.model_dump(mode="json")
    assert Job(id="j", status="running", created_at=now, started_at=now, done=0, total=6).eta_s is None
    assert Job(id="j", status="done", created_at=now, started_at=now, done=6, total=6).eta_s is None
    assert Job.model_validate(running.model_dump(mode="json")).done == 2  # the computed key round-trips
