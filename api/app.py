"""HTTP API over the knowledge base, and the staff web page at `/`.

Run with `uvicorn api.app:app` (or `kb serve`). The KnowledgeBase is opened once,
at startup, and shared by all requests: reads run concurrently, writes are
serialised inside the KnowledgeBase, and /health never waits for either.
While the service holds the embedded index it publishes `service.json` in the
data directory (url and a per-process admin token, mode 0600) so that the CLI on
the same machine goes through it instead of fighting over the index.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute

from api.deps import KBHolder, get_kb
from api.errors import install_error_handlers
from api.openapi import use_error_schema
from api.routes import ROUTERS
from api.security import SecurityMiddleware
from fastapi.staticfiles import StaticFiles
from kb.config import Settings, get_settings
from kb.service import KnowledgeBase
from kb.service_file import ServiceFile

STATIC_DIR = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"
MULTIPART_OVERHEAD = 1024 * 1024  # room for form boundaries and headers around a file at the limit
log = logging.getLogger("api")

try:  # Serves Swagger UI's files from the package instead of a CDN (the servers have no internet).
    from fastapi_offline import FastAPIOffline as _FastAPI
except ImportError:  # pragma: no cover - docs then load Swagger UI from its CDN
    _FastAPI = FastAPI

__all__ = ["app", "create_app", "get_kb"]


def create_app(kb: KnowledgeBase | None = None, settings: Settings | None = None) -> FastAPI:
    """The API and the staff page; opens a KnowledgeBase at startup unless one is given."""
    settings = settings or getattr(kb, "settings", None) or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        holder: KBHolder = app.state.kb_holder
        if holder.kb is None and holder.error is None:
            holder.open()
            if holder.kb is not None:
                try:
                    await run_in_threadpool(holder.kb.warm_up)
                except Exception as exc:  # noqa: BLE001 - a failed warm-up only makes the first search slower
                    log.warning("warm-up failed: %s", exc)
        published = None
        if holder.kb is not None and app.state.publish:
            published = ServiceFile.publish(holder.kb.settings)
            app.state.service_token = published.token
        try:
            yield
        finally:
            if published is not None:
                published.remove()
            close = getattr(holder.kb, "close", None)
            if callable(close):
                close()

    app = _FastAPI(
        title="Kazakhstan environmental regulation knowledge base",
        version="0.2.0",
        description="Search, questions with citations, documents, entities, ingestion jobs and the obligation "
        "registry over bilingual (Kazakh / Russian) environmental regulatory texts. Reads are open unless the "
        "service requires a read key; uploads, deletions and jobs need an API key with the write role "
        "(`Authorization: Bearer KEY` or `X-API-Key: KEY`; create one with `kb keys create --role write`).",
        lifespan=lifespan,
    )
    app.state.kb_holder = KBHolder(kb)
    app.state.require_read_key = settings.require_read_key
    app.state.service_token = None
    app.state.read_concurrency = settings.read_concurrency
    # Only a real service process publishes itself; an app built around a given KB (tests) does not.
    app.state.publish = kb is None
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    use_error_schema(app, ROUTERS, API_PREFIX)

    @app.exception_handler(405)
    async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's Allow lists only the first route that matched the path; a path served by
        # two routes (GET and POST /search) must list both.
        allowed = _methods_for(request.url.path)
        return JSONResponse(
            status_code=405,
            content={"detail": f"Method {request.method} is not allowed here; use {', '.join(allowed)}"},
            headers={"Allow": ", ".join(allowed)},
        )

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if settings.cors_origins:  # closed unless configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.add_middleware(
        SecurityMiddleware,
        allowed_origins=settings.cors_origins,
        max_body_bytes=int(settings.max_file_mb * 1024 * 1024) + MULTIPART_OVERHEAD,
    )
    return app


def _methods_for(path: str) -> list[str]:
    rel = path.removeprefix(API_PREFIX)
    methods = {
        m
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path_regex.match(rel)
        for m in route.methods
    }
    return sorted(methods)


app = create_app()
