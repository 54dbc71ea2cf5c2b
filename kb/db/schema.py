"""The tables of the document store and the key store (SQLAlchemy Core).

This is the current shape, used to build queries. The migrations in kb/db/migrations
create it and are what actually changes a database: a change here needs a new revision.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per stored document: the columns that lists filter and sort on, the list
# summary and the full document, both as JSON text (validated by pydantic on the way out).
documents = Table(
    "documents", metadata,
    Column("id", String(128), primary_key=True),
    Column("source", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("lang", String(16), nullable=False),
    Column("genre", String(32), nullable=False),
    Column("date", Date),
    Column("number", Text),
    Column("issuer", Text),
    Column("blocks", Integer, nullable=False),
    Column("entities", Integer, nullable=False),
    Column("obligations", Integer, nullable=False),
    Column("summary", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    Index("ix_documents_source", "source"),
    Index("ix_documents_lang_genre", "lang", "genre"),
)

# Source key (absolute path or "upload:name") -> document. Keyed by the key's SHA-256:
# paths can be longer than a B-tree entry may be.
sources = Table(
    "sources", metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("key", Text, nullable=False),
    Column("doc_id", String(128), ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Index("ix_sources_doc_id", "doc_id"),
)

# The obligation register, one row per obligation, with the fields its filters use.
obligations = Table(
    "obligations", metadata,
    Column("doc_id", String(128), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("lang", String(16), nullable=False),
    Column("modality", String(32), nullable=False),
    Column("actor_id", Text),
    Column("actor_lc", Text),
    Column("deadline_start", Date),
    Column("deadline_end", Date),
    Column("body", Text, nullable=False),
    # revision 0002: the deadline as data. due_kind: absolute | interval | relative | recurring |
    # unparsed (NULL: no deadline); due_date: the day a one-off deadline falls due; rrule: a
    # recurring deadline's rule, its days in obligation_due.
    Column("due_kind", String(16)),
    Column("due_date", Date),
    Column("rrule", Text),
    Index("ix_obligations_actor_id", "actor_id"),
    Index("ix_obligations_lang", "lang"),
    Index("ix_obligations_due_date", "due_date"),
)

# Every id an obligation's actor is filed under: each co-actor's agency id and each role id
# ("role:authorized-body"), so that a joint task is found under every body (revision 0002).
obligation_actors = Table(
    "obligation_actors", metadata,
    Column("doc_id", String(128), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("actor_id", String(128), primary_key=True),
    Index("ix_obligation_actors_actor_id", "actor_id"),
)

# The days a recurring deadline falls due (kb.obligations.deadlines.occurrences), so that the
# next one as of any day is a SQL query (revision 0002).
obligation_due = Table(
    "obligation_due", metadata,
    Column("doc_id", String(128), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("due", Date, primary_key=True),
    Index("ix_obligation_due_due", "due"),
)

# Conventions an obligation's quote names: (doc_id, seq) is the obligation.
obligation_conventions = Table(
    "obligation_conventions", metadata,
    Column("doc_id", String(128), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("convention", String(128), primary_key=True),
    Index("ix_obligation_conventions_convention", "convention"),
)

# Canonical conventions and agencies each document mentions, for the entity registry.
entity_mentions = Table(
    "entity_mentions", metadata,
    Column("doc_id", String(128), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", String(128), primary_key=True),
    Column("type", String(32), primary_key=True),
    Column("mentions", Integer, nullable=False),
    Index("ix_entity_mentions_entity", "entity_id"),
)

# Acts (kb.acts): one row per act with the columns its list filters and sorts on, and the
# Act record as JSON (its versions come from document_acts). `built_from` names the
# documents the record was merged from, so removing one of them rebuilds it.
acts = Table(
    "acts", metadata,
    Column("id", String(128), primary_key=True),
    Column("kind", String(32)),
    Column("issuer", Text),
    Column("issuer_id", String(128)),
    Column("issuer_lc", Text),
    Column("date", Date),
    Column("number", Text),
    Column("status", String(16), nullable=False),
    Column("repealed_on", Date),
    Column("edition_date", Date),
    Column("title_sort", Text),
    Column("title_lc", Text),
    Column("built_from", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_acts_kind", "kind"),
    Index("ix_acts_date", "date"),
    Index("ix_acts_issuer_id", "issuer_id"),
    Index("ix_acts_status", "status"),
)

# Which act each document is a version of, how sure, and how the link was made; the
# document's requisites and pairing signature (numbers, numbering, vector) as JSON, so that
# acts are merged and new documents paired without reading whole documents back.
document_acts = Table(
    "document_acts", metadata,
    Column("doc_id", String(128), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("act_id", String(128), ForeignKey("acts.id", ondelete="CASCADE"), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("part", Text),
    Column("confidence", Float, nullable=False),
    Column("method", String(16), nullable=False),
    Column("requisites", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Index("ix_document_acts_act_id", "act_id"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

# Facts about the store itself, e.g. that a legacy JSON store was imported.
store_meta = Table(
    "store_meta", metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

# Background ingestion jobs: kept here, not in a worker's memory, so that any API worker
# (or machine) answers for any job and a cancel reaches the worker that runs it.
jobs = Table(
    "jobs", metadata,
    Column("id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("record", Text, nullable=False),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Index("ix_jobs_created", "created_at"),
)

# The vectors of a document's answer candidates under one model (kb.answer_vectors): the
# candidates' text keys (24 hex characters each, concatenated) and their float32 matrix
# (little-endian, row per key), so that every API worker reads what ingestion computed.
# No foreign key: a replaced document's row is read after the document went (its unchanged
# texts are not embedded again), then deleted; rows left by a crash are pruned on backfill.
answer_vectors = Table(
    "answer_vectors", metadata,
    Column("doc_id", String(128), primary_key=True),
    Column("model", String(255), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("text_keys", Text, nullable=False),
    Column("vecs", LargeBinary, nullable=False),
)
