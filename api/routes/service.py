"""Health: answered at once, without waiting for any other request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["service"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 with the KB's status when it can serve; 503 with the reason when it cannot."""
    holder = request.app.state.kb_holder
    if holder.kb is None:
        detail = holder.error or "The knowledge base is still opening"
        return JSONResponse(status_code=503, content={"status": "unavailable", "detail": detail})
    try:
        status = dict(holder.kb.health() or {})
    except Exception as exc:  # noqa: BLE001 - health reports, it does not fail
        return JSONResponse(status_code=503, content={"status": "unavailable", "detail": str(exc)[:300]})
    status.setdefault("status", "ok")
    code = 200 if status["status"] == "ok" else 503
    if code == 503:
        status.setdefault("detail", f"status is {status['status']!r}")
    return JSONResponse(status_code=code, content=status)
