"""HTTP API over the knowledge base, and the staff web page at `/`.

Run with `uvicorn api.app:app`. The KnowledgeBase is created once, at startup, and
shared by all requests; calls into it are serialised because the embedded vector
engine and the embedder are not safe to drive from several threads at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from api.csv_export import obligations_csv
from api.errors import install_error_handlers, translate, unavailable_reason
from kb.models import (
    Answer,
    AskRequest,
    Document,
    DocumentSummary,
    EntityCount,
    EntityType,
    Genre,
    Lang,
    ObligationFilters,
    ObligationRow,
    Page,
    SearchRequest,
    SearchResponse,
)
from kb.service import KnowledgeBase
from kb.store import summarize

STATIC_DIR = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"
CSV_PAGE = 500  # rows fetched per KB call while building a CSV export
R = TypeVar("R")

try:  # Serves Swagger UI's files from the package instead of a CDN (the servers have no internet).
    from fastapi_offline import FastAPIOffline as _FastAPI
except ImportError:  # pragma: no cover - docs then load Swagger UI from its CDN
    _FastAPI = FastAPI


# -- sharing the knowledge base ------------------------------------------------------------
class _KBHolder:
    def __init__(self, kb: KnowledgeBase | None):
        self.kb = kb
        self.error: str | None = None
        self.lock = threading.RLock()

    def get(self) -> KnowledgeBase:
        with self.lock:
            if self.kb is None and self.error is None:
                self.open()
            if self.kb is None:
                raise HTTPException(status_code=503, detail=self.error or "The knowledge base is not open")
            return self.kb

    def open(self) -> None:
        try:
            self.kb = KnowledgeBase()
        except Exception as exc:  # noqa: BLE001 - any failure here means "not available"
            self.error = unavailable_reason(exc) or f"The knowledge base could not be opened: {exc}"


def get_kb(request: Request) -> KnowledgeBase:
    """The shared KnowledgeBase (tests replace it with app.dependency_overrides[get_kb])."""
    return request.app.state.kb_holder.get()


KB = Annotated[KnowledgeBase, Depends(get_kb)]


def _call(request: Request, fn: Callable[..., R], *args, **kwargs) -> R:
    """Run one KB operation under the shared lock, mapping its known failures to 422/503."""
    with request.app.state.kb_holder.lock:
        try:
            return fn(*args, **kwargs)
        except HTTPException:
            raise
        except Exception as exc:
            http = translate(exc)
            if http is None:
                raise
            raise http from exc


def _require_text(field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise HTTPException(status_code=422, detail=f"{field}: must not be empty or only whitespace")
    return text


# -- routes ---------------------------------------------------------------------------------
router = APIRouter(prefix=API_PREFIX)


@router.post("/search", response_model=SearchResponse, tags=["search"], summary="Search passages")
def search_post(req: SearchRequest, request: Request, kb: KB) -> SearchResponse:
    req = req.model_copy(update={"q": _require_text("q", req.q)})
    return _call(request, kb.search, req)


@router.get("/search", response_model=SearchResponse, tags=["search"], summary="Search passages (query string)")
def search_get(req: Annotated[SearchRequest, Query()], request: Request, kb: KB) -> SearchResponse:
    """The fields of SearchRequest as query parameters; list filters repeat: `?lang=kk&lang=ru`."""
    req = req.model_copy(update={"q": _require_text("q", req.q)})
    return _call(request, kb.search, req)


@router.post("/ask", response_model=Answer, tags=["search"], summary="Answer a question with citations")
def ask(req: AskRequest, request: Request, kb: KB) -> Answer:
    req = req.model_copy(update={"question": _require_text("question", req.question)})
    return _call(request, kb.ask, req)


@router.get("/documents", response_model=Page[DocumentSummary], tags=["documents"])
def list_documents(
    request: Request,
    kb: KB,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    lang: Lang | None = None,
    genre: Genre | None = None,
) -> Page[DocumentSummary]:
    return _call(request, kb.list_documents, offset=offset, limit=limit, lang=lang, genre=genre)


@router.get(
    "/documents/{doc_id}",
    response_model=Document,
    tags=["documents"],
    responses={404: {"description": "No such document"}},
)
def get_document(doc_id: str, request: Request, kb: KB) -> Document:
    doc = _call(request, kb.get_document, doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}")
    return doc


@router.post(
    "/documents",
    response_model=DocumentSummary,
    status_code=201,
    tags=["documents"],
    summary="Upload one file and ingest it",
    responses={
        200: {"description": "The same content was already stored: nothing changed", "model": DocumentSummary},
        413: {"description": "File too large"},
        422: {"description": "The file cannot be ingested (the message names the file and the reason)"},
    },
)
def upload_document(
    request: Request,
    response: Response,
    kb: KB,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, TXT or MD")],
) -> DocumentSummary:
    name = Path(file.filename or "").name
    if not name:
        raise HTTPException(status_code=422, detail="file: the upload has no file name")
    max_bytes = int(kb.settings.max_file_mb * 1024 * 1024)
    data = file.file.read(max_bytes + 1)  # never hold more than the limit in memory
    if len(data) > max_bytes:
        raise HTTPException(
            status_code=413, detail=f"{name}: larger than the {kb.settings.max_file_mb:g} MB limit"
        )
    if not data:
        raise HTTPException(status_code=422, detail=f"{name}: the file is empty")
    try:
        result = _call(request, kb.ingest_upload, name, data)
    except RuntimeError as exc:  # parsed, but tagging, storing or indexing failed; the store is unchanged
        raise HTTPException(status_code=500, detail=f"{name}: {exc}") from exc
    summary, status = result if isinstance(result, tuple) else (result, "added")
    if isinstance(summary, Document):
        summary = summarize(summary)
    if status == "unchanged":
        response.status_code = 200
    return summary


@router.delete(
    "/documents/{doc_id}", status_code=204, tags=["documents"], responses={404: {"description": "No such document"}}
)
def delete_document(doc_id: str, request: Request, kb: KB) -> Response:
    if not _call(request, kb.delete_document, doc_id):
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}")
    return Response(status_code=204)


@router.get("/entities", response_model=list[EntityCount], tags=["registries"])
def entities(request: Request, kb: KB, type: EntityType | None = None) -> list[EntityCount]:
    """Canonical conventions and agencies with how often they are mentioned."""
    return _call(request, kb.entity_counts, type)


def _all_obligations(request: Request, kb: KnowledgeBase, filters: ObligationFilters) -> list[ObligationRow]:
    rows: list[ObligationRow] = []
    while True:
        page = _call(request, kb.obligations, filters, offset=len(rows), limit=CSV_PAGE)
        rows.extend(page.items)
        if not page.items or len(rows) >= page.total:
            return rows


def _csv_response(request: Request, kb: KnowledgeBase, filters: ObligationFilters) -> Response:
    body = obligations_csv(_all_obligations(request, kb, filters))
    name = f"obligations-{dt.date.today().isoformat()}.csv"
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


_CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "The registry as CSV (format=csv)"}}


@router.get("/obligations", response_model=Page[ObligationRow], tags=["registries"], responses=_CSV_RESPONSE)
def obligations(
    filters: Annotated[ObligationFilters, Query()],
    request: Request,
    kb: KB,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Literal["json", "csv"] = "json",
):
    """The obligation registry; `format=csv` downloads every matching row as CSV."""
    if format == "csv":
        return _csv_response(request, kb, filters)
    return _call(request, kb.obligations, filters, offset=offset, limit=limit)


@router.get("/obligations.csv", tags=["registries"], response_class=Response, responses=_CSV_RESPONSE)
def obligations_csv_download(
    filters: Annotated[ObligationFilters, Query()], request: Request, kb: KB
) -> Response:
    return _csv_response(request, kb, filters)


@router.get("/health", tags=["service"])
def health(request: Request) -> Response:
    """200 with the KB's status when it can serve; 503 with the reason when it cannot."""
    holder = request.app.state.kb_holder
    kb = holder.get()
    try:
        status = _call(request, kb.health)
    except HTTPException as exc:
        return JSONResponse(status_code=exc.status_code, content={"status": "unavailable", "detail": exc.detail})
    status = dict(status or {})
    status.setdefault("status", "ok")
    code = 200 if status["status"] == "ok" else 503
    if code == 503:
        status.setdefault("detail", f"status is {status['status']!r}")
    return JSONResponse(status_code=code, content=status)


# -- the application ------------------------------------------------------------------------
def create_app(kb: KnowledgeBase | None = None) -> FastAPI:
    """The API and the staff page; opens a KnowledgeBase at startup unless one is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        holder: _KBHolder = app.state.kb_holder
        if holder.kb is None and holder.error is None:
            holder.open()
        yield
        close = getattr(holder.kb, "close", None)
        if callable(close):
            close()

    app = _FastAPI(
        title="Kazakhstan environmental regulation knowledge base",
        version="0.1.0",
        description="Search, questions with citations, documents, entities and the obligation "
        "registry over bilingual (Kazakh / Russian) environmental regulatory texts.",
        lifespan=lifespan,
    )
    app.state.kb_holder = _KBHolder(kb)
    install_error_handlers(app)
    app.include_router(router)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


app = create_app()
