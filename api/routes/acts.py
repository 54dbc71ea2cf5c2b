"""Acts: the bilingual records staff browse (open), and the links of documents to acts
that override automatic pairing (write key)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from starlette.convertors import Convertor, register_url_convertor

from api.deps import KB, CanRead, CanWrite, call, known_id
from api.public import scrub
from kb.acts.ids import is_valid_act_id
from kb.acts.store import ActConflict, ActError, ActNotFound
from kb.models import Act, ActFilters, ActKind, ActSort, ActStatus, LinkRequest, Page, UnlinkRequest



class ActIdConvertor(Convertor):
    """An act id in a path: never "link" or "unlink", so those paths are POST only (the Allow
    header and the schema agree); anything else that is not an id is simply not found."""

    regex = r"(?!(?:un)?link$)[A-Za-z0-9_-]{1,128}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("act_id", ActIdConvertor())

router = APIRouter(prefix="/acts", tags=["acts"])
NOT_FOUND = {404: {"description": "No such act"}}
LINK_ERRORS = {
    404: {"description": "No such document"},
    409: {"description": "The act already has that language version from another file (both are named)"},
}


def _public(act: Act, kb) -> Act:
    return act.model_copy(update={"versions": [scrub(v, kb.settings) for v in act.versions]})


@router.get("", response_model=Page[Act])
def list_acts(
    kb: KB,
    _: CanRead,
    kind: ActKind | None = None,
    issuer: Annotated[str | None, Query(max_length=200, description="Agency id or part of the name")] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: ActStatus | None = None,
    lang: Literal["kk", "ru"] | None = None,
    q: Annotated[str | None, Query(max_length=500, description="Words of the title")] = None,
    sort: Annotated[Literal["date", "title"], Query(description="Sort by adoption date or title")] = "date",
    order: Literal["asc", "desc"] = "desc",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Act]:
    """Acts with their requisites and language versions, filtered and sorted in the database."""
    if date_from and date_to and date_from > date_to:
        raise HTTPException(status_code=422, detail="date_from: after date_to")
    filters = ActFilters(kind=kind, issuer=(issuer or "").strip() or None, date_from=date_from, date_to=date_to,
                         status=status, lang=lang, q=(q or "").strip() or None)
    by: ActSort = sort if order == "asc" else f"-{sort}"  # type: ignore[assignment]
    page = call(kb.list_acts, filters, sort=by, offset=offset, limit=limit)
    return page.model_copy(update={"items": [_public(a, kb) for a in page.items]})


@router.get("/{act_id:act_id}", response_model=Act, responses=NOT_FOUND)
def get_act(act_id: str, kb: KB, _: CanRead) -> Act:
    act = call(kb.get_act, act_id) if is_valid_act_id(act_id) else None
    if act is None:
        raise HTTPException(status_code=404, detail=f"No act with id {act_id!r}"[:200])
    return _public(act, kb)


def _linking(fn, *args) -> Act:
    try:
        return call(fn, *args)
    except ActNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except (ActConflict, ActError) as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@router.post("/link", response_model=Act, responses=LINK_ERRORS)
def link(body: LinkRequest, kb: KB, _: CanWrite) -> Act:
    """Make `other_id` a version of the act of `doc_id` (overrides automatic pairing)."""
    act = _linking(kb.link_documents, known_id(body.doc_id), known_id(body.other_id))
    return _public(act, kb)


@router.post("/unlink", response_model=Act, responses=LINK_ERRORS)
def unlink(body: UnlinkRequest, kb: KB, _: CanWrite) -> Act:
    """Make a document an act of its own."""
    return _public(_linking(kb.unlink_document, known_id(body.doc_id)), kb)
