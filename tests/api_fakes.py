"""A small in-memory KnowledgeBase for the API and browser tests.

It honours the KnowledgeBase contract (same methods, same models) on three hand-made
documents, so that the routes, the error paths and the page can be tested without
the embedding model or the index. Matching is crude on purpose (word prefixes plus a
two-entry Kazakh→Russian glossary): the retrieval quality is tested elsewhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import tempfile
from pathlib import Path

from ingest.errors import IngestError
from kb.config import Settings
from kb.models import (
    PATH_SEP,
    Actor,
    Answer,
    AskRequest,
    Block,
    Citation,
    Deadline,
    Document,
    DocumentRef,
    DocumentSummary,
    Entity,
    EntityCount,
    Hit,
    Obligation,
    ObligationFilters,
    ObligationRow,
    Page,
    Quote,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)
from kb.obligations.actors import actor_ids
from kb.obligations.register import register_rows
from kb.service import KnowledgeBase

NAMES = {
    "minamata": {"kk": "Минамата конвенциясы", "ru": "Минаматская конвенция", "en": "Minamata Convention"},
    "stockholm": {"kk": "Стокгольм конвенциясы", "ru": "Стокгольмская конвенция", "en": "Stockholm Convention"},
    "mepnr": {
        "kk": "Экология және табиғи ресурстар министрлігі",
        "ru": "Министерство экологии и природных ресурсов",
        "en": "Ministry of Ecology and Natural Resources",
    },
}
GLOSSARY = {"сынап": "ртут", "сынаптың": "ртут"}  # Kazakh "mercury" → Russian stem
XSS_TEXT = 'Пример <script>window.__xss = 1</script> и <img src=x onerror="window.__xss = 2"> в тексте.'


def _doc(doc_id, lang, genre, title, date, pieces, obligations=()):
    """A Document from (kind, path, text, [(entity type, surface, id, value)]) pieces."""
    text, blocks, entities = "", [], []
    for i, (kind, path, body, ents) in enumerate(pieces):
        start = len(text)
        text += body
        block_ents = []
        for etype, surface, eid, value in ents:
            s = start + body.index(surface)
            block_ents.append(
                Entity(type=etype, text=surface, start=s, end=s + len(surface), id=eid, value=value, lang=lang)
            )
        blocks.append(
            Block(index=i, kind=kind, text=body, path=path, start=start, end=len(text), lang=lang, entities=block_ents)
        )
        entities += block_ents
        text += "\n\n"
    doc = Document(
        id=doc_id, source=f"corpora/{lang}/{doc_id}.md", lang=lang, genre=genre, title=title, date=date,
        text=text.rstrip(), blocks=blocks, entities=entities,
    )
    for actor, action, deadline, quote_text, conv in obligations:
        s = doc.text.index(quote_text)
        blk = next(b for b in blocks if b.start <= s < b.end)
        doc.obligations.append(
            Obligation(
                actor=Actor(text=actor[0], id=actor[1]) if actor else None,
                actor_reason=None if actor else "passive voice, no actor named",
                action=action,
                deadline=Deadline(text=deadline[0], value=deadline[1]) if deadline else None,
                modality="duty",
                quote=Quote(text=quote_text, doc_id=doc_id, block_path=blk.path_str, start=s, end=s + len(quote_text)),
                lang=lang,
                conventions=conv,
            )
        )
    return doc


def sample_documents() -> list[Document]:
    long_intro = " ".join(["Настоящий закон регулирует отношения в области охраны окружающей среды."] * 40)
    ru_act = _doc(
        "ru-mercury-act", "ru", "law", "Об обращении с ртутью", dt.date(2021, 1, 2),
        [
            ("heading", ["Статья 1"], "Статья 1. Общие положения", []),
            ("paragraph", ["Статья 1", "п. 1"], long_intro, []),
            ("heading", ["Статья 2"], "Статья 2. Обязанности уполномоченного органа", []),
            (
                "paragraph", ["Статья 2", "п. 1"],
                "Министерство экологии и природных ресурсов обязано до 31 декабря 2025 года представить "
                "национальный план по сокращению выбросов ртути в соответствии с Минаматской конвенцией.",
                [("agency", "Министерство экологии и природных ресурсов", "mepnr", None),
                 ("date", "31 декабря 2025 года", None, "2025-12-31"),
                 ("convention", "Минаматской конвенцией", "minamata", None)],
            ),
        ],
        obligations=[(
            ("Министерство экологии и природных ресурсов", "mepnr"),
            "представить национальный план по сокращению выбросов ртути",
            ("до 31 декабря 2025 года", "2025-12-31"),
            "Министерство экологии и природных ресурсов обязано до 31 декабря 2025 года представить "
            "национальный план по сокращению выбросов ртути в соответствии с Минаматской конвенцией.",
            ["minamata"],
        )],
    )
    kk_release = _doc(
        "kk-stockholm-release", "kk", "press_release", "Стокгольм конвенциясы бойынша Ұлттық жоспар",
        dt.date(2025, 3, 4),
        [
            ("heading", [], "Ұлттық жоспар ұсынылды", []),
            (
                "paragraph", [],
                "Экология және табиғи ресурстар министрлігі Стокгольм конвенциясы бойынша жаңартылған "
                "Ұлттық жоспарды 2026 жылғы 1 қаңтарға дейін бекітуге тиіс.",
                [("agency", "Экология және табиғи ресурстар министрлігі", "mepnr", None),
                 ("convention", "Стокгольм конвенциясы", "stockholm", None),
                 ("date", "2026 жылғы 1 қаңтарға", None, "2026-01-01")],
            ),
        ],
        obligations=[(
            ("Экология және табиғи ресурстар министрлігі", "mepnr"),
            "жаңартылған Ұлттық жоспарды бекіту",
            ("2026 жылғы 1 қаңтарға дейін", "2026-01-01"),
            "Экология және табиғи ресурстар министрлігі Стокгольм конвенциясы бойынша жаңартылған "
            "Ұлттық жоспарды 2026 жылғы 1 қаңтарға дейін бекітуге тиіс.",
            ["stockholm"],
        )],
    )
    xss = _doc(
        "ru-xss-news", "ru", "news", 'Новость <img src=x onerror="window.__xss = 3">', dt.date(2024, 5, 6),
        [("paragraph", [], XSS_TEXT + " Отходы ртути собирают отдельно.", [])],
        obligations=[(None, "<b>собирать</b> отходы", None, XSS_TEXT, [])],
    )
    return [ru_act, kk_release, xss]


def _stem(word: str) -> str:
    word = word.lower()
    return GLOSSARY.get(word, word[:4])


def _words(text: str) -> list[re.Match]:
    return list(re.finditer(r"\w+", text))


def _snippet(text: str, stems: set[str]) -> str:
    out, pos = [], 0
    for m in _words(text):
        if _stem(m.group()) in stems:
            out += [html.escape(text[pos:m.start()]), f"<mark>{html.escape(m.group())}</mark>"]
            pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _summary(d: Document) -> DocumentSummary:
    return DocumentSummary(
        **DocumentRef.model_validate(d, from_attributes=True).model_dump(),
        blocks=len(d.blocks), entities=len(d.entities), obligations=len(d.obligations),
    )


class FakeKB(KnowledgeBase):
    def __init__(self, docs: list[Document] | None = None, settings: Settings | None = None):
        # Its own data directory: the API keys live in the store's database there.
        super().__init__(settings or Settings(max_file_mb=0.01, data_dir=Path(tempfile.mkdtemp(prefix="fakekb-"))))
        self.docs = {d.id: d for d in (sample_documents() if docs is None else docs)}
        self.unavailable: Exception | None = None  # set to make every call fail like a lost index

    def _check(self):
        if self.unavailable:
            raise self.unavailable

    # -- documents
    def ingest_upload(self, filename: str, data: bytes, force: bool = False) -> tuple[DocumentSummary, str]:
        self._check()
        if not filename.endswith((".txt", ".md")):
            raise IngestError(filename, "unsupported format (expected .txt or .md)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError(filename, f"not UTF-8 text ({exc.reason})") from None
        doc_id = hashlib.sha256(data).hexdigest()[:16]
        if doc_id in self.docs:
            return _summary(self.docs[doc_id]), "unchanged"
        lang = "kk" if re.search("[әғқңөұүһі]", text.lower()) else "ru"
        doc = _doc(doc_id, lang, "other", text.splitlines()[0][:80], None,
                   [("paragraph", [], p, []) for p in text.split("\n\n") if p.strip()])
        doc.source = filename
        self.docs[doc_id] = doc
        return _summary(doc), "added"

    def delete_document(self, doc_id: str) -> bool:
        self._check()
        return self.docs.pop(doc_id, None) is not None

    def get_document(self, doc_id: str) -> Document | None:
        self._check()
        return self.docs.get(doc_id)

    def list_documents(self, offset=0, limit=50, lang=None, genre=None) -> Page[DocumentSummary]:
        self._check()
        docs = [d for d in self.docs.values() if (not lang or d.lang == lang) and (not genre or d.genre == genre)]
        docs.sort(key=lambda d: d.title)
        items = [_summary(d) for d in docs[offset: offset + limit]]
        return Page[DocumentSummary](total=len(docs), offset=offset, limit=limit, items=items)

    # -- search
    def _passes(self, d: Document, f: SearchFilters) -> bool:
        ids = {e.id for e in d.entities}
        return (
            (not f.lang or d.lang in f.lang)
            and (not f.genre or d.genre in f.genre)
            and (not f.convention or ids & set(f.convention))
            and (not f.agency or ids & set(f.agency))
            and (not f.date_from or (d.date and d.date >= f.date_from))
            and (not f.date_to or (d.date and d.date <= f.date_to))
            and (not f.doc_id or d.id in f.doc_id)
            and (not f.kind or (d.requisites is not None and d.requisites.kind in f.kind))
            and (not f.status or (d.requisites.status if d.requisites else "unknown") in f.status)
        )

    def _hits(self, q: str, f: SearchFilters) -> list[Hit]:
        stems = {_stem(m.group()) for m in _words(q)}
        hits = []
        for d in self.docs.values():
            if not self._passes(d, f):
                continue
            for b in d.blocks:
                matched = {_stem(m.group()) for m in _words(b.text)} & stems
                if matched:
                    hits.append(Hit(
                        score=len(matched) / len(stems), text=b.text, snippet=_snippet(b.text, stems),
                        document=DocumentRef.model_validate(d, from_attributes=True),
                        passage_id=f"{d.id}-{b.index}", block_path=b.path_str, start=b.start, end=b.end,
                        entities=b.entities, match="lexical: " + ", ".join(sorted(matched)),
                    ))
        hits.sort(key=lambda h: (-h.score, h.document.id, h.start))
        return hits

    def search(self, req: SearchRequest) -> SearchResponse:
        self._check()
        hits = self._hits(req.q, req)
        lang = "kk" if re.search("[әғқңөұүһі]", req.q.lower()) else "ru"
        return SearchResponse(query=req.q, query_lang=lang, total=len(hits),
                              hits=hits[req.offset: req.offset + req.top_k], took_ms=1.0)

    def ask(self, req: AskRequest) -> Answer:
        self._check()
        hits = self._hits(req.question, req)[: req.top_k]
        if not hits:
            return Answer(question=req.question, answered=False, answer="", answer_lang="ru", confidence=0.0,
                          reason="no passage matches the question")
        h = hits[0]
        d = self.docs[h.document.id]
        sentence = h.text.split(". ")[0].rstrip(".") + "."
        start = h.start + h.text.index(sentence)
        cit = Citation(n=1, doc_id=d.id, title=d.title, source=d.source, block_path=h.block_path,
                       start=start, end=start + len(sentence), quote=sentence)
        return Answer(question=req.question, answered=True, answer=f"{sentence} [1]", answer_lang=d.lang,
                      source_lang_marked=False, citations=[cit], confidence=0.8, passages=hits)

    # -- registries
    def entity_counts(self, type: str | None = None) -> list[EntityCount]:
        self._check()
        counts: dict[str, EntityCount] = {}
        for d in self.docs.values():
            for e in d.entities:
                if e.id and e.type in ("convention", "agency") and (type is None or e.type == type):
                    c = counts.setdefault(e.id, EntityCount(id=e.id, type=e.type, names=NAMES.get(e.id, {}),
                                                            mentions=0, documents=0))
                    c.mentions += 1
            for eid in {e.id for e in d.entities if e.id in counts}:
                counts[eid].documents += 1
        return sorted(counts.values(), key=lambda c: (-c.mentions, c.id))

    def obligations(self, filters: ObligationFilters, offset: int = 0, limit: int = 100) -> Page[ObligationRow]:
        self._check()
        rows, sources = [], {}
        for d in sorted(self.docs.values(), key=lambda d: d.id):
            for o in d.obligations:
                a = filters.actor
                if a and not (o.actor and (a in actor_ids(o.actor) or a.lower() in o.actor.text.lower())):
                    continue
                if filters.convention and filters.convention not in o.conventions:
                    continue
                value = (o.deadline.value or "")[:10] if o.deadline else ""
                if filters.deadline_from and not (value and value >= filters.deadline_from.isoformat()):
                    continue
                if filters.deadline_to and not (value and value <= filters.deadline_to.isoformat()):
                    continue
                if (filters.lang and o.lang != filters.lang) or (filters.doc_id and d.id != filters.doc_id):
                    continue
                rows.append(o)
                sources[id(o)] = d
        # status, next due date, status/due-window filters and sort: as the real register reads them
        rows = [r for o in rows for r in register_rows([o], filters, source=sources[id(o)].source,
                                                       title=sources[id(o)].title)]
        if filters.sort == "due":
            rows.sort(key=lambda r: (r.next_due is None, r.next_due or dt.date.max))
        return Page[ObligationRow](total=len(rows), offset=offset, limit=limit, items=rows[offset: offset + limit])

    def obligation_pairs(self, filters: ObligationFilters, offset: int = 0, limit: int | None = 100) -> Page:
        # the real pairing of the register's rows; the other version is looked for in the same page
        from kb.models import PairedObligationRow
        from kb.obligations.paired import pair_rows

        pairs = pair_rows(self.obligations(filters, 0, 10**6).items, prefer=filters.lang)
        items = pairs[offset:] if limit is None else pairs[offset: offset + limit]
        return Page[PairedObligationRow](total=len(pairs), offset=offset, limit=limit or len(pairs), items=items)

    def health(self) -> dict:
        self._check()
        return {"status": "ok", "documents": len(self.docs)}

    # -- acts: each document its own act, or the act its act_key names (no database here)
    def _acts(self) -> list:
        import json

        from kb.acts.ids import default_act_id
        from kb.acts.store import _requisites_json, merge_act
        from kb.models import ActVersion

        groups: dict[str, list[Document]] = {}
        for d in sorted(self.docs.values(), key=lambda d: d.id):
            groups.setdefault(default_act_id(d), []).append(d)
        out = []
        for act_id, docs in groups.items():
            act = merge_act(act_id, [(d.lang, json.loads(_requisites_json(d))) for d in docs])
            act.versions = [ActVersion(lang=d.lang, doc_id=d.id, source=d.source,
                                       method="act_key" if d.act_key else "own") for d in docs]
            out.append(act)
        return out

    def list_acts(self, filters=None, sort="-date", offset=0, limit=50):
        from kb.models import Act

        self._check()
        acts = self._acts()
        return Page[Act](total=len(acts), offset=offset, limit=limit, items=acts[offset: offset + limit])

    def get_act(self, act_id: str):
        self._check()
        return next((a for a in self._acts() if a.id == act_id), None)

    def link_documents(self, doc_id: str, other_id: str):
        from kb.acts.store import ActNotFound

        raise ActNotFound(f"document {other_id!r}: linking is not part of the fake")

    def unlink_document(self, doc_id: str):
        return self.link_documents(doc_id, doc_id)


__all__ = ["FakeKB", "sample_documents", "XSS_TEXT", "PATH_SEP"]
