"""The records ingestion produces: a `Document` made of `Block`s, with its `ActRequisites`.

They live here so that `ingest/` needs nothing from `kb/`; `kb.models` re-exports them
(one definition each) and adds the records of search, answers and the API. A Document
also carries the slots the taggers fill later (entities, obligations), so their records
are defined here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, model_validator

Lang = Literal["kk", "ru", "mixed"]
Genre = Literal[
    "decision", "plan", "press_release", "news", "law", "order", "convention_text", "report", "other"
]
BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]
EntityType = Literal["convention", "agency", "date", "doc_ref", "person", "location"]
Modality = Literal["duty", "prohibition", "request", "recommendation"]

PATH_SEP = " › "


class Entity(BaseModel):
    """A tagged span. Offsets are into the owning document's clean text."""

    type: EntityType
    text: str
    start: int
    end: int
    id: str | None = Field(None, description="Canonical id shared by the Kazakh and Russian names")
    value: str | None = Field(
        None, description="ISO date (2022-01-21) or interval (2022-10-01/2022-12-31) for dates"
    )
    lang: str
    inferred: bool = Field(False, description="True when part of the value (the year) was inferred")


class Block(BaseModel):
    """A structural unit of a document: heading, paragraph, list item or table row."""

    index: int
    kind: BlockKind
    text: str
    path: list[str] = Field(default_factory=list, description='e.g. ["Статья 12", "п. 3", "пп. 2)"]')
    start: int = Field(description="Offset of the block in Document.text")
    end: int
    page: int | None = None
    lang: Lang
    cells: list[str] | None = Field(None, description="Table rows only: the cells, in column order")
    header: list[str] | None = Field(None, description="Table rows only: the table's header cells")
    entities: list[Entity] = Field(default_factory=list)
    anchor: str | None = Field(
        None, description="Stable id of the article or point in the source (the mirrors' <a id> anchors)"
    )
    ocr: bool = Field(
        False, description="Read by OCR from a scanned page (no text layer): the text may carry recognition errors"
    )

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.path)


class Actor(BaseModel):
    text: str
    id: str | None = Field(None, description="Agency id when the actor links to the gazetteer (the first one)")
    ids: list[str] = Field(
        default_factory=list,
        description="Every agency the actor names, in order: each co-actor of a joint task ('МЧС, МЭГПР')",
    )
    roles: list[str] = Field(
        default_factory=list,
        description="Generic actors the text names, as role ids (role:authorized-body, role:operator, ...)",
    )


DeadlineKind = Literal["absolute", "interval", "relative", "recurring", "unparsed"]


class Deadline(BaseModel):
    """A deadline as stated (`text`) and as data (kb/obligations/deadlines.py). `value` stays null
    unless a date (or interval) is certain; a deadline that cannot be read says why in `reason`,
    never with a guessed date."""

    text: str
    value: str | None = Field(None, description="ISO date or interval")
    inferred: bool = False
    kind: DeadlineKind | None = Field(
        None, description="absolute | interval | relative | recurring | unparsed (derived from value when absent)"
    )
    date: dt.date | None = Field(None, description="absolute: the date")
    start: dt.date | None = Field(None, description="interval: first day")
    end: dt.date | None = Field(None, description="interval: last day")
    duration: str | None = Field(None, description="relative: ISO 8601 duration, e.g. P5D, P1M")
    business_days: bool = Field(False, description="relative: the duration counts working days")
    direction: Literal["within", "before", "after"] | None = Field(
        None, description="relative: within/after the anchor, or at the latest that long before it"
    )
    anchor: str | None = Field(None, description="relative: the event the duration counts from, as stated")
    rrule: str | None = Field(
        None, description="recurring: RFC 5545 recurrence rule, e.g. FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1"
    )
    dtstart: dt.date | None = Field(None, description="recurring: first occurrence the rule counts from")
    reason: str | None = Field(None, description="Why no date could be read (kind unparsed or relative)")

    @model_validator(mode="after")
    def _derive_kind(self) -> Deadline:
        # Records stored before deadlines were parsed carry only text/value: read their kind off the value.
        if self.kind is None:
            if self.rrule:
                self.kind = "recurring"
            elif self.duration:
                self.kind = "relative"
            elif self.value and "/" in self.value:
                self.kind = "interval"
            elif self.value:
                self.kind = "absolute"
            else:
                self.kind = "unparsed"
        return self


class Quote(BaseModel):
    """The exact source sentence or table row an obligation or answer rests on."""

    text: str
    doc_id: str
    block_path: str = ""
    start: int = Field(description="Offset in the document's clean text")
    end: int
    page: int | None = None


class Obligation(BaseModel):
    actor: Actor | None = Field(None, description="null when the text names no actor; see actor_reason")
    actor_reason: str | None = Field(None, description="Why actor is null")
    action: str
    deadline: Deadline | None = None
    condition: str | None = None
    modality: Modality
    quote: Quote
    lang: str
    conventions: list[str] = Field(default_factory=list, description="Convention ids in the quote")
    rule: str | None = Field(None, description="Which rule fired (for debugging and evaluation)")
    # issue 12, item 5 (kb/obligations/pairing.py): the same duty in the kk and ru versions of an act
    pair_key: str | None = Field(
        None, description="act key + language-neutral article/point path + ordinal; equal in both languages"
    )


ActKind = Literal[
    "code", "law", "government_resolution", "ministerial_order", "maslikhat_decision",
    "akimat_resolution", "cop_decision", "plan", "press_release", "news", "other",
]
ActStatus = Literal["in_force", "repealed", "unknown"]
RequisiteSource = Literal["sidecar", "text"]


class LangPair(BaseModel):
    """One value per language version of an act (title, official link)."""

    kk: str | None = None
    ru: str | None = None


class Registration(BaseModel):
    """State registration with the Ministry of Justice (or its regional department)."""

    date: dt.date | None = None
    number: str | None = None
    body: str | None = Field(None, description="Who registered it, as stated")


class ActLink(BaseModel):
    """Another act as a requisite names it: the act that amended or repealed this one."""

    requisite: str | None = Field(None, description="Its requisite line as stated")
    kind: ActKind | None = None
    issuer: str | None = None
    date: dt.date | None = None
    number: str | None = None
    act_code: str | None = None
    title: LangPair = Field(default_factory=LangPair)
    url: str | None = None
    relation: Literal["amended", "repealed", "edition"] = Field(
        "edition", description="What it did to this act: amended it, repealed it, or produced this edition"
    )


class ActRequisites(BaseModel):
    """What identifies an act: kind, issuer, date, number, registration, status, titles, links.

    Nothing is guessed: a field no source states is None (status "unknown")."""

    kind: ActKind | None = None
    issuer: str | None = Field(None, description="Issuing body as stated")
    issuer_id: str | None = Field(None, description="Agency id when the issuer links (filled by kb)")
    date: dt.date | None = Field(None, description="Adoption date")
    number: str | None = None
    registration: Registration | None = None
    status: ActStatus = "unknown"
    repealed_by: str | None = Field(None, description="The repealing act as stated")
    repealed_on: dt.date | None = Field(None, description="Date of the repealing act")
    title: LangPair = Field(default_factory=LangPair)
    edition_date: dt.date | None = Field(None, description="Date of the edition the text is in")
    urls: LangPair = Field(default_factory=LangPair)
    act_code: str | None = Field(None, description="Id of the act in the official database (zan.gov.kz)")
    requisite: str | None = Field(None, description="The requisite line the fields were read from")
    amended_by: list[ActLink] = Field(
        default_factory=list, description="Acts that amended or repealed this one, or produced this edition"
    )
    source_of: dict[str, RequisiteSource] = Field(
        default_factory=dict, description="Where each field came from: sidecar or text"
    )


class Document(BaseModel):
    id: str = Field(description="Content hash of the source file")
    source: str = Field(description="Path of the ingested file")
    lang: Lang
    genre: Genre
    title: str
    date: dt.date | None = None
    number: str | None = Field(None, description="Document number as stated, e.g. 'МК-1/21', '351'")
    issuer: str | None = Field(None, description="Issuing body as stated")
    text: str = Field(description="Clean text; all offsets point into it")
    blocks: list[Block] = Field(default_factory=list)
    pages: int | None = None
    entities: list[Entity] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)
    meta: dict[str, str] = Field(default_factory=dict, description="e.g. translation_of, format, encoding")
    requisites: ActRequisites | None = Field(
        None, description="The act's requisites, from its sidecar first, then from its text"
    )
    act_key: str | None = Field(
        None, description="The act this file is a version (or part) of, when known: kzlaw-<act_code>"
    )
    warnings: list[str] = Field(
        default_factory=list, description="Problems with the file's sidecar or requisites, one line each"
    )
