"""The records that cross module boundaries: one definition each.

Ingestion produces a `Document` made of `Block`s; the taggers add `Entity`s and
`Obligation`s; the index turns blocks into `Passage`s; retrieval returns `Hit`s;
the answerer returns an `Answer`. The API's request/response schemas are these
models, so changing a field here changes the contract everywhere at once.

The records ingestion produces (Document, Block, ActRequisites and what they hold) are
defined in `ingest.models`, so that `ingest/` needs nothing from `kb/`; they are
re-exported here and `from kb.models import Document` works as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field, computed_field, field_validator

from ingest.models import (  # noqa: F401  (re-exported: defined once, in ingest)
    PATH_SEP,
    ActKind,
    ActLink,
    ActRequisites,
    ActStatus,
    Actor,
    Block,
    BlockKind,
    Deadline,
    DeadlineKind,
    Document,
    Entity,
    EntityType,
    Genre,
    Lang,
    LangPair,
    Modality,
    Obligation,
    Quote,
    Registration,
    RequisiteSource,
)

T = TypeVar("T")


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


class OtherLangPassage(BaseModel):
    """The matching passage of the same act in its other language version (kk <-> ru)."""

    lang: Lang
    passage_id: str
    doc_id: str
    text: str
    block_path: str = ""
    start: int
    end: int


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
    act_id: str | None = Field(
        None, description="The act the passage belongs to: kzlaw-<act_code>, or doc-<doc id prefix> when unknown"
    )
    other_lang: OtherLangPassage | None = Field(
        None, description="With one result per act: the act's matching passage in its other language, if indexed"
    )


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
    act_id: str | None = Field(None, description="The act the cited document is a version of (kb.acts)")


ReasonCode = Literal["no_answer", "unsupported_language"]
NoteCode = Literal["generator_failed"]


class RelatedAct(BaseModel):
    """An act near a question the knowledge base cannot answer (named, never quoted)."""

    doc_id: str
    title: str
    source: str
    lang: str


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
    reason_code: ReasonCode | None = Field(
        None, description="Why no answer was given, for an interface to put in its own words: no_answer, "
        "unsupported_language",
    )
    notes: list[NoteCode] = Field(
        default_factory=list, description="Notes on how the answer was made, e.g. generator_failed: the "
        "written-answer endpoint failed and the extractive answer is given",
    )
    confidence_level: Literal["high", "medium", "low"] | None = Field(
        None, description="The calibrated confidence in words (bands in kb/data/confidence.yaml)"
    )
    related: list[RelatedAct] = Field(
        default_factory=list, description="A refusal's closest acts: possibly related, not an answer"
    )


PairingMethod = Literal["act_key", "requisites", "numbering", "numbers", "similarity", "manual", "own"]


class ActVersion(BaseModel):
    """One document of an act: a language version (or a part of a code in one language)."""

    lang: Lang
    doc_id: str
    source: str = Field(description="The ingested file's path as given to `kb ingest` (or upload:NAME)")
    part: str | None = Field(None, description="The code part this file is, when the act has parts")
    confidence: float = Field(1.0, ge=0, le=1, description="How sure the link of this document to the act is")
    method: PairingMethod = Field(
        "own", description="How the link was made: the sidecar's act_key, requisites, numbering of articles "
        "and points, numbers and names in the text, cross-language similarity, by hand (kb link), or own "
        "(the document is its own act)"
    )


class Act(BaseModel):
    """An act as staff think of it: one record for its Kazakh and Russian versions."""

    id: str = Field(description="kzlaw-<act_code> from a sidecar, else doc-<first 16 of a document id>")
    kind: ActKind | None = None
    issuer: str | None = Field(None, description="Issuing body as stated")
    issuer_id: str | None = Field(None, description="Agency id when the issuer links to the gazetteer")
    date: dt.date | None = Field(None, description="Adoption date")
    number: str | None = None
    registration: Registration | None = None
    status: ActStatus = "unknown"
    repealed_by: str | None = None
    repealed_on: dt.date | None = None
    title: LangPair = Field(default_factory=LangPair)
    edition_date: dt.date | None = None
    urls: LangPair = Field(default_factory=LangPair)
    act_code: str | None = None
    versions: list[ActVersion] = Field(default_factory=list)
    amended_by: list[ActLink] = Field(default_factory=list)


ActSort = Literal["date", "-date", "title", "-title"]


class ActFilters(BaseModel):
    """Filters of the act list (answered by SQL)."""

    kind: ActKind | None = None
    issuer: str | None = Field(None, description="Agency id, or a part of the issuer's name")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: ActStatus | None = None
    lang: Literal["kk", "ru"] | None = Field(None, description="Acts that have a version in this language")
    q: str | None = Field(None, max_length=500, description="Words of the title (either language)")


class LinkRequest(BaseModel):
    """`kb link A B`: make document B a version of the act of document A."""

    doc_id: str = Field(description="The document whose act the other joins")
    other_id: str = Field(description="The document that joins it")


class UnlinkRequest(BaseModel):
    doc_id: str = Field(description="The document to make an act of its own")


class SearchFilters(BaseModel):
    """Filters shared by search, ask and the obligation registry. Empty = no filter."""

    lang: list[Lang] = Field(default_factory=list)
    genre: list[Genre] = Field(default_factory=list)
    convention: list[str] = Field(default_factory=list, description="Convention ids")
    agency: list[str] = Field(default_factory=list, description="Agency ids")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    doc_id: list[str] = Field(default_factory=list)
    kind: list[ActKind] = Field(default_factory=list, description="Kinds of the passages' acts")
    status: list[ActStatus] = Field(default_factory=list, description="Status of the passages' acts")
    act_id: list[str] = Field(default_factory=list, description="Only these acts (kb.acts ids)")


SearchMode = Literal["hybrid", "dense", "lexical"]
SearchGroup = Literal["act", "document", "passage"]
SearchSort = Literal["relevance", "date", "-date"]


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
    one_per_doc: bool = Field(
        False, description="Return only the best passage of each document (same as group=document)"
    )
    group: SearchGroup = Field(
        "act",
        description="One result per act (its best passage, with the matching passage in the act's other "
        "language), per document, or every passage",
    )
    cross_lingual: bool = Field(
        False, description="Search only documents in the other language than the query's"
    )
    issuer: str | None = Field(
        None, max_length=200, description="Only acts of this issuing body: an agency id or part of its name"
    )
    sort: SearchSort = Field(
        "relevance", description="relevance, or the act's adoption date: -date newest first, date oldest first"
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


class PairedObligationRow(ObligationRow):
    """One obligation shown once for both language versions of its act (issue 12, item 5): the
    fields of the version shown first (`lang`), each version's quote and document. A duty whose
    other version was not found (or that has no pair key) is a row of its own with one quote."""

    langs: list[Lang] = Field(default_factory=list, description="Languages this obligation was found in")
    quote_kk: Quote | None = None
    quote_ru: Quote | None = None
    doc_id_kk: str | None = None
    doc_id_ru: str | None = None
    title_kk: str | None = None
    title_ru: str | None = None


RegisterView = Literal["flat", "paired"]


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

    @computed_field(description="Seconds the running job still needs at its pace so far (null until a file is done)")
    @property
    def eta_s(self) -> float | None:
        if self.status != "running" or not self.started_at or not self.done or not self.total:
            return None
        started = self.started_at if self.started_at.tzinfo else self.started_at.replace(tzinfo=dt.timezone.utc)
        elapsed = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
        return round(max(0.0, elapsed / self.done * (self.total - self.done)), 1)


class JobRequest(BaseModel):
    """Ingest files that are on the server's disk (the CLI beside a running service sends these)."""

    paths: list[str] = Field(min_length=1, max_length=10_000)
    force: bool = False
    follow_symlinks: bool = False
