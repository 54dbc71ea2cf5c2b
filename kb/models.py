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

from pydantic import BaseModel, Field, field_validator

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


class ObligationRow(Obligation):
    """An obligation in the registry, with where it comes from."""

    doc_id: str
    source: str
    title: str


class SearchResponse(BaseModel):
    query: str
    query_lang: str
    total: int = Field(description="Hits available for this query and filters (before offset/top_k)")
    hits: list[Hit]
    took_ms: float


class ObligationFilters(BaseModel):
    actor: str | None = Field(None, description="Agency id (or a substring of the actor text)")
    convention: str | None = None
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    lang: Lang | None = None
    doc_id: str | None = None


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
