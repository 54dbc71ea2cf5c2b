"""What every route shares: the knowledge base, who is calling, and safe ids.

Reads are open unless `KB_REQUIRE_READ_KEY` is set; writes always need a key of
the right role. A key travels as `Authorization: Bearer KEY` or `X-API-Key: KEY`;
both are declared as security schemes, so /docs shows an "Authorize" button.
No cookie ever authenticates, which is what makes cross-site writes useless.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, HTTPException, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import translate, unavailable_reason
from kb.ids import is_valid_doc_id
from kb.models import Role, role_allows
from kb.service import KnowledgeBase

R = TypeVar("R")


# -- sharing the knowledge base ------------------------------------------------------------
class KBHolder:
    """Opens the KnowledgeBase once; later requests share it (it is safe for concurrent reads)."""

    def __init__(self, kb: KnowledgeBase | None):
        self.kb = kb
        self.error: str | None = None
        self._open_lock = threading.Lock()

    def get(self) -> KnowledgeBase:
        if self.kb is None and self.error is None:
            with self._open_lock:
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


async def get_kb(request: Request) -> KnowledgeBase:
    """The shared KnowledgeBase (tests replace it with app.dependency_overrides[get_kb]).

    Async so that FastAPI does not send every request through a worker thread just to
    read an attribute: under 50 concurrent clients each such hop costs a thread switch
    and a turn at the interpreter lock. Only the first opening goes to a thread."""
    holder = request.app.state.kb_holder
    if holder.kb is not None:
        return holder.kb
    return await run_in_threadpool(holder.get)


KB = Annotated[KnowledgeBase, Depends(get_kb)]


def call(fn: Callable[..., R], *args, **kwargs) -> R:
    """Run one KB operation, mapping its known failures to 422/503 (anything else is a 500)."""
    try:
        return fn(*args, **kwargs)
    except HTTPException:
        raise
    except Exception as exc:
        http = translate(exc)
        if http is None:
            raise
        raise http from exc


async def heavy_read(request: Request, fn: Callable[..., R], *args) -> R:
    """Run a search or an answer in a worker thread, at most `KB_READ_CONCURRENCY` at a time.

    The others wait in line in arrival order (anyio's limiter is first come, first served).
    With 40 threads all inside a search at once, the lock-holding parts take turns at random,
    so some searches waited three times as long as the median; in line, each waits about as
    long as the others, and the ones in flight still fill a query-embedding batch."""
    limiter = getattr(request.app.state, "read_limiter", None)
    if limiter is None:  # made on first use: a limiter belongs to the running event loop
        limiter = request.app.state.read_limiter = anyio.CapacityLimiter(
            request.app.state.read_concurrency)
    return await anyio.to_thread.run_sync(lambda: call(fn, *args), limiter=limiter)


# -- who is calling ----------------------------------------------------------------------------
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer KEY`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key in `X-API-Key`")


@dataclass(frozen=True)
class Caller:
    role: Role | None  # None: anonymous
    key_id: str | None = None


ANONYMOUS = Caller(role=None)


def _secret(request: Request, header: str | None) -> str | None:
    """The one key the request presents. Every credential sent must be usable: an
    Authorization header that is not a bearer key is refused, not skipped over."""
    authorization = request.headers.get("authorization")
    bearer = None
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized("Authorization: expected 'Bearer KEY'")
        bearer = value.strip()
    if bearer and header and bearer != header:
        raise _unauthorized("Authorization: two different keys were sent (Authorization and X-API-Key)")
    return bearer or header or None


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def identify(request: Request, secret: str | None) -> Caller:
    """The caller behind a key; 401 for a key that is not valid (a wrong key is never 'anonymous')."""
    if secret is None:
        return ANONYMOUS
    token = getattr(request.app.state, "service_token", None)
    if token and hmac.compare_digest(secret.encode(), token.encode()):
        return Caller(role="admin", key_id="service")
    kb = request.app.state.kb_holder.get()
    record = call(kb.keys.verify, secret)
    if record is None:
        raise _unauthorized("Authorization: the API key is not valid (unknown or revoked)")
    return Caller(role=record.role, key_id=record.id)


def require(role: Role) -> Callable[..., Caller]:
    """A dependency that lets a call through only with a key of `role` or above."""

    def dependency(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
        header: Annotated[str | None, Security(_header)],
    ) -> Caller:
        caller = identify(request, _secret(request, header))
        if caller.role is None:
            raise _unauthorized(f"Authorization: this operation needs an API key with the {role!r} role")
        if not role_allows(caller.role, role):
            raise HTTPException(
                status_code=403, detail=f"Forbidden: this operation needs the {role!r} role, the key has {caller.role!r}"
            )
        return caller

    dependency.__name__ = f"require_{role}"
    return dependency


async def reader(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> Caller:
    """Reads are open unless KB_REQUIRE_READ_KEY is set; a key that is sent must still be valid.

    Async (see get_kb): an anonymous read needs no lookup; a key is checked in a thread."""
    secret = _secret(request, header)
    caller = ANONYMOUS if secret is None else await run_in_threadpool(identify, request, secret)
    if caller.role is None and request.app.state.require_read_key:
        raise _unauthorized("Authorization: this service needs an API key (role 'read' or above) for reads")
    return caller


CanRead = Annotated[Caller, Depends(reader)]
CanWrite = Annotated[Caller, Depends(require("write"))]
IsAdmin = Annotated[Caller, Depends(require("admin"))]


# -- ids ---------------------------------------------------------------------------------------
def known_id(value: str, what: str = "document") -> str:
    """An id from a URL: malformed ids are simply unknown (404); they never reach a file path."""
    if not is_valid_doc_id(value):
        raise HTTPException(status_code=404, detail=f"No {what} with that id")
    return value


def require_text(field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise HTTPException(status_code=422, detail=f"{field}: must not be empty or only whitespace")
    return text
