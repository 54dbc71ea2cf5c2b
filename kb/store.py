"""Parsed documents in a database (kb.db: SQLite by default, PostgreSQL when configured).

A document is one row holding the full document and its list summary as JSON, plus the
columns that lists filter and sort on; its obligations and entity mentions are rows of
their own so that the obligation register and the entity registry are SQL queries.
Sources (the ingested path, or "upload:name") point at documents.

Every write is one transaction under the writer's lock (kb.db.writing): replacing a
document, its obligations and its source happens entirely or not at all, and a crash
(kill -9, power cut) leaves the previous state. Ids never reach a file path; an id that
does not match kb.ids.DOC_ID_PATTERN is simply not found.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import Connection, Date, Engine, and_, case, delete, exists, func, insert, literal, or_, select, type_coerce, update
from sqlalchemy.exc import DBAPIError

from kb.config import Settings, get_settings
from kb.db import engine_for, writing
from kb.db.schema import (
    documents,
    entity_mentions,
    obligation_actors,
    obligation_conventions,
    obligation_due,
    obligations,
    sources,
    store_meta,
)
from kb.ids import is_valid_doc_id
from kb.models import Document, DocumentSummary, EntityCount, Obligation, ObligationFilters, ObligationRow

log = logging.getLogger(__name__)

PutStatus = Literal["added", "updated", "unchanged"]
LEGACY_CATALOG = "catalog.json"
LEGACY_MARK = "legacy_json_import"
REGISTRY_ENTITY_TYPES = ("convention", "agency")


class StoreError(OSError):
    """The database refused a write (locked too long, disk full, connection lost). The store
    keeps its previous state. An OSError so that callers report it like a failed disk write."""

    def __init__(self, message: str):
        super().__init__(None, message)

    def __str__(self) -> str:
        return self.strerror


def source_key(source: str | Path) -> str:
    """How a source path is keyed: absolute, so "./a.md" and "a.md" agree.
    Uploads (a bare name with no folder that exists here) keep their name."""
    path = Path(source)
    try:
        return str(path.resolve()) if path.exists() or path.parent != Path(".") else str(source)
    except OSError:
        return str(source)


def summarize(doc: Document) -> DocumentSummary:
    return DocumentSummary(
        id=doc.id,
        source=doc.source,
        title=doc.title,
        lang=doc.lang,
        genre=doc.genre,
        date=doc.date,
        number=doc.number,
        issuer=doc.issuer,
        blocks=len(doc.blocks),
        entities=len(doc.entities),
        obligations=len(doc.obligations),
        meta=doc.meta,
    )


def _clean(value: str | None) -> str | None:
    """A string any database accepts: PostgreSQL refuses NUL in text, and nobody takes the lone
    surrogates that undecodable file names become (written out as \\udcxx, deterministically)."""
    if value is None:
        return None
    return _utf8(value.replace("\x00", "\ufffd"))


def _utf8(value: str) -> str:
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _clean_all(value):
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, dict):
        return {_clean_all(k): _clean_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_all(v) for v in value]
    return value


def _key_hash(key: str) -> str:
    return hashlib.sha256(_clean(key).encode("utf-8")).hexdigest()


def deadline_interval(value: str | None) -> tuple[dt.date, dt.date] | None:
    """An obligation deadline's ISO date or interval as (first, last) day; None when undated.
    The same reading as kb.obligations.registry's filter, stored so SQL can compare it."""
    if not value:
        return None
    parts = value.split("/")
    try:
        return dt.date.fromisoformat(parts[0][:10]), dt.date.fromisoformat(parts[-1][:10])
    except ValueError:
        return None


class DocStore:
    """The document store. Constructing one touches nothing: the database is opened (and
    migrated, and an old JSON store imported) on first use; engines are shared per database."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()

    @cached_property
    def engine(self) -> Engine:
        engine = engine_for(self.settings)
        self._import_legacy_once(engine)
        return engine

    # -- reading -------------------------------------------------------------------
    def get(self, doc_id: str) -> Document | None:
        if not is_valid_doc_id(doc_id):
            return None
        with self.engine.connect() as conn:
            body = conn.scalar(select(documents.c.body).where(documents.c.id == doc_id))
        return Document.model_validate_json(body) if body is not None else None

    def __contains__(self, doc_id: object) -> bool:
        if not is_valid_doc_id(doc_id):
            return False
        with self.engine.connect() as conn:
            return conn.scalar(select(exists().where(documents.c.id == doc_id))) or False

    def list(self) -> list[DocumentSummary]:
        """Light summaries of all documents, by id (not the documents themselves)."""
        with self.engine.connect() as conn:
            rows = conn.scalars(select(documents.c.summary).order_by(documents.c.id)).all()
        return [DocumentSummary.model_validate_json(r) for r in rows]

    def summary(self, doc_id: str) -> DocumentSummary | None:
        if not is_valid_doc_id(doc_id):
            return None
        with self.engine.connect() as conn:
            raw = conn.scalar(select(documents.c.summary).where(documents.c.id == doc_id))
        return DocumentSummary.model_validate_json(raw) if raw is not None else None

    def ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(documents.c.id).order_by(documents.c.id)))

    def __iter__(self) -> Iterator[Document]:
        # One document at a time: a large knowledge base must not be read into memory at once.
        for doc_id in self.ids():
            doc = self.get(doc_id)
            if doc is not None:
                yield doc

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(documents)) or 0

    def id_for_source(self, source: str | Path) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(sources.c.doc_id).where(sources.c.key_hash == _key_hash(source_key(source))))

    # -- queries -------------------------------------------------------------------
    def list_page(
        self, offset: int = 0, limit: int | None = 50, lang: str | None = None, genre: str | None = None
    ) -> tuple[int, list[DocumentSummary]]:
        """(how many documents match, the summaries of one page), ordered by source."""
        where = []
        if lang is not None:
            where.append(documents.c.lang == _clean(lang))
        if genre is not None:
            where.append(documents.c.genre == _clean(genre))
        page = (
            select(documents.c.summary).where(*where)
            .order_by(documents.c.source, documents.c.id).offset(max(offset, 0)).limit(limit)
        )
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(documents).where(*where)) or 0
            rows = conn.scalars(page).all()
        return total, [DocumentSummary.model_validate_json(r) for r in rows]

    def obligations_page(
        self, filters: ObligationFilters, offset: int = 0, limit: int | None = 100
    ) -> tuple[int, list[ObligationRow]]:
        """(how many obligations match, one page of them), ordered by document source, then
        as they occur in the document. Filters as kb.obligations.registry.filter_obligations."""
        if filters.doc_id is not None and not is_valid_doc_id(filters.doc_id):
            return 0, []
        as_of = filters.as_of or dt.date.today()
        nxt, status = _next_due(as_of), _status(as_of)
        where = _obligation_filters(filters, as_of)
        order = [documents.c.source, documents.c.id, obligations.c.seq]
        if filters.sort == "due":
            order = [nxt.is_(None), nxt, *order]
        page = (
            select(obligations.c.body, obligations.c.doc_id, documents.c.source, documents.c.title,
                   nxt.label("next_due"), status.label("status"))
            .join(documents, documents.c.id == obligations.c.doc_id)
            .where(*where)
            .order_by(*order)
            .offset(max(offset, 0)).limit(limit)
        )
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(obligations).where(*where)) or 0
            rows = conn.execute(page).all()
        items = []
        for body, doc_id, source, title, due, state in rows:
            due = _as_date(due)
            items.append(ObligationRow(
                **Obligation.model_validate_json(body).model_dump(), doc_id=doc_id, source=source, title=title,
                status=state, next_due=due, days_left=(due - as_of).days if due else None,
            ))
        return total, items

    def entity_counts(self, type: str | None = None) -> list[EntityCount]:
        """Canonical conventions and agencies with their mentions and documents, most mentioned
        first. Names are left empty: they come from the gazetteer, not the store."""
        mentions = func.sum(entity_mentions.c.mentions)
        query = (
            select(entity_mentions.c.entity_id, func.max(entity_mentions.c.type), mentions,
                   func.count(func.distinct(entity_mentions.c.doc_id)))
            .group_by(entity_mentions.c.entity_id)
            .order_by(mentions.desc(), entity_mentions.c.entity_id)
        )
        if type is not None:
            query = query.where(entity_mentions.c.type == _clean(type))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [EntityCount(id=i, type=t, mentions=m, documents=d) for i, t, m, d in rows]

    # -- writing -------------------------------------------------------------------
    def put(self, doc: Document) -> tuple[PutStatus, str | None]:
        """Store a document; (status, id of the document it replaced and removed, if any).

        The document is keyed by its source: storing a changed version of a file replaces
        the old document (removed unless another source still points at it), in one transaction."""
        if not is_valid_doc_id(doc.id):
            raise ValueError(f"document id {doc.id!r}: not a valid id (letters, digits, _ and -, 1-128)")
        rows = _document_rows(doc)  # serialised before the lock is taken
        key = source_key(doc.source)
        with self._write() as conn:
            old_id = conn.scalar(select(sources.c.doc_id).where(sources.c.key_hash == _key_hash(key)))
            _write_document(conn, doc.id, rows)
            _point_source(conn, key, doc.id)
            # the old version goes unless another source (a copy of the file) still points at it
            removed = old_id if old_id and old_id != doc.id and _drop_if_orphan(conn, old_id) else None
        if old_id == doc.id:
            return "unchanged", None
        return ("updated" if old_id else "added"), removed

    def add_source(self, source: str | Path, doc_id: str) -> str | None:
        """Point a source at an already stored document (a copy of a stored file, or a file
        changed back). Returns the id of a document this orphaned and removed."""
        if not is_valid_doc_id(doc_id):
            return None
        key = source_key(source)
        with self._write() as conn:
            if not conn.scalar(select(exists().where(documents.c.id == doc_id))):
                return None  # deleted meanwhile (another process): nothing to point at
            old_id = conn.scalar(select(sources.c.doc_id).where(sources.c.key_hash == _key_hash(key)))
            _point_source(conn, key, doc_id)
            if old_id and old_id != doc_id and _drop_if_orphan(conn, old_id):
                return old_id
        return None

    def delete(self, doc_id: str) -> bool:
        """Remove a document and every source pointing at it; False if it was not there."""
        if not is_valid_doc_id(doc_id):
            return False
        with self._write() as conn:
            # sources, obligations and mentions go with it (ON DELETE CASCADE)
            return conn.execute(delete(documents).where(documents.c.id == doc_id)).rowcount > 0

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with writing(self.engine) as conn:
                yield conn
        except DBAPIError as e:
            raise StoreError(f"database write failed: {e.orig or e}") from e

    # -- the JSON store this one replaced -----------------------------------------
    _imported: set[tuple[str, str]] = set()

    def _import_legacy_once(self, engine: Engine) -> None:
        catalog = Path(self.settings.docs_dir) / LEGACY_CATALOG
        marker = (str(engine.url), str(catalog))
        if marker in DocStore._imported:
            return
        if catalog.is_file():
            import_legacy(engine, catalog)
        DocStore._imported.add(marker)


def import_legacy(engine: Engine, catalog: Path) -> int | None:
    """Import an old JSON store (docs/catalog.json + docs/<id>.json) once; the files stay.
    Returns how many documents were imported, None when this database already has them."""
    try:
        with open(catalog, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        log.warning("%s: cannot read the old document catalog (%s); nothing imported", catalog, e)
        return None
    docs = raw.get("docs") if isinstance(raw, dict) else None
    srcs = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(docs, dict) or not isinstance(srcs, dict):
        log.warning("%s: not a document catalog (no docs/sources maps); nothing imported", catalog)
        return None
    with writing(engine) as conn:
        if conn.scalar(select(store_meta.c.value).where(store_meta.c.key == LEGACY_MARK)) is not None:
            return None
        imported: set[str] = set()
        for doc_id in sorted(docs):
            path = catalog.parent / f"{doc_id}.json"
            if not is_valid_doc_id(doc_id) or path.name == LEGACY_CATALOG:
                log.warning("%s: skipped catalog entry %r: not a valid document id", catalog, doc_id)
                continue
            try:
                doc = Document.model_validate_json(path.read_bytes())
            except (OSError, ValidationError) as e:
                log.warning("%s: skipped: %s", path, getattr(e, "strerror", None) or e)
                continue
            if doc.id != doc_id:
                log.warning("%s: skipped: it holds document %r, not %r", path, doc.id, doc_id)
                continue
            _write_document(conn, doc.id, _document_rows(doc))
            imported.add(doc.id)
        pointed = 0
        for key, doc_id in srcs.items():
            if isinstance(key, str) and doc_id in imported:
                _point_source(conn, key, doc_id)
                pointed += 1
        when = dt.datetime.now(dt.UTC).isoformat()
        conn.execute(insert(store_meta).values(
            key=LEGACY_MARK, value=f"{len(imported)} documents, {pointed} sources from {catalog} at {when}",
        ))
    log.warning(
        "imported %d documents and %d sources from the old JSON store %s into %s (the old files are kept)",
        len(imported), pointed, catalog.parent, engine.url.render_as_string(hide_password=True),
    )
    return len(imported)


# -- rows ---------------------------------------------------------------------------
def _document_rows(doc: Document) -> dict:
    """Everything one document writes: its row, its obligations, conventions and mentions."""
    try:
        body = doc.model_dump_json()
    except ValueError:
        # Lone surrogates (an undecodable file name in `source`) cannot be UTF-8: store the
        # document with them written out, as _clean does for the columns.
        doc = Document.model_validate(_clean_all(doc.model_dump()))
        body = doc.model_dump_json()
    summary = summarize(doc).model_dump_json()
    row = dict(
        id=doc.id, source=_clean(doc.source), title=_clean(doc.title), lang=doc.lang, genre=doc.genre,
        date=doc.date, number=_clean(doc.number), issuer=_clean(doc.issuer), blocks=len(doc.blocks),
        entities=len(doc.entities), obligations=len(doc.obligations), summary=summary, body=body,
        stored_at=dt.datetime.now(dt.UTC),
    )
    from kb.obligations.actors import actor_ids
    from kb.obligations.deadlines import due_date, occurrences

    obls, convs, actors, dues = [], [], [], []
    for seq, ob in enumerate(doc.obligations):
        iv = deadline_interval(ob.deadline.value if ob.deadline else None)
        dl = ob.deadline
        obls.append(dict(
            doc_id=doc.id, seq=seq, lang=_clean(ob.lang), modality=ob.modality,
            actor_id=_clean(ob.actor.id) if ob.actor else None,
            actor_lc=_clean(ob.actor.text.lower()) if ob.actor else None,
            deadline_start=iv[0] if iv else None, deadline_end=iv[1] if iv else None,
            body=ob.model_dump_json(),
            due_kind=dl.kind if dl else None, due_date=due_date(dl), rrule=_clean(dl.rrule) if dl else None,
        ))
        convs += [dict(doc_id=doc.id, seq=seq, convention=_clean(c)) for c in dict.fromkeys(ob.conventions)]
        actors += [dict(doc_id=doc.id, seq=seq, actor_id=_clean(i)) for i in dict.fromkeys(actor_ids(ob.actor))
                   if len(i) <= 128]
        if dl is not None and dl.kind == "recurring":
            dues += [dict(doc_id=doc.id, seq=seq, due=d) for d in occurrences(dl)]
    mentions = Counter((e.id, e.type) for e in doc.entities if e.id and e.type in REGISTRY_ENTITY_TYPES)
    ents = [dict(doc_id=doc.id, entity_id=_clean(i), type=t, mentions=n) for (i, t), n in mentions.items()]
    return {"document": row, "obligations": obls, "conventions": convs, "mentions": ents, "actors": actors,
            "dues": dues}


def _write_document(conn: Connection, doc_id: str, rows: dict) -> None:
    """Insert or overwrite a document with its dependent rows (inside the caller's transaction)."""
    if conn.scalar(select(exists().where(documents.c.id == doc_id))):
        # UPDATE, not DELETE + INSERT: a delete would cascade to the sources pointing here.
        conn.execute(update(documents).where(documents.c.id == doc_id).values(**rows["document"]))
        for table in (obligation_conventions, obligation_actors, obligation_due, obligations, entity_mentions):
            conn.execute(delete(table).where(table.c.doc_id == doc_id))
    else:
        conn.execute(insert(documents).values(**rows["document"]))
    for table, key in ((obligations, "obligations"), (obligation_conventions, "conventions"),
                       (entity_mentions, "mentions"), (obligation_actors, "actors"), (obligation_due, "dues")):
        if rows.get(key):
            conn.execute(insert(table), rows[key])


def _point_source(conn: Connection, key: str, doc_id: str) -> None:
    h = _key_hash(key)
    if conn.execute(update(sources).where(sources.c.key_hash == h).values(doc_id=doc_id)).rowcount == 0:
        conn.execute(insert(sources).values(key_hash=h, key=_clean(key), doc_id=doc_id))


def _drop_if_orphan(conn: Connection, doc_id: str) -> bool:
    """Delete a document no source points at any more; True if it was deleted."""
    if conn.scalar(select(exists().where(sources.c.doc_id == doc_id))):
        return False
    return conn.execute(delete(documents).where(documents.c.id == doc_id)).rowcount > 0


def _as_date(value) -> dt.date | None:
    """A date column read through CASE/MIN: SQLite may hand back its ISO text."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _next_due(as_of: dt.date):
    """SQL: the day an obligation falls due next as of `as_of`: a recurring deadline's next
    occurrence, a one-off deadline's day (past or not), NULL when it has no calendar date."""
    upcoming = (
        select(func.min(obligation_due.c.due))
        .where(obligation_due.c.doc_id == obligations.c.doc_id, obligation_due.c.seq == obligations.c.seq,
               obligation_due.c.due >= as_of)
        .scalar_subquery()
    )
    return type_coerce(case(
        (and_(obligations.c.due_kind == "recurring", obligations.c.rrule.like("FREQ=DAILY%")), literal(as_of, Date)),
        (obligations.c.due_kind == "recurring", upcoming),
        else_=obligations.c.due_date,
    ), Date)


def _status(as_of: dt.date):
    """SQL: the register status as of `as_of` (kb.models.RegisterStatus)."""
    return case(
        (obligations.c.due_kind == "recurring", literal("recurring")),
        (obligations.c.due_date < as_of, literal("overdue")),
        (obligations.c.due_date.is_not(None), literal("due")),
        (obligations.c.due_kind == "relative", literal("on_event")),
        (obligations.c.due_kind.is_(None), literal("no_deadline")),
        else_=literal("undated"),
    )


def _obligation_filters(f: ObligationFilters, as_of: dt.date | None = None) -> list:
    as_of = as_of or f.as_of or dt.date.today()
    where = []
    if f.doc_id is not None:
        where.append(obligations.c.doc_id == f.doc_id)
    if f.lang:
        where.append(obligations.c.lang == f.lang)
    if f.actor:
        # an agency or role id the actor is filed under (every co-actor), or part of its text
        where.append(or_(
            obligations.c.actor_id == f.actor,
            exists().where(and_(
                obligation_actors.c.doc_id == obligations.c.doc_id,
                obligation_actors.c.seq == obligations.c.seq,
                obligation_actors.c.actor_id == _clean(f.actor),
            )),
            obligations.c.actor_lc.contains(_clean(f.actor.lower()), autoescape=True),
        ))
    if f.status:
        where.append(_status(as_of).in_(list(f.status)))
    if f.due_from or f.due_to:
        nxt = _next_due(as_of)
        where.append(nxt.is_not(None))
        if f.due_from:
            where.append(nxt >= f.due_from)
        if f.due_to:
            where.append(nxt <= f.due_to)
    if f.convention:
        where.append(exists().where(and_(
            obligation_conventions.c.doc_id == obligations.c.doc_id,
            obligation_conventions.c.seq == obligations.c.seq,
            obligation_conventions.c.convention == _clean(f.convention),
        )))
    if f.deadline_from or f.deadline_to:
        where.append(obligations.c.deadline_start.is_not(None))
        if f.deadline_from:
            where.append(obligations.c.deadline_end >= f.deadline_from)
        if f.deadline_to:
            where.append(obligations.c.deadline_start <= f.deadline_to)
    return where
