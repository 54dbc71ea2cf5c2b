"""Extractive answers with citations, built from retrieved passages.

No generator is needed by default: the answer is the sentence or table row that
answers, quoted exactly, so every citation can be checked against the document.
Candidates are the sentences of the top passages, scored by

- meaning: cosine between the question and the sentence (same e5 model),
- words: share of the question's lemmas/stems found in the sentence,
- type: a "when" question wants a date, a "who" question a body,
- rank: a small prior for sentences of higher-ranked passages.

When the best score is below the threshold the answer says so plainly instead of
guessing. The question's language is preferred where the corpus has the act in
both languages; otherwise the source language is used and marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml

from kb.embeddings import Embedder
from kb.highlight import query_terms
from kb.lang import terms
from kb.models import Answer, AskRequest, Citation, Hit, Obligation, SearchRequest
from kb.retrieval import Retriever

_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
# Sentence ends: ., !, ? or ; before a capital/number/quote, and line breaks
# (list items and table rows are one per line).
_SPLIT = re.compile(r"(?<=[.!?;:])\s+(?=[«\"(A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])|\n+")

NO_ANSWER = {
    "ru": "В базе знаний не найден ответ на этот вопрос.",
    "kk": "Білім қорынан бұл сұраққа жауап табылмады.",
}
UNSUPPORTED_LANG = {
    "ru": "Вопросы принимаются на казахском или русском языке.",
    "kk": "Сұрақтар қазақ немесе орыс тілінде қабылданады.",
}


@lru_cache
def question_cues() -> dict[str, dict[str, list[str]]]:
    with resources.files("kb.data").joinpath("question_types.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def question_type(question: str) -> str:
    q = " " + re.sub(r"\s+", " ", question.lower()) + " "
    for qtype, by_lang in question_cues().items():
        for cues in by_lang.values():
            if any(f" {cue}" in q for cue in cues):
                return qtype
    return "what"


@dataclass
class Candidate:
    hit: Hit
    rank: int
    start: int  # offsets in the document's clean text
    end: int
    text: str
    lang: str
    score: float = 0.0
    focus: str | None = None
    parts: dict = field(default_factory=dict)


def sentences(hit: Hit) -> list[tuple[int, int, str]]:
    """Sentences of a passage as (start, end, text) in document offsets, trimmed."""
    out = []
    pos = 0
    text = hit.text
    for m in list(_SPLIT.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if len(piece) >= 12:
            s = hit.start + pos + lead
            out.append((s, s + len(piece), piece))
        if m:
            pos = m.end()
    return out


@dataclass
class Answerer:
    retriever: Retriever
    embedder: Embedder
    threshold: float = 0.55
    max_passages: int = 6
    max_candidates: int = 48
    obligations_for: object = None  # Callable[[str], list[Obligation]] | None

    def ask(self, req: AskRequest) -> Answer:
        question = req.question
        qlang = self.retriever.query_lang(question)
        reply_lang = qlang if qlang in ("kk", "ru") else "ru"
        if not _CYRILLIC.search(question):
            return Answer(
                question=question, answered=False, answer=UNSUPPORTED_LANG[reply_lang],
                answer_lang=reply_lang, confidence=0.0,
                reason="The question is not in Kazakh or Russian.",
            )
        search = SearchRequest(q=question, top_k=req.top_k, **req.model_dump(include=set(type(req).model_fields) - {"question", "top_k"}))
        hits = self.retriever.search(search).hits
        qtype = question_type(question)
        if qtype == "obligation" and self.obligations_for:
            answer = self._from_obligations(question, qlang, hits)
            if answer:
                return answer
        cands = self._candidates(hits)
        if not cands:
            return self._no_answer(question, reply_lang, hits, "Nothing relevant was retrieved.")
        self._score(question, qlang, qtype, cands)
        best = max(cands, key=lambda c: c.score)
        confidence = round(float(min(1.0, max(0.0, best.score))), 3)
        if best.score < self.threshold:
            return self._no_answer(
                question, reply_lang, hits,
                f"Best candidate scored {best.score:.2f}, below the answer threshold {self.threshold}.",
                confidence,
            )
        marked = best.lang != qlang and qlang in ("kk", "ru")
        return Answer(
            question=question, answered=True, answer=best.text, focus=best.focus,
            answer_lang=best.lang, source_lang_marked=marked,
            citations=[_citation(1, best.hit, best.start, best.end, best.text)],
            confidence=confidence, passages=hits,
            reason=None if not marked else f"Quoted in the source language ({best.lang}).",
        )

    # -- candidates ------------------------------------------------------------
    def _candidates(self, hits: list[Hit]) -> list[Candidate]:
        cands = []
        for rank, hit in enumerate(hits[: self.max_passages]):
            lang = hit.document.lang
            for start, end, text in sentences(hit):
                cands.append(Candidate(hit=hit, rank=rank, start=start, end=end, text=text, lang=lang))
        return cands[: self.max_candidates]

    def _score(self, question: str, qlang: str, qtype: str, cands: list[Candidate]) -> None:
        qvec = self.embedder.encode_queries([question])[0]
        svecs = self.embedder.encode_passages([c.text for c in cands])
        sims = svecs @ qvec
        qwords = query_terms(question, qlang)
        for c, sim in zip(cands, np.asarray(sims, dtype=float)):
            words = set(terms(c.text, c.lang))
            lexical = len(qwords & words) / len(qwords) if qwords else 0.0
            inside = [e for e in c.hit.entities if e.start >= c.start and e.end <= c.end]
            wanted = {"when": ("date",), "who": ("agency",)}.get(qtype, ())
            focus = next((e for e in inside if e.type in wanted), None)
            type_fit = 1.0 if focus or not wanted else 0.0
            # e5 cosines live in a narrow band (~0.7 unrelated, ~0.9 paraphrase):
            # stretch it so the weights below mean what they say.
            meaning = max(0.0, (float(sim) - 0.72) / 0.2)
            prior = 0.08 / (1 + c.rank)
            lang_fit = 0.0 if c.lang == qlang or qlang not in ("kk", "ru") else -0.04
            c.focus = focus.text if focus else None
            c.parts = {"meaning": meaning, "lexical": lexical, "type": type_fit, "prior": prior}
            c.score = 0.5 * meaning + 0.3 * lexical + 0.12 * type_fit + prior + lang_fit

    # -- obligations -----------------------------------------------------------
    def _from_obligations(self, question: str, qlang: str, hits: list[Hit]) -> Answer | None:
        found: list[tuple[Hit, Obligation]] = []
        for hit in hits[: self.max_passages]:
            for ob in self.obligations_for(hit.document.id):
                if ob.quote.start < hit.end and ob.quote.end > hit.start:
                    found.append((hit, ob))
        if not found:
            return None
        top_doc = found[0][0].document.id
        found = [(h, o) for h, o in found if h.document.id == top_doc][:5]
        lines, citations = [], []
        for n, (hit, ob) in enumerate(found, 1):
            actor = ob.actor.text if ob.actor else "—"
            deadline = f" ({ob.deadline.text})" if ob.deadline else ""
            lines.append(f"[{n}] {actor}: {ob.action}{deadline}")
            citations.append(_citation(n, hit, ob.quote.start, ob.quote.end, ob.quote.text))
        lang = found[0][0].document.lang
        return Answer(
            question=question, answered=True, answer="\n".join(lines), answer_lang=lang,
            source_lang_marked=lang != qlang and qlang in ("kk", "ru"),
            citations=citations, confidence=0.7, passages=hits,
        )

    def _no_answer(self, question, lang, hits, reason, confidence=0.0) -> Answer:
        return Answer(
            question=question, answered=False, answer=NO_ANSWER[lang], answer_lang=lang,
            confidence=confidence, passages=hits, reason=reason,
        )


def _citation(n: int, hit: Hit, start: int, end: int, quote: str) -> Citation:
    return Citation(
        n=n, doc_id=hit.document.id, title=hit.document.title, source=hit.document.source,
        block_path=hit.block_path, page=hit.page, start=start, end=end, quote=quote,
    )
