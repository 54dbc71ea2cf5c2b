"""The registries: canonical entities with counts, and the obligation register (JSON or CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.csv_export import obligations_csv
from api.deps import KB, CanRead, call
from api.public import scrub
from kb.models import EntityCount, EntityType, ObligationFilters, ObligationRow, Page
from kb.service import KnowledgeBase

router = APIRouter(tags=["registries"])
CSV_PAGE = 500  # rows fetched per KB call while building a CSV export
_CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "The registry as CSV (format=csv)"}}


@router.get("/entities", response_model=list[EntityCount])
def entities(kb: KB, _: CanRead, type: EntityType | None = None) -> list[EntityCount]:
    """Canonical conventions and agencies with how often they are mentioned."""
    return call(kb.entity_counts, type)


def _all_obligations(kb: KnowledgeBase, filters: ObligationFilters) -> list[ObligationRow]:
    rows: list[ObligationRow] = []
    while True:
        page = call(kb.obligations, filters, offset=len(rows), limit=CSV_PAGE)
        rows.extend(page.items)
        if not page.items or len(rows) >= page.total:
            return rows


def _csv_response(kb: KnowledgeBase, filters: ObligationFilters) -> Response:
    rows = [scrub(r, kb.settings) for r in _all_obligations(kb, filters)]
    name = f"obligations-{dt.date.today().isoformat()}.csv"
    return Response(
        content=obligations_csv(rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/obligations", response_model=Page[ObligationRow], responses=_CSV_RESPONSE)
def obligations(
    filters: Annotated[ObligationFilters, Query()],
    kb: KB,
    _: CanRead,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Literal["json", "csv"] = "json",
):
    """The obligation registry; `format=csv` downloads every matching row as CSV."""
    if format == "csv":
        return _csv_response(kb, filters)
    page = call(kb.obligations, filters, offset=offset, limit=limit)
    return page.model_copy(update={"items": [scrub(r, kb.settings) for r in page.items]})


@router.get("/obligations.csv", response_class=Response, responses=_CSV_RESPONSE)
def obligations_csv_download(filters: Annotated[ObligationFilters, Query()], kb: KB, _: CanRead) -> Response:
    return _csv_response(kb, filters)
