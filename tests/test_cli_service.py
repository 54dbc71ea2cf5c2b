"""One data directory, many clients (issue 14, item 4, the CLI side).

While the service runs on KB_DATA_DIR it holds the embedded index and announces itself in
KB_DATA_DIR/service.json; the CLI then goes through it. Here a small FastAPI app implements
the service's contract over a real KnowledgeBase on the same data directory (so it really
holds the index lock), served by uvicorn on a free loopback port in a thread. The CLI's
outputs through it must equal its outputs in local mode."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import pytest
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel
from typer.testing import CliRunner

from kb.config import Settings
from kb.models import (
    Answer,
    AskRequest,
    Document,
    DocumentSummary,
    EntityCount,
    ObligationFilters,
    ObligationRow,
    Page,
    SearchRequest,
    SearchResponse,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpora"
FILES = [
    "seeds/ru/2017-minamata-cop1-decision-mc-1-21.txt",
    "kazakhstan-law/government/06-government/103-pravitelstvo/2023/"
    "0303-o-nekotorykh-voprosakh-ministerstva-po-chrezvychainym-situatsiia-179095/kaz.md",
    "kazakhstan-law/government/06-government/103-pravitelstvo/2023/"
    "0303-o-nekotorykh-voprosakh-ministerstva-po-chrezvychainym-situatsiia-179095/rus.md",
]
EXTRA = CORPUS / "seeds/kk/2025-stockholm-nip-press-release.txt"
TOKEN = "test-admin-token"
QUERY = "Кто должен ответить на чрезвычайную ситуацию?"


class JobRequest(BaseModel):
    paths: list[str]
    force: bool = False
    follow_symlinks: bool = False


class Cancelled(Exception):
    pass


def fake_service(kb, token: str = TOKEN, slow_s: float = 0.0) -> FastAPI:
    """The service's contract (/api/v1), as the lead specified it, over `kb`."""
    app = FastAPI()
    app.state.calls = []
    app.state.jobs = {}
    jobs: dict[str, dict] = app.state.jobs
    cancel: dict[str, threading.Event] = {}

    @app.middleware("http")
    async def record(request: Request, call_next):
        app.state.calls.append((request.method, request.url.path, request.headers.get("authorization")))
        return await call_next(request)

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization is None:
            raise HTTPException(401, "an API key is required")
        if authorization != f"Bearer {token}":
            raise HTTPException(403, "this key may not do that")

    r = APIRouter(prefix="/api/v1")

    @r.get("/health")
    def health():
        return {"status": "ok"}

    @r.post("/search", response_model=SearchResponse)
    def search(req: SearchRequest):
        return kb.search(req)

    @r.post("/ask", response_model=Answer)
    def ask(req: AskRequest):
        return kb.ask(req)

    @r.get("/documents", response_model=Page[DocumentSummary])
    def documents(offset: int = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  lang: str | None = None, genre: str | None = None):
        return kb.list_documents(offset=offset, limit=limit, lang=lang, genre=genre)

    @r.get("/documents/{doc_id}", response_model=Document)
    def document(doc_id: str):
        doc = kb.get_document(doc_id)
        if doc is None:
            raise HTTPException(404, f"no document with id {doc_id}")
        return doc

    @r.delete("/documents/{doc_id}", status_code=204, dependencies=[Depends(admin)])
    def delete(doc_id: str):
        if not kb.delete_document(doc_id):
            raise HTTPException(404, f"no document with id {doc_id}")
        return Response(status_code=204)

    @r.get("/obligations", response_model=Page[ObligationRow])
    def obligations(filters: Annotated[ObligationFilters, Query()], offset: int = 0,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100):
        return kb.obligations(filters, offset=offset, limit=limit)

    @r.get("/entities", response_model=list[EntityCount])
    def entities(type: str | None = None):
        return kb.entity_counts(type)

    def now() -> str:
        return datetime.now(timezone.utc).isoformat()

    def run(job: dict, req: JobRequest) -> None:
        job.update(status="running", started_at=now())

        def progress(done: int, total: int, result) -> None:
            job.update(done=done, total=total, current=result.path)
            if result.status in ("added", "updated", "unchanged", "skipped"):
                job[result.status] += 1
            elif result.status == "failed":
                job["failed"].append({"path": result.path, "reason": result.reason})
            time.sleep(slow_s)
            if cancel[job["id"]].is_set():
                raise Cancelled

        try:
            kb.ingest([Path(p) for p in req.paths], progress=progress, force=req.force,
                      follow_symlinks=req.follow_symlinks)
            job["status"] = "done"
        except Cancelled:
            job["status"] = "cancelled"
        except Exception as e:  # the fake reports, as the real service does
            job.update(status="failed", error=str(e))
        job.update(finished_at=now(), current=None)

    @r.post("/jobs", status_code=202, dependencies=[Depends(admin)])
    def create_job(req: JobRequest):
        job = {"id": uuid.uuid4().hex, "status": "queued", "created_at": now(), "started_at": None,
               "finished_at": None, "total": 0, "done": 0, "current": None, "added": 0, "updated": 0,
               "unchanged": 0, "skipped": 0, "failed": [], "error": None, "request": req.model_dump()}
        jobs[job["id"]] = job
        cancel[job["id"]] = threading.Event()
        threading.Thread(target=run, args=(job, req), daemon=True).start()
        return public(job)

    def public(job: dict) -> dict:
        return {k: v for k, v in job.items() if k != "request"}

    @r.get("/jobs/{job_id}")
    def get_job(job_id: str):
        if job_id not in jobs:
            raise HTTPException(404, "no such job")
        return public(jobs[job_id])

    @r.post("/jobs/{job_id}/cancel", dependencies=[Depends(admin)])
    def cancel_job(job_id: str):
        if job_id not in jobs:
            raise HTTPException(404, "no such job")
        cancel[job_id].set()
        return public(jobs[job_id])

    @r.get("/jobs")
    def list_jobs():
        return [public(j) for j in jobs.values()]

    app.include_router(r)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningService:
    """A fake service on a KnowledgeBase over `settings`, announced in service.json."""

    def __init__(self, settings: Settings, token: str = TOKEN, file_token: str | None = None, slow_s: float = 0.0):
        from kb.service import KnowledgeBase

        self.settings = settings
        self.kb = KnowledgeBase(settings)
        self.kb.reconcile()  # opens the embedded index: from here on this process holds its lock
        self.app = fake_service(self.kb, token, slow_s=slow_s)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "fake service did not start"
            time.sleep(0.02)
        self.file = settings.data_dir / "service.json"
        self.file.write_text(json.dumps({"url": self.url, "pid": os.getpid(), "token": file_token or token}))
        self.file.chmod(0o600)

    @property
    def calls(self) -> list[tuple[str, str, str | None]]:
        return self.app.state.calls

    def paths_called(self) -> set[str]:
        return {path for _, path, _ in self.calls}

    def stop(self) -> None:
        self.file.unlink(missing_ok=True)
        self.server.should_exit = True
        self.thread.join(10)
        self.kb.close()

    def __enter__(self) -> RunningService:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture(scope="module")
def settings(tmp_path_factory, embedding_model_dir):
    data = tmp_path_factory.mktemp("svcdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KB_DATA_DIR", str(data))
        mp.setenv("KB_EMBEDDING_MODEL", str(embedding_model_dir))
        from kb.config import get_settings

        get_settings.cache_clear()
        corpus = tmp_path_factory.mktemp("svccorpus")
        for rel in FILES:
            shutil.copy(CORPUS / rel, corpus / f"{rel.split('/')[1]}-{Path(rel).name}")
        result = CliRunner().invoke(app_(), ["ingest", str(corpus)])
        assert result.exit_code == 0, result.output
        yield Settings()
        get_settings.cache_clear()


def cli(*args: str):
    result = CliRunner().invoke(app_(), list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


JSON_COMMANDS = [
    ("search", QUERY, "--json", "--top-k", "5"),
    ("search", "Минамата", "--json", "--lang", "ru", "--one-per-doc"),
    ("ask", QUERY, "--json"),
    ("documents", "--json"),
    ("documents", "--json", "--lang", "kk"),
    ("obligations", "--all", "--json"),
    ("obligations", "--all", "--csv", "--lang", "ru"),
    ("entities", "--json"),
    ("entities", "--json", "--type", "agency"),
]


def test_outputs_through_the_service_equal_local_outputs(settings, monkeypatch):
    import kb.client

    # small pages, so that the client's paging through /documents and /obligations is exercised
    monkeypatch.setattr(kb.client, "DOCUMENTS_PAGE", 2)
    monkeypatch.setattr(kb.client, "OBLIGATIONS_PAGE", 3)
    local = {}
    for args in JSON_COMMANDS:
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
        local[args] = result.stdout
    for args in JSON_COMMANDS:
        if "--json" in args:
            assert json.loads(local[args]), args  # something to compare: not an empty list
    assert len(local[("obligations", "--all", "--csv", "--lang", "ru")].splitlines()) > 1

    with RunningService(settings) as service:
        for args in JSON_COMMANDS:
            result = cli(*args)
            assert result.exit_code == 0, (args, result.output)
            assert result.stdout == local[args], args
        assert {"/api/v1/search", "/api/v1/ask", "/api/v1/documents", "/api/v1/obligations",
                "/api/v1/entities"} <= service.paths_called()
        assert all(auth == f"Bearer {TOKEN}" for _, path, auth in service.calls if path != "/api/v1/health")

        # the human-readable forms go through it too
        table = cli("documents")
        assert table.exit_code == 0 and "3 documents" in table.stdout
        hits = cli("search", QUERY)
        assert hits.exit_code == 0 and "hits" in hits.stdout

        # --local while the service holds the index: one clear line, not a lock traceback
        before = len(service.calls)
        refused = cli("search", QUERY, "--local")
        assert refused.exit_code == 3
        assert f"the kb service at {service.url} (pid {os.getpid()}) holds the index" in refused.stderr
        assert "without --local" in refused.stderr
        assert not [c for c in service.calls[before:] if c[1] != "/api/v1/health"]


def test_ingest_and_delete_go_through_the_service(settings, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXTRA, inbox / "press.txt")
    (inbox / "empty.md").write_bytes(b"")
    (inbox / "notes.xyz").write_text("skipped")
    with RunningService(settings) as service:
        os.chdir(tmp_path)  # relative paths on the command line reach the server absolute
        try:
            result = cli("ingest", "inbox")
        finally:
            os.chdir(Path(__file__).parent)
        assert result.exit_code == 1, result.output
        assert "added 1 · updated 0 · unchanged 0 · skipped 1 · failed 1" in result.stdout
        assert f"error: {inbox / 'empty.md'}: empty file" in result.stderr
        (job,) = service.app.state.jobs.values()
        assert job["request"] == {"paths": [str(inbox)], "force": False, "follow_symlinks": False}
        assert ("POST", "/api/v1/jobs", f"Bearer {TOKEN}") in service.calls

        # the service sees the new document at once
        new = next(d for d in service.kb.list_documents(limit=100).items if d.source.endswith("press.txt"))
        listed = json.loads(cli("documents", "--json").stdout)
        assert new.id in {d["id"] for d in listed} and len(listed) == 4

        again = cli("ingest", str(inbox / "press.txt"), "--follow-symlinks")
        assert again.exit_code == 0 and "unchanged 1" in again.stdout
        assert list(service.app.state.jobs.values())[-1]["request"]["follow_symlinks"] is True

        deleted = cli("delete", new.id)
        assert deleted.exit_code == 0 and deleted.stdout.strip() == f"deleted {new.id}"
        assert ("DELETE", f"/api/v1/documents/{new.id}", f"Bearer {TOKEN}") in service.calls
        assert service.kb.get_document(new.id) is None
        missing = cli("delete", new.id)
        assert missing.exit_code == 1 and f"no document with id {new.id}" in missing.stderr


def test_ctrl_c_cancels_the_ingestion_job(settings, tmp_path, monkeypatch):
    import kb.cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"note-{n}.txt").write_text(f"Записка номер {n} о мерах по охране окружающей среды и отчётности.")
    real_sleep = time.sleep
    interrupts = iter([KeyboardInterrupt])

    def sleep(s):
        exc = next(interrupts, None)
        if exc:
            raise exc
        real_sleep(s)

    monkeypatch.setattr(kb.cli, "_pause", sleep)
    with RunningService(settings, slow_s=0.5) as service:
        result = cli("ingest", str(inbox))
        (job,) = service.app.state.jobs.values()
        assert result.exit_code == 130 and "ingestion cancelled" in result.stderr
        assert job["status"] == "cancelled" and job["done"] < 3
        assert ("POST", f"/api/v1/jobs/{job['id']}/cancel", f"Bearer {TOKEN}") in service.calls
        for d in service.kb.list_documents(limit=100).items:  # leave the module's data as it was
            if "note-" in d.source:
                service.kb.delete_document(d.id)


def test_a_refused_key_is_one_clear_line(settings, tmp_path):
    with RunningService(settings, file_token="not-the-key"):
        result = cli("delete", "0123456789abcdef")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: the kb service answered 403: this key may not do that"


def test_stale_service_files_are_ignored(settings):
    expected = cli("documents", "--json").stdout
    service_json = settings.data_dir / "service.json"

    dead = subprocess.Popen(["true"])
    dead.wait()
    service_json.write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": dead.pid, "token": "x"}))
    try:
        result = cli("documents", "--json")
        assert result.exit_code == 0 and result.stdout == expected

        # a live pid, but nothing answers on the port: also stale, found out within the 2 s budget
        service_json.write_text(json.dumps({"url": f"http://127.0.0.1:{free_port()}", "pid": os.getpid(),
                                            "token": "x"}))
        started = time.monotonic()
        result = cli("search", QUERY, "--json", "--top-k", "3")
        assert result.exit_code == 0 and json.loads(result.stdout)
        assert time.monotonic() - started < 30

        service_json.write_text("{not json")
        assert cli("documents", "--json").stdout == expected
    finally:
        service_json.unlink(missing_ok=True)


def test_discover_checks_the_pid_and_health(settings):
    from kb.client import discover

    assert discover(settings) is None  # no file
    with RunningService(settings) as service:
        found = discover(settings)
        assert found is not None and found.url == service.url and found.token == TOKEN
    assert discover(settings) is None  # the file went with the service


def app_():
    from kb.cli import app

    return app


def test_serve_shortens_the_interpreter_switch_interval(monkeypatch, tmp_path):
    """`kb serve` sets KB_SWITCH_INTERVAL_MS for its process before the server starts."""
    import sys

    from kb.cli import app

    seen: list[float] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(sys.getswitchinterval()))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KB_SWITCH_INTERVAL_MS", "2")
    for name in ("KB_HOST", "KB_PORT"):  # serve writes them; monkeypatch puts them back
        monkeypatch.setenv(name, os.environ.get(name, ""))
        monkeypatch.delenv(name)
    before = sys.getswitchinterval()
    from kb.config import get_settings

    get_settings.cache_clear()  # settings are read once per process: read this test's
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "0"])
        assert result.exit_code == 0, result.output
        assert seen == [0.002]
    finally:
        sys.setswitchinterval(before)
        get_settings.cache_clear()
