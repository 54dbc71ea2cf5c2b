"""Writes run at a lower CPU priority than requests, and never lower a request thread's."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from api_fakes import FakeKB
from kb.config import Settings
from kb.jobs import JobRunner
from kb.priority import BackgroundPool, in_background
from kb.service import KnowledgeBase

linux = pytest.mark.skipif(sys.platform != "linux", reason="thread nice values are Linux's")


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@linux
def test_an_upload_runs_niced_and_the_caller_keeps_its_priority(tmp_path, monkeypatch):
    kb = KnowledgeBase(Settings(data_dir=tmp_path, writer_nice=7))
    seen = {}

    def fake(filename, data, force):
        seen.update(nice=_nice(), background=in_background(), thread=threading.get_ident())
        return "summary", "added"

    monkeypatch.setattr(kb, "_ingest_upload", fake)
    before = _nice()
    try:
        assert kb.ingest_upload("a.txt", b"x") == ("summary", "added")
    finally:
        kb.close()
    assert seen["nice"] == min(19, before + 7) and seen["background"]
    assert seen["thread"] != threading.get_ident()
    assert _nice() == before and not in_background()


@linux
def test_a_job_runs_niced():
    kb = FakeKB()
    kb.settings = kb.settings.model_copy(update={"writer_nice": 5})
    seen = []
    original = kb.ingest_upload

    def spy(filename, data, force=False):
        seen.append(_nice())
        return original(filename, data, force=force)

    kb.ingest_upload = spy
    runner = JobRunner(kb)
    try:
        job = runner.submit_uploads([("a.txt", "Текст.".encode())])
        assert runner.wait(job.id, timeout=30).status == "done"
    finally:
        runner.close()
    assert seen and seen[0] >= 5


def test_work_already_in_the_background_runs_inline():
    pool = BackgroundPool(nice=0, workers=1)
    try:
        outer, inner = pool.run(lambda: (threading.get_ident(), pool.run(threading.get_ident)))
    finally:
        pool.close()
    assert outer == inner != threading.get_ident()
