"""Talk to the `kb serve` process that holds this data directory's index.

The embedded vector index is one directory that one process at a time may open. While the
API service runs on KB_DATA_DIR it writes `KB_DATA_DIR/service.json` (mode 0600):
    {"url": "http://127.0.0.1:8000", "pid": 1234, "token": "<admin key of that process>"}
and removes it on shutdown. `discover` finds a live one (the pid exists and /api/v1/health
answers within 2 s; anything else is a stale file and is ignored), and `ServiceClient`
makes the CLI's calls through it. Its methods are named and typed like
`kb.service.KnowledgeBase`'s, so the CLI prints the same records either way.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from kb.config import Settings, get_settings
from kb.service_file import ServiceFile
from kb.models import (
    Act,
    ActFilters,
    ActSort,
    Answer,
    AskRequest,
    Document,
    DocumentSummary,
    EntityCount,
    ObligationFilters,
    ObligationRow,
    Job,
    Page,
    SearchRequest,
    SearchResponse,
)

API = "/api/v1"
HEALTH_TIMEOUT_S = 2.0
# Searches and answers embed the query, and an ingest job's paths are read by the server:
# allow for a busy machine, but never hang on a dead connection.
TIMEOUT = httpx.Timeout(300.0, connect=5.0)
DOCUMENTS_PAGE = 500  # the API's largest /documents page
OBLIGATIONS_PAGE = 1000  # the API's largest /obligations page
ACTS_PAGE = 500  # the API's largest /acts page


class ServiceInfo(BaseModel):
    """The contents of KB_DATA_DIR/service.json."""

    url: str
    pid: int
    token: str


def job_finished(job: Job) -> bool:
    return job.status in ("done", "failed", "cancelled")


class ServiceError(Exception):
    """The service answered with an error, or could not be reached; str() is one line."""

    def __init__(self, message: str, status: int | None = None, detail: Any = None):
        self.status = status
        self.detail = detail
        super().__init__(message)


def answers(info: ServiceInfo, timeout: float = HEALTH_TIMEOUT_S) -> bool:
    """Whether the service answers its health check (any HTTP answer: a 503 'degraded' one
    still holds the index) within `timeout` seconds."""
    try:
        httpx.get(info.url.rstrip("/") + API + "/health", timeout=timeout, headers=_auth(info))
    except httpx.HTTPError:
        return False
    return True


def discover(settings: Settings | None = None) -> ServiceInfo | None:
    """The live service on this data directory, or None (no file, or a stale one)."""
    published = ServiceFile.read(settings or get_settings())  # None when its process is gone
    if published is None:
        return None
    info = ServiceInfo(url=published.url, pid=published.pid, token=published.token)
    return info if answers(info) else None


def _auth(info: ServiceInfo) -> dict[str, str]:
    return {"Authorization": f"Bearer {info.token}"}


def _detail_text(detail: Any) -> str:
    """The API's {"detail": ...} as one line: a string, or FastAPI's list of field errors."""
    if isinstance(detail, list):
        parts = []
        for err in detail:
            if isinstance(err, dict):
                loc = ".".join(str(x) for x in err.get("loc", []) if x not in ("body", "query", "path"))
                parts.append(f"{loc or 'input'}: {err.get('msg', err)}")
            else:
                parts.append(str(err))
        return "; ".join(parts)
    if isinstance(detail, dict):
        return str(detail.get("detail") or detail.get("message") or json.dumps(detail, ensure_ascii=False))
    return " ".join(str(detail).split())


class ServiceClient:
    """The calls the CLI makes, over HTTP to the running service."""

    def __init__(self, info: ServiceInfo, transport: httpx.BaseTransport | None = None):
        self.info = info
        self.http = httpx.Client(
            base_url=info.url.rstrip("/") + API, headers=_auth(info), timeout=TIMEOUT, transport=transport
        )

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- plumbing ----------------------------------------------------------------
    def _request(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs) -> httpx.Response:
        try:
            resp = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise ServiceError(f"cannot reach the kb service at {self.info.url}: {e}") from e
        if resp.status_code not in ok:
            try:
                detail = resp.json().get("detail", resp.text)
            except (ValueError, AttributeError):
                detail = resp.text
            text = _detail_text(detail) or resp.reason_phrase
            raise ServiceError(f"the kb service answered {resp.status_code}: {text}", resp.status_code, detail)
        return resp

    def _parse(self, model: type[BaseModel], resp: httpx.Response):
        try:
            return model.model_validate_json(resp.content)
        except (ValidationError, ValueError) as e:
            raise ServiceError(f"the kb service sent an unexpected answer to {resp.request.url.path}: {e}") from e

    # -- search and answers --------------------------------------------------------
    def search(self, req: SearchRequest) -> SearchResponse:
        return self._parse(SearchResponse, self._request("POST", "/search", json=req.model_dump(mode="json")))

    def ask(self, req: AskRequest) -> Answer:
        return self._parse(Answer, self._request("POST", "/ask", json=req.model_dump(mode="json")))

    # -- documents -------------------------------------------------------------------
    def list_documents(
        self, offset: int = 0, limit: int = 50, lang: str | None = None, genre: str | None = None
    ) -> Page[DocumentSummary]:
        """Like KnowledgeBase.list_documents; a limit over the API's page size is fetched page by page."""
        query = {k: v for k, v in {"lang": lang, "genre": genre}.items() if v is not None}
        return self._paged("/documents", DocumentSummary, query, offset, limit, DOCUMENTS_PAGE)

    def get_document(self, doc_id: str) -> Document | None:
        resp = self._request("GET", f"/documents/{quote(doc_id, safe='')}", ok=(200, 404))
        return None if resp.status_code == 404 else self._parse(Document, resp)

    def delete_document(self, doc_id: str) -> bool:
        resp = self._request("DELETE", f"/documents/{quote(doc_id, safe='')}", ok=(200, 204, 404))
        return resp.status_code != 404

    # -- acts ------------------------------------------------------------------------
    def list_acts(
        self, filters: ActFilters | None = None, sort: ActSort = "-date", offset: int = 0, limit: int = 50
    ) -> Page[Act]:
        """Like KnowledgeBase.list_acts; a limit over the API's page size is fetched page by page."""
        query = (filters or ActFilters()).model_dump(mode="json", exclude_none=True)
        query.update(sort=sort.lstrip("-"), order="desc" if sort.startswith("-") else "asc")
        return self._paged("/acts", Act, query, offset, limit, ACTS_PAGE)

    def _paged(self, path: str, model, query: dict, offset: int, limit: int, page_size: int) -> Page:
        """One Page of up to `limit` items from a list endpoint whose pages hold at most `page_size`."""
        items: list = []
        total = 0
        while True:
            want = min(page_size, limit - len(items))
            page = self._parse(Page[model], self._request(
                "GET", path, params={**query, "offset": offset + len(items), "limit": want}))
            items.extend(page.items)
            total = page.total
            if not page.items or len(items) >= limit or offset + len(items) >= total:
                break
        return Page[model](total=total, offset=offset, limit=limit, items=items)

    def get_act(self, act_id: str) -> Act | None:
        resp = self._request("GET", f"/acts/{quote(act_id, safe='')}", ok=(200, 404))
        return None if resp.status_code == 404 else self._parse(Act, resp)

    def link_documents(self, doc_id: str, other_id: str) -> Act:
        return self._parse(Act, self._request("POST", "/acts/link", json={"doc_id": doc_id, "other_id": other_id}))

    def unlink_document(self, doc_id: str) -> Act:
        return self._parse(Act, self._request("POST", "/acts/unlink", json={"doc_id": doc_id}))

    # -- registries ----------------------------------------------------------------
    def obligation_rows(self, filters: ObligationFilters) -> list[ObligationRow]:
        query = filters.model_dump(mode="json", exclude_none=True)
        rows: list[ObligationRow] = []
        while True:
            resp = self._request("GET", "/obligations", params={**query, "offset": len(rows), "limit": OBLIGATIONS_PAGE})
            page = self._parse(Page[ObligationRow], resp)
            rows.extend(page.items)
            if not page.items or len(rows) >= page.total:
                return rows

    def obligation_pair_rows(self, filters: ObligationFilters) -> list:
        """The register with each duty once for both language versions (GET /obligations?view=paired)."""
        from kb.models import PairedObligationRow

        query = filters.model_dump(mode="json", exclude_none=True)
        rows: list[PairedObligationRow] = []
        while True:
            resp = self._request("GET", "/obligations", params={**query, "view": "paired", "offset": len(rows),
                                                                "limit": OBLIGATIONS_PAGE})
            page = self._parse(Page[PairedObligationRow], resp)
            rows.extend(page.items)
            if not page.items or len(rows) >= page.total:
                return rows

    def entity_counts(self, type: str | None = None) -> list[EntityCount]:
        resp = self._request("GET", "/entities", params={"type": type} if type else None)
        try:
            return [EntityCount.model_validate(e) for e in resp.json()]
        except (ValidationError, ValueError, TypeError) as e:
            raise ServiceError(f"the kb service sent an unexpected answer to /entities: {e}") from e

    # -- ingestion jobs --------------------------------------------------------------
    def create_job(self, paths: list[str], force: bool = False, follow_symlinks: bool = False) -> Job:
        body = {"paths": paths, "force": force, "follow_symlinks": follow_symlinks}
        return self._parse(Job, self._request("POST", "/jobs", ok=(200, 201, 202), json=body))

    def job(self, job_id: str) -> Job:
        return self._parse(Job, self._request("GET", f"/jobs/{quote(job_id, safe='')}"))

    def cancel_job(self, job_id: str) -> Job:
        return self._parse(Job, self._request("POST", f"/jobs/{quote(job_id, safe='')}/cancel"))

    def jobs(self) -> list[Job]:
        resp = self._request("GET", "/jobs")
        try:
            return [Job.model_validate(j) for j in resp.json()]
        except (ValidationError, ValueError, TypeError) as e:
            raise ServiceError(f"the kb service sent an unexpected answer to /jobs: {e}") from e
