"""Search and questions: open reads (or read-key reads with KB_REQUIRE_READ_KEY)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import KB, CanRead, call, require_text
from api.public import scrub
from kb.models import Answer, AskRequest, SearchRequest, SearchResponse

router = APIRouter(tags=["search"])


@router.post("/search", response_model=SearchResponse, summary="Search passages")
def search_post(req: SearchRequest, kb: KB, _: CanRead) -> SearchResponse:
    req = req.model_copy(update={"q": require_text("q", req.q)})
    return scrub(call(kb.search, req), kb.settings)


@router.get("/search", response_model=SearchResponse, summary="Search passages (query string)")
def search_get(req: Annotated[SearchRequest, Query()], kb: KB, _: CanRead) -> SearchResponse:
    """The fields of SearchRequest as query parameters; list filters repeat: `?lang=kk&lang=ru`."""
    req = req.model_copy(update={"q": require_text("q", req.q)})
    return scrub(call(kb.search, req), kb.settings)


@router.post("/ask", response_model=Answer, summary="Answer a question with citations")
def ask(req: AskRequest, kb: KB, _: CanRead) -> Answer:
    req = req.model_copy(update={"question": require_text("question", req.question)})
    return scrub(call(kb.ask, req), kb.settings)
