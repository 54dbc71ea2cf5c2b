"""Parallel parsing: files parsed in worker processes give the same results, in the same
order, as one at a time; a worker's death loses no file; the time budget holds in workers."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from ingest_samples import make_pdf
from kb.config import Settings
from kb.parse_pool import MIN_FILES, ParsePool
from kb.pipeline import Hooks, ingest_paths
from kb.store import DocStore

CORPUS = Path(__file__).resolve().parents[1] / "corpora"


def _folder(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for p in sorted(CORPUS.glob("seeds/*/*.txt")):
        shutil.copy(p, inbox / p.name)
    (inbox / "plan.pdf").write_bytes(make_pdf(rows=8))
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF")
    (inbox / "empty.txt").write_bytes(b"")
    first = sorted(inbox.glob("*.txt"))[1]
    shutil.copy(first, inbox / "zz-copy.txt")  # the same bytes twice in one batch
    return inbox


def _run(tmp_path: Path, inbox: Path, workers: int, name: str):
    settings = Settings(data_dir=tmp_path / name, parse_workers=workers)
    events: list[tuple[int, int, str, str]] = []
    hooks = Hooks(enrichers=[lambda d: d.meta.__setitem__("enriched", str(os.getpid()))])
    report = ingest_paths(
        [inbox], settings, hooks=hooks,
        progress=lambda done, total, r: events.append((done, total, Path(r.path).name, r.status)),
    )
    store = DocStore(settings)
    docs = {s.id: store.get(s.id) for s in store.list()}
    return report, events, docs


def test_parallel_ingest_matches_serial(tmp_path):
    inbox = _folder(tmp_path)
    assert len(list(inbox.iterdir())) >= MIN_FILES  # enough files for the pool to start
    serial, serial_events, serial_docs = _run(tmp_path, inbox, 1, "serial")
    parallel, parallel_events, parallel_docs = _run(tmp_path, inbox, 2, "parallel")

    def rows(report):
        return [(Path(f.path).name, f.status, f.doc_id, f.title, f.reason) for f in report.files]

    assert rows(parallel) == rows(serial)
    assert parallel_events == serial_events  # progress in walk order, one call per file
    statuses = {Path(f.path).name: (f.status, f.reason) for f in parallel.files}
    assert statuses["broken.pdf"][0] == "failed" and "PDF" in statuses["broken.pdf"][1]
    assert statuses["empty.txt"] == ("failed", "empty file")
    assert statuses["zz-copy.txt"][0] == "unchanged"  # the copy is decided after its original is stored
    assert statuses["plan.pdf"][0] == "added"
    # the documents themselves are the same; enrichment ran in the main process
    assert set(parallel_docs) == set(serial_docs)
    for key, doc in parallel_docs.items():
        assert doc.meta.pop("enriched") == str(os.getpid())
        serial_docs[key].meta.pop("enriched")
        assert doc == serial_docs[key]


def test_time_budget_applies_in_workers(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = "\n\n".join(f"{i}. Министерство обязано представить доклад номер {i}." for i in range(20000))
    for n in range(MIN_FILES):
        (inbox / f"big-{n}.txt").write_text(f"Закон {n}\n\n" + text, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", parse_workers=2, parse_timeout_s=0.05)
    report = ingest_paths([inbox], settings, hooks=Hooks())
    assert [f.status for f in report.files] == ["failed"] * MIN_FILES
    assert all("parsing took longer than 0.05 s (limit KB_PARSE_TIMEOUT_S)" == f.reason for f in report.files)


def test_a_killed_worker_loses_no_file():
    """Every worker is killed mid-parse: the pool restarts and each file is still parsed."""
    from ingest.options import IngestOptions

    text = "\n\n".join(f"{i}. Министерство обязано представить доклад номер {i}." for i in range(3000))
    files = [(f"Закон {n}\n\n{text}".encode(), f"law-{n}.txt") for n in range(4)]
    with ParsePool(2, IngestOptions(), files=MIN_FILES) as pool:
        tickets = [pool.submit(data, name, f"/nowhere/{name}") for data, name in files]
        deadline = time.monotonic() + 60
        while not pool._pool._processes and time.monotonic() < deadline:  # noqa: SLF001
            time.sleep(0.05)
        time.sleep(0.5)
        for proc in list(pool._pool._processes.values()):  # noqa: SLF001
            os.kill(proc.pid, signal.SIGKILL)
        results = [pool.result(t) for t in tickets]
        assert pool.restarts >= 1
    assert [r.reason for r in results] == [None] * 4
    assert [r.doc.title for r in results] == [f"Закон {n}" for n in range(4)]


def test_one_file_or_one_worker_parses_in_process():
    from ingest.options import IngestOptions

    assert not ParsePool(1, IngestOptions(), files=100).parallel
    assert not ParsePool(2, IngestOptions(), files=1).parallel
    assert ParsePool(2, IngestOptions(), files=10).parallel


def test_parse_workers_setting(monkeypatch):
    monkeypatch.setenv("KB_PARSE_WORKERS", "3")
    assert Settings().parse_workers == 3
    monkeypatch.delenv("KB_PARSE_WORKERS")
    assert 1 <= Settings().parse_workers <= 2
    with pytest.raises(ValueError):
        Settings(parse_workers=0)


def test_workers_also_enrich_when_the_enrichers_can_travel(tmp_path):
    """With kb.enrich's module-level enrichers the workers tag and extract too (they cost as
    much CPU as parsing and hold the interpreter lock): the stored documents are the same as
    one file at a time in this process."""
    from kb.enrich import ENRICHERS
    from kb.parse_pool import portable

    inbox = _folder(tmp_path)
    docs = {}
    for workers in (1, 2):
        settings = Settings(data_dir=tmp_path / f"w{workers}", parse_workers=workers)
        report = ingest_paths([inbox], settings, hooks=Hooks(enrichers=list(ENRICHERS)))
        assert report.count("added") >= 5
        store = DocStore(settings)
        docs[workers] = {s.id: store.get(s.id) for s in store.list()}
    assert docs[2] == docs[1]
    assert any(d.obligations for d in docs[2].values()) and any(d.entities for d in docs[2].values())
    assert portable(ENRICHERS) == tuple(ENRICHERS)
    assert portable([lambda d: None]) is None  # such enrichers run in this process


def test_a_pool_with_enrichers_returns_enriched_documents():
    from ingest.options import IngestOptions

    from kb.enrich import ENRICHERS

    text = "Правила\n\n1. Оператор ежегодно до 1 марта представляет в уполномоченный орган отчет."
    with ParsePool(2, IngestOptions(), files=MIN_FILES, enrichers=ENRICHERS) as pool:
        parsed = pool.result(pool.submit(text.encode(), "rules.txt", "/nowhere/rules.txt"))
    assert parsed.enriched and parsed.doc.obligations


def test_a_worker_killed_between_files_costs_no_file():
    """The pool breaks while idle: the next submit starts a new one instead of failing the batch."""
    from ingest.options import IngestOptions

    files = [(f"Закон {n}\n\n1. Министерство представляет доклад.".encode(), f"law-{n}.txt") for n in range(2)]
    with ParsePool(2, IngestOptions(), files=MIN_FILES) as pool:
        first = pool.result(pool.submit(*files[0], "/nowhere/law-0.txt"))
        for proc in list(pool._pool._processes.values()):  # noqa: SLF001
            os.kill(proc.pid, signal.SIGKILL)
        time.sleep(1.0)  # the executor notices and marks itself broken
        second = pool.result(pool.submit(*files[1], "/nowhere/law-1.txt"))
    assert (first.doc.title, second.doc.title) == ("Закон 0", "Закон 1")
