"""The records that cross module boundaries: one definition each.

Ingestion produces a `Document` made of `Block`s; the taggers add `Entity`s and
`Obligation`s; the index turns blocks into `Passage`s; retrieval returns `Hit`s;
the answerer returns an `Answer`. The API's request/response schemas are these
models, so changing a field here changes the contract everywhere at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

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

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.path)


class Actor(BaseModel):
    text: str
    id: str | None = Field(None, description="Agency id when the actor links to the gazetteer")


class Deadline(BaseModel):
    text: str
    value: str | None = Field(None, description="ISO date or interval")
    inferred: bool = False


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
    answer_lang: str = Field(description="Language of the answer text")
    source_lang_marked: bool = Field(
        False, description="True when the answer is quoted in a language other than the question's"
    )
    citations: list[Citation] = Field(default_factory=list)
    confidence: float
    passages: list[Hit] = Field(default_factory=list)
    reason: str | None = Field(None, description="Why no answer was given, or notes from the generator")
