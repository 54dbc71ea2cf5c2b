"""Turn every failure into a JSON body `{"detail": "..."}` that a person can read.

Clients (the staff page included) show `detail` as is, so it must name the field
or the cause, and it must never carry a stack trace or internal object reprs.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api")


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error response: a readable `detail`; for 422 also the failing fields."""

    detail: str
    errors: list[FieldError] | None = None

# Exception classes (matched by name anywhere in the MRO, so that the API does not have to
# import optional back-ends such as qdrant_client just to recognise their errors) that mean
# "the index or the model is not there right now", not "your request is wrong".
_UNAVAILABLE_NAMES = {
    "IndexUnavailableError",  # kb.index: server down, directory locked or unusable
    "IndexConfigError",  # kb.index: the stored collection does not match the model
    "ModelNotFoundError",  # kb.embeddings
    "ModelLoadError",
    "ResponseHandlingException",  # qdrant_client: the server could not be reached
    "UnexpectedResponse",  # qdrant_client: the server answered with an error status
    "ConnectError",
    "ConnectTimeout",
    "TransportError",  # httpx
    "RpcError",  # grpc
}


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def is_ingest_error(exc: BaseException) -> bool:
    """True for ingest.errors.IngestError (by name, so that subclasses count too)."""
    return "IngestError" in _class_names(exc)


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the service cannot answer now, or None if `exc` is not an availability problem."""
    names = _class_names(exc)
    message = _short(str(exc)) or type(exc).__name__
    if names & _UNAVAILABLE_NAMES or isinstance(exc, (ConnectionError, TimeoutError)):
        return f"The search index or model is unavailable: {message}"
    if isinstance(exc, FileNotFoundError):
        # The only files the KB opens at query time are the model and the index.
        return f"A required model or index file is missing: {message}"
    return None


def translate(exc: Exception) -> HTTPException | None:
    """The HTTP error for a failure inside the knowledge base, or None for a bug (-> 500)."""
    if is_ingest_error(exc):
        return HTTPException(status_code=422, detail=_short(str(exc), 1000) or "The file cannot be ingested")
    reason = unavailable_reason(exc)
    if reason:
        log.warning("%s", reason)
        return HTTPException(status_code=503, detail=reason)
    return None


def _short(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_name(loc: tuple) -> str:
    # Drop where the value came from ("body", "query", "path"); keep the field path.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    name = ""
    for p in parts:
        name += f"[{p}]" if p.isdigit() else (f".{p}" if name else p)
    return name or "request"


def validation_detail(errors: list[dict]) -> tuple[str, list[dict]]:
    items = []
    for err in errors:
        field = _field_name(tuple(err.get("loc", ())))
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        value = err.get("input")
        if isinstance(value, str):
            msg += f" (got {value!r})" if len(value) <= 40 else f" (got {len(value)} characters)"
        items.append({"field": field, "message": msg})
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items) or "Invalid request"
    return detail, items


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, items = validation_detail(list(exc.errors()))
        return JSONResponse(status_code=422, content={"detail": detail, "errors": items})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse(
            status_code=exc.status_code, content={"detail": detail}, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Last resort: known failures were already mapped by `translate` where the KB is called.
        log.exception("unhandled error in %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500,
            content={"detail": f"Internal error ({type(exc).__name__}); the server log has the details"},
        )
