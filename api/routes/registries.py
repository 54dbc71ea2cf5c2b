"""The registries: canonical entities with counts, and the obligation register (JSON, CSV or
an iCalendar feed). The register's filters are checked here: an unknown agency or role id,
or a date range that ends before it starts, is a 422 naming the field, not an empty page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import KB, CanRead, call
from api.public import scrub
from kb.models import EntityCount, EntityType, ObligationFilters, ObligationRow, Page, PairedObligationRow, RegisterView
from kb.obligations.export import csv_text
from kb.obligations.register import FilterError, check_filters
from kb.service import KnowledgeBase

router = APIRouter(tags=["registries"])
CSV_PAGE = 500  # rows fetched per KB call while building a CSV export or a feed
_CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "The registry as CSV (format=csv)"}}
_ICS_RESPONSE = {200: {"content": {"text/calendar": {}}, "description": "The registry as an iCalendar feed"}}
_422 = {422: {"description": "A filter names an unknown agency or role id, or a date range is inverted"}}


class ActorRole(BaseModel):
    """A generic actor of Rules and Codes that the register can filter on (kb/data/actor_roles.yaml)."""

    id: str = Field(description="e.g. role:authorized-body")
    names: dict[str, str] = Field(default_factory=dict, description="Names by language: kk, ru, en")


@router.get("/entities", response_model=list[EntityCount])
def entities(kb: KB, _: CanRead, type: EntityType | None = None) -> list[EntityCount]:
    """Canonical conventions and agencies with how often they are mentioned."""
    return call(kb.entity_counts, type)


@router.get("/roles", response_model=list[ActorRole])
def roles(_: CanRead) -> list[ActorRole]:
    """Generic actors (authorised body, operator, subsoil user, ...) and their role ids."""
    from kb.obligations.actors import role_names

    return [ActorRole(id=i, names=n) for i, n in role_names().items()]


def _checked(kb: KnowledgeBase, filters: ObligationFilters) -> ObligationFilters:
    try:
        check_filters(filters, extra_ids=lambda: [e.id for e in call(kb.entity_counts, "agency")])
    except FilterError as e:
        raise HTTPException(status_code=422, detail=str(e)) from None
    return filters


def _all_obligations(kb: KnowledgeBase, filters: ObligationFilters) -> list[ObligationRow]:
    rows: list[ObligationRow] = []
    while True:
        page = call(kb.obligations, filters, offset=len(rows), limit=CSV_PAGE)
        rows.extend(page.items)
        if not page.items or len(rows) >= page.total:
            return rows


def _csv_response(kb: KnowledgeBase, filters: ObligationFilters, view: RegisterView = "flat") -> Response:
    if view == "paired":  # one row per duty with both quotes (the writer's paired columns)
        found = call(kb.obligation_pairs, _checked(kb, filters), offset=0, limit=None).items
    else:
        found = _all_obligations(kb, _checked(kb, filters))
    rows = [scrub(r, kb.settings) for r in found]
    name = f"obligations-{'paired-' if view == 'paired' else ''}{dt.date.today().isoformat()}.csv"
    return Response(
        content=csv_text(rows, view=view).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/obligations", response_model=Page[ObligationRow] | Page[PairedObligationRow],
            responses={**_CSV_RESPONSE, **_422})
def obligations(
    filters: Annotated[ObligationFilters, Query()],
    kb: KB,
    _: CanRead,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Literal["json", "csv"] = "json",
    view: Annotated[RegisterView, Query(
        description="flat: one row per obligation and language version (as before); paired: one row per "
        "duty, with quote_kk and quote_ru when both versions of the act state it")] = "flat",
):
    """The obligation registry; `format=csv` downloads every matching row as CSV; `view=paired`
    shows a duty stated in both language versions of an act once, with both quotes."""
    if format == "csv":
        return _csv_response(kb, filters, view)
    rows = kb.obligation_pairs if view == "paired" else kb.obligations
    page = call(rows, _checked(kb, filters), offset=offset, limit=limit)
    return page.model_copy(update={"items": [scrub(r, kb.settings) for r in page.items]})


@router.get("/obligations.csv", response_class=Response, responses={**_CSV_RESPONSE, **_422})
def obligations_csv_download(filters: Annotated[ObligationFilters, Query()], kb: KB, _: CanRead,
                             view: Annotated[RegisterView, Query(
                                 description="paired: one row per duty, with quote_kk and quote_ru columns added "
                                 "after the flat ones")] = "flat") -> Response:
    return _csv_response(kb, filters, view)


@router.get("/obligations.ics", response_class=Response, responses={**_ICS_RESPONSE, **_422})
def obligations_ics(filters: Annotated[ObligationFilters, Query()], kb: KB, _: CanRead, request: Request,
                    view: Annotated[RegisterView, Query(
                        description="paired: one event for a duty stated in both language versions")] = "flat",
                    ) -> Response:
    """The register's dated obligations as an iCalendar feed to subscribe to: recurring deadlines
    as RRULE, reminders 30 and 7 days before, each event quoting the obligation and linking to it."""
    from kb.obligations.ics import calendar

    if view == "paired":
        found = call(kb.obligation_pairs, _checked(kb, filters), offset=0, limit=None).items
    else:
        found = _all_obligations(kb, _checked(kb, filters))
    rows = [scrub(r, kb.settings) for r in found]
    body = calendar(rows, as_of=filters.as_of, base_url=str(request.base_url).rstrip("/"))
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="obligations.ics"'},
    )
