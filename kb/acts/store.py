"""Acts in the document store: the `acts` and `document_acts` tables (kb.db.schema).

A stored document is linked to exactly one act: the act its act_key names ("kzlaw-<code>",
from a sidecar or the mirrors' layout), else the act automatic pairing found for it
(kb.acts.pairing), else an act of its own ("doc-<id>"). `kb link` / `kb unlink` override
it. An act's record (kind, date, number, titles, status...) is merged from the requisites
of its versions each time they change; its versions are the link rows.

Two files claiming the same language version (and part) of one act are refused before
the second is stored (`conflict`): the error names both files, nothing is overwritten.
A changed version of the same file (same source) replaces it as before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, true, update

from kb.acts.ids import default_act_id, is_valid_act_id, own_act_id
from kb.acts.pairing import Signature, best_match, score
from kb.db.schema import acts, document_acts, documents, sources
from kb.ids import is_valid_doc_id
from kb.models import (
    Act,
    ActFilters,
    ActRequisites,
    ActSort,
    ActVersion,
    Document,
    LangPair,
    PairingMethod,
)
from kb.store import DocStore, _clean, _key_hash, source_key

LANG_NAMES = {"kk": "Kazakh", "ru": "Russian", "mixed": "mixed-language"}
Moves = dict[str, str]  # doc_id -> the act it now belongs to (the index payloads to update)
IssuerId = Callable[[str, str], str | None]  # (issuer text, lang) -> agency id


class ActError(ValueError):
    """A link that cannot be made: the message names the documents and the reason."""


class ActNotFound(ActError):
    """An unknown document (or one not linked to any act yet)."""


class ActConflict(ActError):
    """The act already has this language version from another file."""


class ActStore:
    def __init__(self, docs: DocStore, issuer_id: IssuerId | None = None):
        self.docs = docs
        self.issuer_id = issuer_id

    @property
    def engine(self):
        return self.docs.engine

    # -- reading ---------------------------------------------------------------------
    def act_id_of(self, doc_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(document_acts.c.act_id).where(document_acts.c.doc_id == doc_id))

    def act_of(self, doc: Document) -> str:
        """The act id a document's passages carry (the indexer asks this)."""
        return self.act_id_of(doc.id) or default_act_id(doc)

    def payload_fields(self, act_id: str) -> dict:
        """What the index keeps of an act on each of its passages (search filters)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(acts.c.kind, acts.c.status).where(acts.c.id == act_id)).one_or_none()
        return {"act_kind": row.kind, "act_status": row.status} if row else {}

    def doc_ids_of(self, act_id: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(document_acts.c.doc_id).where(document_acts.c.act_id == act_id)))

    def get(self, act_id: str) -> Act | None:
        if not is_valid_act_id(act_id):
            return None
        with self.engine.connect() as conn:
            body = conn.scalar(select(acts.c.body).where(acts.c.id == act_id))
            if body is None:
                return None
            return self._with_versions(conn, [body])[0]

    def page(
        self, filters: ActFilters | None = None, sort: ActSort = "-date", offset: int = 0, limit: int | None = 50
    ) -> tuple[int, list[Act]]:
        where = _filters(filters or ActFilters())
        col = acts.c.date if sort.lstrip("-") == "date" else acts.c.title_sort
        order = [col.desc() if sort.startswith("-") else col.asc(), acts.c.id]
        # undated / untitled acts last in either direction
        order.insert(0, col.is_(None))
        query = select(acts.c.body).where(*where).order_by(*order).offset(max(offset, 0)).limit(limit)
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(acts).where(*where)) or 0
            items = self._with_versions(conn, list(conn.scalars(query)))
        return total, items

    def all(self) -> list[Act]:
        return self.page(sort="title", limit=None)[1]

    def _with_versions(self, conn: Connection, bodies: list[str]) -> list[Act]:
        out = [Act.model_validate_json(b) for b in bodies]
        if not out:
            return out
        rows = conn.execute(
            select(document_acts.c.act_id, document_acts.c.doc_id, document_acts.c.lang, document_acts.c.part,
                   document_acts.c.confidence, document_acts.c.method, documents.c.source)
            .join(documents, documents.c.id == document_acts.c.doc_id)
            .where(document_acts.c.act_id.in_([a.id for a in out]))
            .order_by(document_acts.c.lang, document_acts.c.part, documents.c.source)
        ).all()
        by_act: dict[str, list[ActVersion]] = {}
        for act_id, doc_id, lang, part, conf, method, src in rows:
            by_act.setdefault(act_id, []).append(
                ActVersion(lang=lang, doc_id=doc_id, source=src, part=part, confidence=conf, method=method)
            )
        for a in out:
            a.versions = by_act.get(a.id, [])
        return out

    # -- checks before a document is stored ------------------------------------------
    def conflict(self, doc: Document) -> str | None:
        """Why `doc` must not be stored: another file is already this language version of its act."""
        if not doc.act_key or not is_valid_act_id(doc.act_key) or doc.lang not in ("kk", "ru"):
            return None
        part = doc.meta.get("act_part")
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(document_acts.c.doc_id, documents.c.source)
                .join(documents, documents.c.id == document_acts.c.doc_id)
                .where(document_acts.c.act_id == doc.act_key, document_acts.c.lang == doc.lang,
                       _same_part(part), document_acts.c.doc_id != doc.id)
            ).all()
            mine = conn.scalar(select(sources.c.doc_id).where(
                sources.c.key_hash == _key_hash(source_key(doc.source))))
        for other_id, other_source in rows:
            if other_id == mine:
                continue  # a changed version of the same file replaces it
            what = f"{LANG_NAMES.get(doc.lang, doc.lang)} version" + (f" (part {part})" if part else "")
            return (
                f"{doc.source} and {other_source} both claim to be the {what} of act {doc.act_key}: "
                f"{doc.source} was not stored ({other_source} is kept; delete it first to replace it)"
            )
        return None

    # -- linking -------------------------------------------------------------------------
    def attach(self, doc: Document, sig: Signature) -> Moves:
        """Link a just-stored document to its act: by act_key, else by pairing, else its own.
        Returns the other documents that changed act (their index payloads need updating)."""
        now = dt.datetime.now(dt.UTC)
        part = doc.meta.get("act_part")
        row = dict(doc_id=doc.id, lang=doc.lang, part=_clean(part), requisites=_requisites_json(doc),
                   signature=sig.model_dump_json(), linked_at=now)
        moves: Moves = {}
        with self.docs._write() as conn:
            link = conn.execute(select(document_acts.c.act_id, document_acts.c.method)
                                .where(document_acts.c.doc_id == doc.id)).one_or_none()
            keyed = doc.act_key if doc.act_key and is_valid_act_id(doc.act_key) else None
            if link is not None and (link.method == "manual" or keyed in (None, link.act_id)):
                # already linked (stored again, or linked by hand): refresh its data, keep the act
                conn.execute(update(document_acts).where(document_acts.c.doc_id == doc.id).values(
                    requisites=row["requisites"], signature=row["signature"], part=row["part"]))
                self._rebuild(conn, link.act_id)
                return moves
            if link is not None:
                # re-ingested with a sidecar that now names its act: the sidecar wins over pairing
                conn.execute(delete(document_acts).where(document_acts.c.doc_id == doc.id))
                self._rebuild(conn, link.act_id)
            if doc.act_key and is_valid_act_id(doc.act_key):
                act_id, conf, method = doc.act_key, 1.0, "act_key"
            else:
                found = self._pair(conn, sig, doc.lang) if not part else None
                if found:
                    act_id, s = found
                    conf, method = s.confidence, s.method
                else:
                    act_id, conf, method = own_act_id(doc.id), 1.0, "own"
            self._ensure_act(conn, act_id, now)
            conn.execute(insert(document_acts).values(**row, act_id=act_id, confidence=conf, method=method))
            if method == "act_key" and not part:
                moves.update(self._absorb(conn, act_id, sig, doc.lang, now))
            self._rebuild(conn, act_id)
        return moves

    def _pair(self, conn: Connection, sig: Signature, lang: str):
        """The act a document without act_key belongs to: one lacking its language."""
        other = {"kk": "ru", "ru": "kk"}.get(lang)
        if other is None:
            return None
        has_lang = select(document_acts.c.act_id).where(document_acts.c.lang == lang)
        has_parts = select(document_acts.c.act_id).where(document_acts.c.part.is_not(None))
        rows = conn.execute(
            select(document_acts.c.act_id, document_acts.c.signature)
            .where(document_acts.c.lang == other, document_acts.c.act_id.not_in(has_lang),
                   document_acts.c.act_id.not_in(has_parts))
        ).all()
        candidates: dict[str, list[Signature]] = {}
        for act_id, raw in rows:
            candidates.setdefault(act_id, []).append(Signature.model_validate_json(raw))
        return best_match(sig, candidates)

    def _absorb(self, conn: Connection, act_id: str, sig: Signature, lang: str, now) -> Moves:
        """A keyed document arrived: a version of it in the other language, stored before as an
        act of its own (an upload without a sidecar), joins the keyed act."""
        other = {"kk": "ru", "ru": "kk"}.get(lang)
        if other is None or conn.scalar(select(exists().where(and_(
                document_acts.c.act_id == act_id, document_acts.c.lang == other)))):
            return {}
        rows = conn.execute(
            select(document_acts.c.act_id, document_acts.c.doc_id, document_acts.c.signature)
            .where(document_acts.c.lang == other, document_acts.c.method == "own")
        ).all()
        candidates = {a: [Signature.model_validate_json(raw)] for a, _d, raw in rows}
        found = best_match(sig, candidates)
        if not found:
            return {}
        old_act, s = found
        doc_ids = [d for a, d, _ in rows if a == old_act]
        conn.execute(update(document_acts).where(document_acts.c.doc_id.in_(doc_ids)).values(
            act_id=act_id, confidence=s.confidence, method=s.method, linked_at=now))
        conn.execute(delete(acts).where(acts.c.id == old_act))
        return {d: act_id for d in doc_ids}

    def link(self, doc_id: str, other_id: str) -> Moves:
        """Make `other_id` a version of the act of `doc_id` (kb link A B): by hand, confidence 1."""
        for d in (doc_id, other_id):
            if not is_valid_doc_id(d) or d not in self.docs:
                raise ActNotFound(f"document {d!r}: no such document")
        if doc_id == other_id:
            raise ActConflict(f"document {doc_id}: cannot link a document to itself")
        now = dt.datetime.now(dt.UTC)
        with self.docs._write() as conn:
            target = self._require_link(conn, doc_id)
            src = conn.execute(select(document_acts.c.act_id, document_acts.c.lang, document_acts.c.part)
                               .where(document_acts.c.doc_id == other_id)).one_or_none()
            if src is None:
                raise ActNotFound(f"document {other_id}: not linked to any act yet (re-ingest it)")
            old_act, lang, part = src
            clash = conn.execute(
                select(document_acts.c.doc_id, documents.c.source)
                .join(documents, documents.c.id == document_acts.c.doc_id)
                .where(document_acts.c.act_id == target, document_acts.c.lang == lang, _same_part(part),
                       document_acts.c.doc_id != other_id)
            ).first()
            if clash is not None and old_act != target:
                other_src = conn.scalar(select(documents.c.source).where(documents.c.id == other_id))
                raise ActConflict(
                    f"act {target} already has a {LANG_NAMES.get(lang, lang)} version: {clash[1]} "
                    f"({clash[0]}); {other_src} ({other_id}) was not linked (unlink the other first)"
                )
            conn.execute(update(document_acts).where(document_acts.c.doc_id == other_id).values(
                act_id=target, confidence=1.0, method="manual", linked_at=now))
            moves = {other_id: target}
            if old_act != target:
                moves.update(self._after_leaving(conn, old_act, now))
            self._rebuild(conn, target)
        return moves

    def unlink(self, doc_id: str) -> Moves:
        """Make a document an act of its own (kb unlink DOC)."""
        if not is_valid_doc_id(doc_id) or doc_id not in self.docs:
            raise ActNotFound(f"document {doc_id!r}: no such document")
        now = dt.datetime.now(dt.UTC)
        own = own_act_id(doc_id)
        with self.docs._write() as conn:
            old_act = self._require_link(conn, doc_id)
            moves: Moves = {}
            if old_act == own:
                # it founded this act: the others move to an act of their own first
                rest = list(conn.scalars(select(document_acts.c.doc_id).where(
                    document_acts.c.act_id == own, document_acts.c.doc_id != doc_id).order_by(
                    document_acts.c.doc_id)))
                if not rest:
                    conn.execute(update(document_acts).where(document_acts.c.doc_id == doc_id).values(
                        method="manual", confidence=1.0, linked_at=now))
                    return moves
                new = own_act_id(rest[0])
                self._ensure_act(conn, new, now)
                conn.execute(update(document_acts).where(document_acts.c.doc_id.in_(rest)).values(act_id=new))
                moves.update({d: new for d in rest})
                self._rebuild(conn, new)
            else:
                self._ensure_act(conn, own, now)
            conn.execute(update(document_acts).where(document_acts.c.doc_id == doc_id).values(
                act_id=own, confidence=1.0, method="manual", linked_at=now))
            moves[doc_id] = own
            if old_act != own:
                moves.update(self._after_leaving(conn, old_act, now))
            self._rebuild(conn, own)
        return moves

    def forget(self, doc_id: str) -> None:
        """A document left the store (its link went with it): rebuild or drop its act."""
        with self.docs._write() as conn:
            stale = conn.scalars(select(acts.c.id).where(acts.c.built_from.contains(doc_id, autoescape=True)))
            for act_id in list(stale):
                self._rebuild(conn, act_id)

    def unlinked(self) -> list[str]:
        """Stored documents with no act yet (stored before acts existed)."""
        with self.engine.connect() as conn:
            return list(conn.scalars(select(documents.c.id).where(
                ~exists().where(document_acts.c.doc_id == documents.c.id)).order_by(documents.c.id)))

    # -- helpers ---------------------------------------------------------------------------
    def _require_link(self, conn: Connection, doc_id: str) -> str:
        act_id = conn.scalar(select(document_acts.c.act_id).where(document_acts.c.doc_id == doc_id))
        if act_id is None:
            raise ActNotFound(f"document {doc_id}: not linked to any act yet (re-ingest it)")
        return act_id

    def _after_leaving(self, conn: Connection, act_id: str, now) -> Moves:
        """A document left `act_id`: drop it when empty, else rebuild it."""
        self._rebuild(conn, act_id)
        return {}

    @staticmethod
    def _ensure_act(conn: Connection, act_id: str, now) -> None:
        if not conn.scalar(select(exists().where(acts.c.id == act_id))):
            conn.execute(insert(acts).values(
                id=act_id, status="unknown", built_from="", body=Act(id=act_id).model_dump_json(), updated_at=now))

    def _rebuild(self, conn: Connection, act_id: str) -> None:
        """Merge the act's record from the requisites of its versions (or drop it: no versions)."""
        rows = conn.execute(
            select(document_acts.c.doc_id, document_acts.c.lang, document_acts.c.method,
                   document_acts.c.requisites, document_acts.c.part)
            .where(document_acts.c.act_id == act_id)
        ).all()
        if not rows:
            conn.execute(delete(acts).where(acts.c.id == act_id))
            return
        # sidecar-keyed versions first, Russian before Kazakh, first part first: who states a field first wins
        rows = sorted(rows, key=lambda r: (r[2] != "act_key", r[1] != "ru", r[4] or "", r[0]))
        act = merge_act(act_id, [(lang, json.loads(raw)) for _d, lang, _m, raw, _p in rows], self.issuer_id)
        title = act.title.ru or act.title.kk
        conn.execute(update(acts).where(acts.c.id == act_id).values(
            kind=act.kind, issuer=_clean(act.issuer), issuer_id=act.issuer_id,
            issuer_lc=_clean(act.issuer.lower()) if act.issuer else None, date=act.date,
            number=_clean(act.number), status=act.status, repealed_on=act.repealed_on,
            edition_date=act.edition_date, title_sort=_clean(title.lower()) if title else None,
            title_lc=_clean(" \n ".join(t for t in (act.title.ru, act.title.kk) if t).lower()) or None,
            built_from=" ".join(sorted(r[0] for r in rows)), body=act.model_dump_json(exclude={"versions"}),
            updated_at=dt.datetime.now(dt.UTC),
        ))


# -- the record ------------------------------------------------------------------------------
def _requisites_json(doc: Document) -> str:
    """What an act record is merged from: the document's requisites, with its title and
    language filling what the requisites leave out."""
    req = doc.requisites.model_copy(deep=True) if doc.requisites else ActRequisites()
    if doc.lang in ("kk", "ru") and not getattr(req.title, doc.lang) and not doc.meta.get("act_part"):
        setattr(req.title, doc.lang, doc.title)
    if req.date is None and doc.date is not None:
        req.date = doc.date
    req.number = req.number or doc.number
    req.issuer = req.issuer or doc.issuer
    if req.kind is None:
        req.kind = GENRE_KIND.get(doc.genre)
    return json.dumps({"req": json.loads(req.model_dump_json()), "title": doc.title}, ensure_ascii=False)


# Genres whose act kind is not in doubt (the others say too little: "decision", "order").
GENRE_KIND = {"law": "law", "plan": "plan", "press_release": "press_release", "news": "news"}


def merge_act(act_id: str, versions: list[tuple[str, dict]], issuer_id: IssuerId | None = None) -> Act:
    """One act record from its versions' requisites: the first version that states a field
    gives it (nothing invented); a repeal stated by any version makes the act repealed."""
    reqs = [(lang, ActRequisites.model_validate(v["req"]), v.get("title")) for lang, v in versions]
    act = Act(id=act_id)
    for field in ("kind", "issuer", "issuer_id", "date", "number", "registration", "edition_date", "act_code"):
        setattr(act, field, next((getattr(r, field) for _l, r, _t in reqs if getattr(r, field) is not None), None))
    repealed = [r for _l, r, _t in reqs if r.status == "repealed"]
    if repealed:
        act.status, act.repealed_by, act.repealed_on = "repealed", repealed[0].repealed_by, repealed[0].repealed_on
    elif any(r.status == "in_force" for _l, r, _t in reqs):
        act.status = "in_force"
    title, urls = LangPair(), LangPair()
    for lang, r, doc_title in reqs:
        for pair, src in ((title, r.title), (urls, r.urls)):
            for code in ("kk", "ru"):
                if getattr(pair, code) is None and getattr(src, code):
                    setattr(pair, code, getattr(src, code))
        if lang in ("kk", "ru") and getattr(title, lang) is None and doc_title:
            setattr(title, lang, doc_title)
    act.title, act.urls = title, urls
    seen = set()
    for _l, r, _t in reqs:
        for link in r.amended_by:
            key = (link.requisite, link.act_code, link.relation)
            if key not in seen:
                seen.add(key)
                act.amended_by.append(link)
    if act.issuer and not act.issuer_id and issuer_id is not None:
        act.issuer_id = issuer_id(act.issuer, reqs[0][0])
    return act


def _same_part(part: str | None):
    """Versions in one language that cannot sit beside a document of this part: the same
    part, and any whole text (a whole act and its parts, or two whole texts, cannot coexist)."""
    if part is None:
        return true()
    return document_acts.c.part.is_(None) | (document_acts.c.part == part)


def _filters(f: ActFilters) -> list:
    where = [exists().where(document_acts.c.act_id == acts.c.id)]
    if f.kind:
        where.append(acts.c.kind == f.kind)
    if f.status:
        where.append(acts.c.status == f.status)
    if f.date_from:
        where.append(acts.c.date >= f.date_from)
    if f.date_to:
        where.append(acts.c.date <= f.date_to)
    if f.issuer:
        where.append(or_(acts.c.issuer_id == f.issuer,
                         acts.c.issuer_lc.contains(_clean(f.issuer.lower()), autoescape=True)))
    if f.lang:
        where.append(exists().where(and_(document_acts.c.act_id == acts.c.id, document_acts.c.lang == f.lang)))
    if f.q:
        for word in f.q.lower().split()[:10]:
            where.append(acts.c.title_lc.contains(_clean(word), autoescape=True))
    return where


__all__ = ["ActConflict", "ActError", "ActNotFound", "ActStore", "merge_act", "score", "PairingMethod"]
