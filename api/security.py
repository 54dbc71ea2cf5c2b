"""Browser-facing protections, applied to every response as plain ASGI middleware.

- Security headers: a content security policy (scripts only from this origin; the
  page has no inline script), nosniff, no framing, no referrer.
- Cross-site writes are refused: a POST/PUT/PATCH/DELETE whose Origin (or
  Sec-Fetch-Site) says it comes from another site gets a 403 before any route
  runs, unless that origin is listed in KB_CORS_ORIGINS. Keys travel in headers,
  never cookies, so a forged form cannot authenticate anyway; this also stops
  anonymous cross-site requests and DNS-rebinding style tricks.
- Request bodies are counted while they stream: a body over the limit is cut off
  with a 413 before the route (or the multipart parser) stores it.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = {b"POST", b"PUT", b"PATCH", b"DELETE"}

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc boot from one inline script; they get it, and nothing else changes.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


async def _json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


def _origin_of(value: str) -> str:
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else value.lower()


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: list[str] | None = None, max_body_bytes: int = 0):
        self.app = app
        self.allowed = {_origin_of(o) for o in allowed_origins or []}
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        csp = DOCS_CSP if scope.get("path", "").startswith(DOCS_PATHS) else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + [h for h in extra if h[0] not in present]
            await send(message)

        if scope["method"].encode() in UNSAFE:
            refusal = self._cross_site(headers)
            if refusal:
                await _json(send_with_headers, 403, refusal)
                return
            if self.max_body:
                length = headers.get(b"content-length")
                if length and length.isdigit() and int(length) > self.max_body:
                    await _json(send_with_headers, 413, f"request body: larger than the {self._limit()} limit")
                    return
                receive = self._counting(receive)
        try:
            await self.app(scope, receive, send_with_headers)
        except BodyTooLarge:
            await _json(send_with_headers, 413, f"request body: larger than the {self._limit()} limit")

    def _limit(self) -> str:
        return f"{self.max_body / 1024 / 1024:g} MB"

    def _cross_site(self, headers: dict[bytes, bytes]) -> str | None:
        origin = headers.get(b"origin", b"").decode("latin-1").strip()
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        if origin and origin != "null":
            o = _origin_of(origin)
            if o in self.allowed or urlsplit(o).netloc == host:
                return None
            return f"Origin {origin!r} may not send write requests to this service (cross-site request refused)"
        if origin == "null":
            return "Origin 'null' may not send write requests to this service (cross-site request refused)"
        if headers.get(b"sec-fetch-site", b"").decode("latin-1") == "cross-site":
            return "cross-site request refused"
        return None

    def _counting(self, receive: Receive) -> Receive:
        seen = 0
        limit = self.max_body

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(f"request body: larger than the {limit / 1024 / 1024:g} MB limit")
            return message

        return wrapped


class BodyTooLarge(HTTPException):
    """Raised from receive() when a streaming body passes the limit. An HTTPException, so
    that FastAPI's body parsing passes it through as the 413 it is (not a 400)."""

    def __init__(self, detail: str):
        super().__init__(status_code=413, detail=detail)
