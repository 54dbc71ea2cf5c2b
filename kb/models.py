"""The records that cross module boundaries: one definition each.

Ingestion produces a `Document` made of `Block`s; the taggers add `Entity`s and
`Obligation`s; the index turns blocks into `Passage`s; retrieval returns `Hit`s;
the answerer returns an `Answer`. The API's request/response schemas are these
models, so changing a field here changes the contract everywhere at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field, field_validator, model_validator

Lang = Literal["kk", "ru", "mixed"]
Genre = Literal[
    "decision", "plan", "press_release", "news", "law", "order", "convention_text", "report", "other"
]
BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]
EntityType = Literal["convention", "agency", "date", "doc_ref", "person", "location"]
Modality = Literal["duty", "prohibition", "request", "recommendation"]

PATH_SEP = " › "
T = TypeVar("T")


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
    """A deadline as stated (`text`) and as data. `value` stays null unless a date (or interval)
    is certain; a deadline that cannot be read says why in `reason`, never with a guessed date."""

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
    rrule: str | None = Field(None, description="recurring: RFC 5545 recurrence rule, e.g. FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1")
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


class DocumentRef(BaseModel):
    """The part of a document a search hit carries."""

    id: str
    source: str
    title: str
    lang: Lang
    genre: Genre
    date: dt.date | None = None


class Passage(BaseModel):
    """A retrieval unit: one or more consecutive blocks, with its context."""

    id: str = Field(description="Stable UUID derived from the document id and passage number")
    doc_id: str
    number: int
    text: str = Field(description="The passage text as shown to users")
    context: str = Field("", description="Title and heading path prepended for embedding")
    block_path: str = ""
    page: int | None = None
    start: int
    end: int
    lang: Lang
    entities: list[Entity] = Field(default_factory=list)


class Hit(BaseModel):
    score: float
    text: str
    snippet: str = Field(description="Passage excerpt with matched words wrapped in <mark>…</mark>")
    document: DocumentRef
    passage_id: str
    block_path: str = ""
    page: int | None = None
    start: int
    end: int
    entities: list[Entity] = Field(default_factory=list)
    match: str = Field("", description="Why it matched: dense, lexical or both, and the matched terms")


class Citation(BaseModel):
    n: int
    doc_id: str
    title: str
    source: str
    block_path: str = ""
    page: int | None = None
    start: int
    end: int
    quote: str


class Answer(BaseModel):
    question: str
    answered: bool
    answer: str
    focus: str | None = Field(
        None, description="The date, body or value the question asks for, when one was found in the answer"
    )
    answer_lang: str = Field(description="Language of the answer text")
    source_lang_marked: bool = Field(
        False, description="True when the answer is quoted in a language other than the question's"
    )
    citations: list[Citation] = Field(default_factory=list)
    confidence: float
    passages: list[Hit] = Field(default_factory=list)
    reason: str | None = Field(None, description="Why no answer was given, or notes from the generator")


class SearchFilters(BaseModel):
    """Filters shared by search, ask and the obligation registry. Empty = no filter."""

    lang: list[Lang] = Field(default_factory=list)
    genre: list[Genre] = Field(default_factory=list)
    convention: list[str] = Field(default_factory=list, description="Convention ids")
    agency: list[str] = Field(default_factory=list, description="Agency ids")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    doc_id: list[str] = Field(default_factory=list)


SearchMode = Literal["hybrid", "dense", "lexical"]


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or whitespace")
    return value


class SearchRequest(SearchFilters):
    q: str = Field(min_length=1, max_length=2000)

    _q_not_blank = field_validator("q")(_not_blank)

    top_k: int = Field(10, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1000)
    mode: SearchMode = "hybrid"
    one_per_doc: bool = Field(False, description="Return only the best passage of each document")
    cross_lingual: bool = Field(
        False, description="Search only documents in the other language than the query's"
    )


class AskRequest(SearchFilters):
    question: str = Field(min_length=1, max_length=2000)

    _question_not_blank = field_validator("question")(_not_blank)
    top_k: int = Field(8, ge=1, le=50, description="Passages retrieved to build the answer")


class DocumentSummary(DocumentRef):
    """A row of the document list."""

    number: str | None = None
    issuer: str | None = None
    blocks: int = 0
    entities: int = 0
    obligations: int = 0
    meta: dict[str, str] = Field(default_factory=dict)


class EntityCount(BaseModel):
    """A canonical convention or agency with how often the knowledge base mentions it."""

    id: str
    type: EntityType
    names: dict[str, str] = Field(default_factory=dict, description="Names by language: kk, ru, en")
    mentions: int
    documents: int


RegisterStatus = Literal["overdue", "due", "recurring", "on_event", "undated", "no_deadline"]
REGISTER_STATUSES: tuple[str, ...] = ("overdue", "due", "recurring", "on_event", "undated", "no_deadline")


class ObligationRow(Obligation):
    """An obligation in the registry, with where it comes from and where it stands as of a day."""

    doc_id: str
    source: str
    title: str
    status: RegisterStatus | None = Field(
        None,
        description="As of the register's day: overdue, due (a dated deadline ahead), recurring, on_event "
        "(counts from an event), undated (a deadline with no readable date), no_deadline",
    )
    next_due: dt.date | None = Field(
        None, description="The day it falls due next (a one-off deadline's day, even when past; a recurring one's next)"
    )
    days_left: int | None = Field(None, description="Days from the register's day to next_due (negative: overdue)")


class SearchResponse(BaseModel):
    query: str
    query_lang: str
    total: int = Field(description="Hits available for this query and filters (before offset/top_k)")
    hits: list[Hit]
    took_ms: float


RegisterSort = Literal["document", "due"]


class ObligationFilters(BaseModel):
    actor: str | None = Field(
        None, description="Agency id (min-ecology), role id (role:authorized-body) or a substring of the actor text"
    )
    convention: str | None = None
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    lang: Lang | None = None
    doc_id: str | None = None
    status: list[RegisterStatus] = Field(default_factory=list, description="Keep these statuses (as of `as_of`)")
    due_from: dt.date | None = Field(None, description="Next due on or after this day")
    due_to: dt.date | None = Field(None, description="Next due on or before this day")
    as_of: dt.date | None = Field(None, description="The day statuses and next due dates are computed for (today)")
    sort: RegisterSort = Field("document", description="document: by source and position; due: next due date first")


class Page(BaseModel, Generic[T]):
    """Pagination envelope for list endpoints."""

    total: int
    offset: int
    limit: int
    items: list[T]


# -- API keys (kb.keys stores them; the API checks them) ------------------------------
Role = Literal["read", "write", "admin"]
ROLES: tuple[Role, ...] = ("read", "write", "admin")  # ordered: each role can do what the ones before can


def role_allows(have: Role | str, need: Role | str) -> bool:
    """True when a key with role `have` may do what needs role `need` (read < write < admin).
    An unknown role allows nothing."""
    if have not in ROLES or need not in ROLES:
        return False
    return ROLES.index(have) >= ROLES.index(need)


class ApiKey(BaseModel):
    """A stored API key as listed: never its secret, which is shown once at creation."""

    id: str = Field(description="Public key id, also embedded in the secret")
    name: str = ""
    role: Role
    prefix: str = Field(description="The secret's first characters, enough to recognise a key")
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# -- background ingestion jobs -----------------------------------------------------------------
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class JobFailure(BaseModel):
    path: str
    reason: str


class Job(BaseModel):
    """A background ingestion run: uploaded files, or paths on the server (admin only)."""

    id: str
    status: JobStatus = "queued"
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    total: int = 0
    done: int = 0
    current: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: list[JobFailure] = Field(default_factory=list)
    error: str | None = None


class JobRequest(BaseModel):
    """Ingest files that are on the server's disk (the CLI beside a running service sends these)."""

    paths: list[str] = Field(min_length=1, max_length=10_000)
    force: bool = False
    follow_symlinks: bool = False
