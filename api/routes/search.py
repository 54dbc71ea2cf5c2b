"""Search and questions: open reads (or read-key reads with KB_REQUIRE_READ_KEY)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import KB, CanRead, heavy_read, require_text
from api.public import scrub
from kb.models import Answer, AskRequest, SearchRequest, SearchResponse

router = APIRouter(tags=["search"])


@router.post("/search", response_model=SearchResponse, summary="Search passages")
async def search_post(req: SearchRequest, kb: KB, _: CanRead, request: Request) -> SearchResponse:
    req = req.model_copy(update={"q": require_text("q", req.q)})
    return scrub(await heavy_read(request, kb.search, req), kb.settings)


@router.get("/search", response_model=SearchResponse, summary="Search passages (query string)")
async def search_get(
    req: Annotated[SearchRequest, Query()], kb: KB, _: CanRead, request: Request
) -> SearchResponse:
    """The fields of SearchRequest as query parameters; list filters repeat: `?lang=kk&lang=ru`."""
    req = req.model_copy(update={"q": require_text("q", req.q)})
    return scrub(await heavy_read(request, kb.search, req), kb.settings)


@router.post("/ask", response_model=Answer, summary="Answer a question with citations")
async def ask(req: AskRequest, kb: KB, _: CanRead, request: Request) -> Answer:
    req = req.model_copy(update={"question": require_text("question", req.question)})
    return scrub(await heavy_read(request, kb.ask, req), kb.settings)
