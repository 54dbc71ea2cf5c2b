"""Extractive answers with citations, built from retrieved passages.

No generator is needed by default: the answer is the sentence, table row or
obligation record that answers, quoted exactly, so every citation can be checked
against the document. Candidates come from

- the question's hits (hybrid retrieval with the request's filters), plus a few
  hits from the other language's documents: a Kazakh question about a plan that
  exists only in Russian must still reach the Russian table row, and same-language
  lexical matches crowd it out of a single ranked list. Those hits have their own
  candidate budget, since they come last and a shared cap would drop them first;
- the obligation records (kb.obligations) whose quotes fall inside those passages,
  for "which obligations" questions.

Each candidate is scored by

- meaning: cosine between the question and the candidate (same e5 model);
- words: share of the question's lemmas/stems found in the candidate and its lead-in or
  table header, weighted by rarity among the candidates (same language; across languages
  a discounted meaning score stands in, since words cannot match);
- type: a "when" question wants a date, a "who" question a body or person;
- rank: a small prior for candidates from higher-ranked passages;
- support: a penalty growing as the passage's fused retrieval score falls below the best
  hit's, so a sentence that merely shares words, from a passage far behind the top match,
  does not outrank the top match's answer;
- language: when both versions of an act were retrieved, the question's language wins.

These parts, taken apart and with a few more facts about the candidate, also feed a learned ranker
(kb/answer_ranker.py, kb/data/answer_ranker.yaml): a conditional logit fitted on the development sets
with the hand-set score as its main term and small corrections; when shipped it orders the candidates.

The best candidate's features (score, meaning, type, margin over other acts, near-miss signals,
language) go through a logistic model fitted on development questions (kb/confidence.py,
kb/data/confidence.yaml): the probability that the answer is right decides refusal; an answer then
shows a second stage's probability, from how sure the ranker is of the sentence within the act. Below the refusal threshold chosen on the same questions, the answer says plainly, in the
question's language, that the knowledge base has no answer, and names the closest acts as possibly
related (never quoting them).

The answer comes from the question's language version of an act when the act exists in both
(Document.act_key, kb/act_versions.py) and that version answers about as well. A list question
("какие сроки", "қандай шаралар", "кімдерге жүктелді"; kb/answer_lists.py) gets every row of the
table, every item of the list or the matching obligation records, each cited.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import PurePath

import numpy as np
import yaml

from kb import answer_lists
from kb.answer_ranker import Ranker, model as ranker_model
from kb.answer_vectors import AnswerVectors
from kb.act_versions import act_of, other_version
from kb.confidence import model as confidence_model
from kb.embeddings import Embedder
from kb.lang import query_terms, terms
from kb.lang.sentences import boundaries as sentence_boundaries
from kb.models import (
    Answer, AskRequest, Block, Citation, Document, DocumentRef, Entity, Hit, Obligation, RelatedAct, SearchRequest,
)
from kb.retrieval import Retriever

_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
# Sentence ends: ., !, ?, ; or : before a capital/number/quote, and line breaks
# (list items and table rows are one per line).
_NUMBER = re.compile(r"\d+(?:[ ,.]\d+)*")
_TABLE_CELL_SEP = " | "

NO_ANSWER = {
    "ru": "В базе знаний не найден ответ на этот вопрос.",
    "kk": "Білім қорынан бұл сұраққа жауап табылмады.",
}
# The question's language is unknown to us here, so the reply is given in both.
UNSUPPORTED_LANG = (
    "Сұрақтар тек қазақ немесе орыс тілінде қабылданады. / "
    "Вопросы принимаются только на казахском или русском языке."
)


@lru_cache
def question_cues() -> dict[str, dict[str, list[str]]]:
    with resources.files("kb.data").joinpath("question_types.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def verb_terms(question: str, lang: str) -> set[str]:
    """Terms of the question's verbs (question_types.yaml: _verb_endings): Russian lemmas in
    -ть/-ться/-ти, Kazakh words with a finite or participle ending. A verb is how a question
    paraphrases ("отчитывается", "хабарланады"); the detail a near miss asks for is a noun."""
    ends = question_cues().get("_verb_endings", {})
    out: set[str] = set()
    for tok in re.findall(r"[\w-]+", question.lower()):
        got = terms(tok, lang)
        if lang == "ru":
            out |= {t for t in got if t.endswith(tuple(ends.get("ru", [])))}
        elif lang == "kk" and tok.endswith(tuple(ends.get("kk", []))):
            out |= set(got)
    return out


def asked_terms(question: str, lang: str, n: int | None = None) -> set[str]:
    """The content terms right after the question's interrogative ("сколько ДНЕЙ", "қай БАҒАЛАУШЫ"):
    what is asked about (question_types.yaml: _asked_after, _asked_count, _asked_skip, _asked_units)."""
    cues = question_cues()
    counts = set(cues.get("_asked_count", {}).get(lang, []))
    words = set(cues.get("_asked_after", {}).get(lang, [])) | counts
    skip = {t for w in cues.get("_asked_skip", {}).get(lang, []) for t in terms(w, lang)}
    units = {t for w in cues.get("_asked_units", {}).get(lang, []) for t in terms(w, lang)}
    tokens = re.findall(r"[\w-]+", question.lower())
    limit = n or int(cues.get("_asked_words", 2))
    for i, tok in enumerate(tokens):
        if tok in words:
            if tok not in counts:
                skip = skip | units
            out: list[str] = []
            for nxt in tokens[i + 1:]:
                if nxt in words:
                    continue
                got = terms(nxt, lang)
                if any(t in skip for t in got):
                    break  # a category word: the answer names an instance of it, not the word
                out += got
                if len(out) >= limit:
                    break
            return set(out[:limit])
    return set()


def question_type(question: str) -> str:
    q = " " + re.sub(r"[^\w\s-]", " ", question.lower())
    q = " " + re.sub(r"\s+", " ", q).strip() + " "
    for qtype, by_lang in question_cues().items():
        if qtype.startswith("_"):
            continue
        for cues in by_lang.values():
            if any(f" {cue}" in q for cue in cues):
                return qtype
    return "what"


# Entity types that answer a question type.
_WANTED = {"when": ("date",), "who": ("agency", "person")}
# A list item or sub-point ("4) не превышать ...", "100% - участникам ...", "- 11 февраля ...")
# means little without the lead-in that ends in ":" before it.
_ITEM = re.compile(r"^(?:\d{1,3}(?:-\d{1,3})?[).]|[а-яәa-z]\)|[-–—•«\"]|\d+\s?%|[a-zа-яёәғқңөұүһі])")
# A lead-in with its items is also offered whole, as a list answer ("по следующим
# направлениям: «...» «...»"), when it stays this short.
MAX_LIST_CHARS = 500
# Enumerators at the start of a unit are not the numbers a question asks for.
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,3}(?:-\d{1,3})?[).]?\s*\|?|[а-яәa-z]\))\s*")
# The items of a list answer ("...:\n1) ...\n2) ...") are numbered too.
_ITEM_NUMBER = re.compile(r"^[ \t]*(?:\d{1,3}(?:-\d{1,3})?[).]|[а-яәa-z]\))", re.MULTILINE)


@dataclass
class Candidate:
    hit: Hit
    rank: int
    start: int  # offsets in the document's clean text
    end: int
    text: str
    lang: str
    kind: str = "sentence"  # sentence | row | list | obligation
    obligation: Obligation | None = None
    lead: str | None = None  # the lead-in ("... обязаны:") a list item depends on
    lead_span: tuple[int, int] | None = None
    is_lead: bool = False  # a lead-in itself: it announces an answer, it is not one
    context: str = ""  # table header, for scoring only
    retrieved: bool = True  # False: an obligation record outside the retrieved passages
    support: float = 1.0  # the passage's retrieval score over the best of the question's own search
    score: float = 0.0
    focus: str | None = None
    parts: dict = field(default_factory=dict)
    words: set[str] = field(default_factory=set)  # its terms (with lead-in and header), set by _score
    pieces: list = field(default_factory=list)  # candidates it joins (_continued): its meaning is theirs
    continues: bool = False  # it continues the sentence before it ("При этом ..."): alone it lacks its subject


def sentences(hit: Hit) -> list[tuple[int, int, str]]:
    """Sentences of a passage as (start, end, text) in document offsets, trimmed.

    A table row ("7 | Проведение ... | 4 квартал 2022 года | МЧС, МЭГПР") is one
    unit: its cells only mean something together.
    """
    out = []
    pos = 0
    text = hit.text
    # kb/lang/sentences.py, the splitter extraction and chunking use; here ":" and line breaks end units too
    gaps = [(a, b) for a, b in sentence_boundaries(text, ends=".!?;:", newlines=True)]
    for m in gaps + [None]:
        end = m[0] if m else len(text)
        if m and "\n" not in text[m[0]:m[1]]:
            # A sentence break inside a table row does not end the row.
            line_start = text.rfind("\n", 0, end) + 1
            line_end = text.find("\n", end)
            line = text[line_start: line_end if line_end >= 0 else len(text)]
            if _TABLE_CELL_SEP in line:
                continue
        piece = text[pos:end]
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if len(piece) >= 12:
            s = hit.start + pos + lead
            out.append((s, s + len(piece), piece))
        if m:
            pos = m[1]
    return out


def _sibling_key(source: str) -> tuple[str, str] | None:
    """(file name, language folder) when a document sits in a kk/ or ru/ folder.

    The corpus keeps the two language versions of an act under the same file name
    in kk/ and ru/ (corpora/manifest.tsv pairs them that way)."""
    p = PurePath(source.replace("\\", "/"))
    return (p.name, p.parent.name) if p.parent.name in ("kk", "ru") else None


class _VectorCache:
    """Sentence vectors by text: the corpus is static between ingests and the same
    passages come back for related questions, so most candidates are seen before."""

    def __init__(self, embedder: Embedder, size: int = 20000):
        self.embedder = embedder
        self.size = size
        self._vecs: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vecs))
        if missing:
            for t, v in zip(missing, self.embedder.encode_passages(missing)):
                self._vecs[t] = np.asarray(v, dtype=np.float32)
        for t in texts:
            self._vecs.move_to_end(t)
        while len(self._vecs) > self.size:
            self._vecs.popitem(last=False)
        return np.stack([self._vecs[t] for t in texts])


@dataclass
class Answerer:
    retriever: Retriever
    embedder: Embedder
    max_passages: int = 8
    cross_passages: int = 16
    max_candidates: int = 80
    # Candidates from the other language's passages, on top of max_candidates: they come
    # last in the hit list, so a shared cap would drop them first.
    max_cross_candidates: int = 40
    # Weight of the passage's retrieval support (see _support); 0.08-0.12 measure the same.
    support_weight: float = 0.1
    # The question's own search as one list over both languages (False), or one pool per
    # language as search does (True); the other language's passages come from the
    # separate search below either way. Measured on bench/qa.py (bench/results/qa.md).
    pool_main: bool = False
    obligation_docs: int = 2  # documents whose other obligation records are candidates too
    max_obligations_per_doc: int = 30
    obligations_for: Callable[[str], list[Obligation]] | None = None
    documents: Callable[[str], Document | None] | None = None
    # Document id by source path (the store's), to find an act's other language version.
    id_for_source: Callable[[str], str | None] | None = None
    # None: the calibrated threshold of kb/data/confidence.yaml; benches set 0 to see every best candidate.
    refusal_threshold: float | None = None
    version_passages: int = 4  # passages searched in the question-language version of the act
    version_margin: float = 0.15  # how much lower its best candidate may score and still be preferred
    list_margin: float = 0.12  # obligation records within this of the best are listed too
    related_acts: int = 3  # a refusal names at most this many possibly related acts
    # Approval formulas and scope sentences (question_types.yaml: _boilerplate_*) restate the act.
    boilerplate_penalty: float = 0.15
    type_weight: float = 0.15  # 0.25 and 0.35 measured the same on dev (no answer more right)
    # Type fit of an amount question's candidate that holds no number (digits or words).
    amount_no_number: float = 0.5
    # Candidates given a sentence vector per question (None: all); see _to_embed.
    max_embedded: int | None = None
    _vectors: _VectorCache | None = field(default=None, repr=False)
    # Candidate vectors computed at ingest (kb/answer_vectors.py); None: embed at question time.
    stored_vectors: AnswerVectors | None = None
    # Document ids are content hashes, so a document's numbers never go stale.
    _numbers: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _titles: dict[tuple, set[str]] = field(default_factory=dict, repr=False)
    # Weight of a question word found only in the candidate's act title (see _score).
    title_weight: float = 0.7
    # A candidate whose terms are at least this share of its act's title's restates the title.
    title_restated: float = 0.8
    # Candidates with more terms than this have their word match scaled down (see _score); 0: off.
    long_terms: int = 20
    # Penalty for a candidate (question's language) naming none of the asked terms (asked_terms, n=2).
    asked_weight: float = 0.0
    # Type fit of a "who" candidate naming a person, office or group by a word (_who_words), not a tag.
    who_word_fit: float = 0.6
    # Type fit of a sentence (not an obligation record) for an obligation question.
    obligation_sentence_fit: float = 0.8
    # The learned candidate ranker (kb/answer_ranker.py); None: the hand-set score.
    ranker: "Ranker | None" = field(default_factory=lambda: ranker_model())

    def ask(self, req: AskRequest) -> Answer:
        question = req.question
        if not _CYRILLIC.search(question):
            return Answer(
                question=question, answered=False, answer=UNSUPPORTED_LANG, answer_lang="ru", confidence=0.0,
                confidence_level="low", reason_code="unsupported_language",
                reason="unsupported_language: the question is not in Kazakh or Russian (kk/ru only).",
            )
        a = self.analyse(req)
        reply_lang = a.qlang if a.qlang in ("kk", "ru") else "ru"
        if a.best is None:
            return self._no_answer(a, reply_lang, "Nothing relevant was retrieved.")
        calib = confidence_model()
        p = calib.probability(a.features)
        confidence = round(p, 3)  # a refusal shows the first stage's probability
        if calib.refuses(p, a.features, self.refusal_threshold):
            why = (f"Calibrated confidence {p:.2f} is below the answer threshold {self.threshold_p(calib):.2f}"
                   if p < self.threshold_p(calib) else
                   f"The act never names what is asked about; confidence {p:.2f} is below "
                   f"{calib.asked_missing_threshold:.2f}")
            return self._no_answer(a, reply_lang, f"{why} (ranking score {a.best.score:.2f}).", confidence)
        best = a.best
        # An answer shows how often answers like it were right (kb/confidence.py: the second stage).
        shown = calib.shown(p, a.features)
        confidence = round(shown, 3)
        units = self._list_units(a) if a.listing else None
        if units is None and best.is_lead:
            # A lead-in ("... включает три этапа:") announces the answer; its items are it.
            units = self._block_units(a) or self._lead_units(best, a.cands)
        if units is None:
            units = [(c.hit, c.lead_span, c.lead, (c.start, c.end), c.text) for c in self._companions(best, a.cands)]
        lines, citations = [], []
        for hit, lead_span, lead, span, text in units:
            n = len(citations) + 1
            if lead and lead_span and (lead_span[1] - lead_span[0]) <= 300:
                # The item alone ("4) не превышать ...") lacks its subject: quote the lead-in too.
                citations.append(_citation(n, hit, lead_span[0], lead_span[1], lead))
                citations.append(_citation(n + 1, hit, span[0], span[1], text))
                lines.append(f"{lead} … {text}")
            else:
                citations.append(_citation(n, hit, span[0], span[1], text))
                lines.append(text)
        answer_text = "\n".join(f"• {line}" for line in lines) if len(lines) > 1 else lines[0]
        marked = best.lang != a.qlang and a.qlang in ("kk", "ru")
        # The interface marks a cross-language answer once, in its own language (source_lang_marked);
        # the answer text stays the quote.
        reason = f"Quoted in the source language ({best.lang}); no {a.qlang} version answered." if marked else None
        return Answer(
            question=question, answered=True, answer=answer_text, focus=best.focus,
            answer_lang=best.lang, source_lang_marked=marked, citations=citations,
            confidence=confidence, confidence_level=calib.level(shown), passages=a.hits, reason=reason,
        )

    def threshold_p(self, calib=None) -> float:
        """The refusal threshold on the calibrated probability (data file unless overridden)."""
        return self.refusal_threshold if self.refusal_threshold is not None else (calib or confidence_model()).threshold

    def analyse(self, req: AskRequest) -> Analysis:
        """Retrieve, build and score candidates; the best one and its confidence features."""
        question = req.question
        qlang = self.retriever.query_lang(question)
        hits, n_main = self._retrieve(req, qlang)
        qtype = question_type(question)
        listing = answer_lists.is_list_question(question)
        cands = self._candidates(hits, qtype, n_main, listing)
        a = Analysis(question=question, qlang=qlang, qtype=qtype, hits=hits, cands=cands, listing=listing)
        if not cands:
            return a
        self._score(question, qlang, qtype, cands, hits)
        best = max(cands, key=lambda c: c.score)
        if qlang in ("kk", "ru") and best.lang != qlang:
            best = self._own_language(req, a, best) or best
        a.best = best
        a.features = self._features(a)
        return a

    def _features(self, a: Analysis) -> dict[str, float]:
        best = a.best
        own = self._act(best.hit.document.id)
        rivals = [c.score for c in a.cands if self._act(c.hit.document.id) != own]
        qwords = query_terms(a.question, a.qlang)
        if best.lang == a.qlang:
            coverage = len(qwords & best.words) / len(qwords) if qwords else 0.0
        else:
            coverage = best.parts.get("lexical", 0.0)
        # A question word that no retrieved passage of its language holds: often the very detail
        # a near-miss question asks about ("штраф" over an act that sets none).
        pool = set().union(*(c.words for c in a.cands if c.lang == a.qlang)) if a.cands else set()
        unmatched = len(qwords - pool) / len(qwords) if qwords and pool else 0.0
        # What the question asks about, named nowhere in the answer (same language only).
        asked = asked_terms(a.question, a.qlang) if best.lang == a.qlang else set()
        asked_missing = len(asked - best.words) / len(asked) if asked else 0.0
        # Question words the answer's whole act never uses (title included): a near-miss question
        # asks for a detail ("мазут", "пошлина", "сыйақы") the act does not have anywhere.
        # Counted, not a share: one missing detail word makes a near miss however long the question;
        # interrogatives, modals and generic time words (_missing_ignore) are never the detail.
        doc_text = self._doc_text(best.hit) if best.lang == a.qlang else None
        verbs = verb_terms(a.question, a.qlang) if doc_text else set()
        ignore = _missing_ignore(a.qlang) | verbs
        absent = {t for t in qwords - ignore if not _in_text(t, doc_text)} if doc_text else set()
        doc_missing = min(2, len(absent)) / 2
        # The thing asked about ("какую государственную ПОШЛИНУ", "қанша СЫЙАҚЫ"), absent from the act.
        asked2 = asked_terms(a.question, a.qlang, n=2) - ignore if doc_text else set()
        asked_doc_missing = float(any(not _in_text(t, doc_text) for t in asked2)) if doc_text else 0.0
        # How sure the ranker is of its choice within the question: the softmax share (at the ranker's
        # temperature) of the candidates that quote the same place as the answer. A right act with the
        # wrong sentence of it scores a high margin over other acts and a low share here.
        temp = self.ranker.temperature if self.ranker is not None else 0.04
        scores = np.array([c.score for c in a.cands]) / temp
        share = np.exp(scores - scores.max())
        share /= share.sum()
        doc_id = best.hit.document.id
        same = [(c.hit.document.id == doc_id and c.start < best.end and best.start < c.end) for c in a.cands]
        choice = float(share[np.array(same)].sum())
        others = [c.score for c, s in zip(a.cands, same) if not s]
        margin_in = best.score - max(others, default=best.score - 0.3)
        return {
            "choice": choice, "margin_in": margin_in,
            "asked_missing": asked_missing, "doc_missing": doc_missing, "asked_doc_missing": asked_doc_missing,
            "score": best.score, "meaning": best.parts.get("meaning", 0.0),
            "lexical": best.parts.get("lexical", 0.0), "type": best.parts.get("type", 0.0),
            "margin": best.score - max(rivals, default=best.score - 0.3), "coverage": coverage,
            "cross": float(best.lang != a.qlang), "unmatched": unmatched,
            "cross_meaning": best.parts.get("meaning", 0.0) * float(best.lang != a.qlang),
        }

    def _act(self, doc_id: str):
        doc = self.documents(doc_id) if self.documents else None
        return (act_of(doc) if doc else None) or doc_id

    def _own_language(self, req: AskRequest, a: Analysis, best: Candidate) -> Candidate | None:
        """The question-language version's best candidate, when the act exists in that language
        and it answers about as well: staff read the act in the language they asked in."""
        if not (self.documents and self.id_for_source):
            return None
        doc = self.documents(best.hit.document.id)
        other = other_version(doc, a.qlang, self.documents, self.id_for_source,
                              among=list(dict.fromkeys(h.document.id for h in a.hits))) if doc else None
        if other is None:
            return None
        pool = [c for c in a.cands if c.hit.document.id == other.id]
        if not pool:
            hits = self.retriever.search(SearchRequest(
                q=a.question, top_k=self.version_passages, doc_id=[other.id], lang=[a.qlang], group="passage")).hits
            if not hits:
                return None
            pool = self._candidates(hits, a.qtype, len(hits), a.listing)
            if not pool:
                return None
            self._score(a.question, a.qlang, a.qtype, pool, hits)
            a.cands += pool
        mine = max(pool, key=lambda c: c.score)
        return mine if mine.score >= best.score - self.version_margin else None

    def _list_units(self, a: Analysis) -> list[tuple] | None:
        """Every member of the table, list or obligation register the best candidate belongs to."""
        best = a.best
        if best.kind == "obligation" and not answer_lists.members(self._doc(best), best.start)[1]:
            # Records outside one list ("кімдерге жүктелді" over a resolution's points): the
            # document's other records that answer nearly as well.
            chosen = self._companions(best, a.cands, margin=self.list_margin, limit=answer_lists.max_items())
            return [(c.hit, c.lead_span, c.lead, (c.start, c.end), c.text) for c in chosen]
        # The document's table or list (its blocks); failing that (items without enumerators or
        # paths, a note's lines), the items the passage itself shows under the same lead-in.
        return self._block_units(a) or self._lead_units(best, a.cands)

    def _doc(self, c: Candidate) -> Document | None:
        return self.documents(c.hit.document.id) if self.documents else None

    def _block_units(self, a: Analysis) -> list[tuple] | None:
        """The lead-in and members of the document's table or list holding the best candidate."""
        best = a.best
        cap = answer_lists.max_items()
        doc = self._doc(best)
        lead, members = answer_lists.members(doc, best.start)
        if not members:
            return None
        units = []
        if lead is not None:
            units.append((_at(best.hit, lead), None, None, (lead.start, lead.end), doc.text[lead.start:lead.end]))
        for b in members[:cap]:
            units.append((_at(best.hit, b), None, None, (b.start, b.end), doc.text[b.start:b.end]))
        return units

    def _lead_units(self, best: Candidate, cands: list[Candidate]) -> list[tuple] | None:
        """The lead-in the best candidate is (or belongs to) and every item under it in the passage."""
        span = (best.start, best.end) if best.is_lead else best.lead_span
        if span is None:
            return None
        doc_id = best.hit.document.id
        items: dict[tuple[int, int], Candidate] = {}
        lead = best if best.is_lead else None
        for c in cands:
            if c.hit.document.id != doc_id or c.kind in ("obligation", "list"):
                continue
            if c.lead_span == span:
                items.setdefault((c.start, c.end), c)
            elif (c.start, c.end) == span and lead is None:
                lead = c
        if not items:
            return None
        chosen = sorted(items.values(), key=lambda c: c.start)[: answer_lists.max_items()]
        units = []
        if lead is not None:
            units.append((lead.hit, None, None, span, lead.text))
        units += [(c.hit, None, None, (c.start, c.end), c.text) for c in chosen]
        return units

    # -- retrieval -------------------------------------------------------------
    def retrieve(self, req: AskRequest, qlang: str | None = None) -> list[Hit]:
        """The passages an answer is built from (also what a generator should be given)."""
        return self._retrieve(req, qlang)[0]

    def _retrieve(self, req: AskRequest, qlang: str | None = None) -> tuple[list[Hit], int]:
        """The passages, and how many of them come from the question's own search (the rest
        are the other language's, from a separate search whose scores are on another scale)."""
        qlang = qlang or self.retriever.query_lang(req.question)
        filters = req.model_dump(include=set(type(req).model_fields) - {"question", "top_k"})
        hits = self.retriever.search(
            SearchRequest(q=req.question, top_k=req.top_k, group="passage", **filters), pooled=self.pool_main
        ).hits
        # The other language's documents: only when the caller did not pick languages.
        if self.cross_passages and not req.lang and qlang in ("kk", "ru"):
            cross = self.retriever.search(
                SearchRequest(
                    q=req.question, top_k=self.cross_passages, cross_lingual=True, group="passage", **filters
                )
            ).hits
            seen = {h.passage_id for h in hits}
            return hits + [h for h in cross if h.passage_id not in seen], len(hits)
        return hits, len(hits)

    # -- candidates ------------------------------------------------------------
    def _candidates(
        self, hits: list[Hit], qtype: str, n_main: int | None = None, listing: bool = False
    ) -> list[Candidate]:
        cands: list[Candidate] = []
        n_main = len(hits) if n_main is None else n_main
        support = _support(hits, n_main)
        for rank, hit in enumerate(hits[: self.max_passages + self.cross_passages]):
            lang = hit.document.lang
            lead: Candidate | None = None
            for start, end, text in sentences(hit):
                kind = "row" if _TABLE_CELL_SEP in text else "sentence"
                c = Candidate(hit=hit, rank=rank, start=start, end=end, text=text, lang=lang, kind=kind,
                              support=support[rank])
                if lead is not None and _ITEM.match(text):
                    c.lead, c.lead_span = lead.text, (lead.start, lead.end)
                    lead.is_lead = True
                else:
                    lead = None
                if text.endswith(":"):
                    lead = c
                block = self._block_at(hit.document.id, start, end)
                if block is not None and block.kind == "heading":
                    # A heading names a topic; it answers nothing (and restates the question well).
                    continue
                if kind == "row" and block is not None and block.header:
                    c.context = " | ".join(block.header)
                cands.append(c)
        # Same budget for each language side, so the other language's passages (retrieved
        # last) still offer their sentences when the question's own passages are long.
        first = [c for c in cands if c.rank < n_main]
        extra = [c for c in cands if c.rank >= n_main]
        cands = first[: self.max_candidates] + extra[: self.max_cross_candidates]
        cands += _lists(cands) + _continued(cands)
        # "Кімдерге жүктелді", "кто отвечает": a list of who does what is the obligation register's.
        if (qtype == "obligation" or (listing and qtype == "who")) and self.obligations_for:
            cands += self._obligation_candidates(hits, cands, support)
        return cands

    def _block_at(self, doc_id: str, start: int, end: int) -> Block | None:
        """The block holding a candidate (needs `documents`; None without it)."""
        doc = self.documents(doc_id) if self.documents else None
        if doc is None or not doc.blocks:
            return None
        i = bisect_right([b.start for b in doc.blocks], start) - 1
        if i >= 0 and doc.blocks[i].start <= start and end <= doc.blocks[i].end:
            return doc.blocks[i]
        return None

    def _obligation_candidates(
        self, hits: list[Hit], sentence_cands: list[Candidate], support: list[float] | None = None
    ) -> list[Candidate]:
        """Obligation records in the retrieved passages, and the best-matching records of the
        top documents elsewhere: a duty often sits in a point the passage ranking missed
        ("... комитеті ... шекарасын белгілесін" under the same resolution)."""
        leads = {(c.hit.document.id, c.start): (c.lead, c.lead_span) for c in sentence_cands if c.lead}
        out = []
        seen: set[tuple[str, int, int]] = set()
        top_docs: list[Hit] = []
        for rank, hit in enumerate(hits[: self.max_passages + self.cross_passages]):
            if hit.document.id not in {h.document.id for h in top_docs} and len(top_docs) < self.obligation_docs:
                top_docs.append(hit)
            for ob in self.obligations_for(hit.document.id):
                q = ob.quote
                key = (hit.document.id, q.start, q.end)
                if q.start >= hit.start and q.end <= hit.end and key not in seen:
                    seen.add(key)
                    lead, lead_span = leads.get((hit.document.id, q.start), (None, None))
                    out.append(Candidate(
                        hit=hit, rank=rank, start=q.start, end=q.end, text=q.text,
                        lang=hit.document.lang, kind="obligation", obligation=ob, lead=lead, lead_span=lead_span,
                        support=support[rank] if support else 1.0,
                    ))
        for hit in top_docs:
            rank = hits.index(hit)
            rest = [ob for ob in self.obligations_for(hit.document.id)
                    if (hit.document.id, ob.quote.start, ob.quote.end) not in seen]
            for ob in rest[: self.max_obligations_per_doc]:
                seen.add((hit.document.id, ob.quote.start, ob.quote.end))
                # The record carries its own place; the passage's entities do not cover it.
                where = hit.model_copy(update={
                    "block_path": ob.quote.block_path, "page": ob.quote.page, "entities": [],
                    "start": ob.quote.start, "end": ob.quote.end, "text": ob.quote.text,
                })
                out.append(Candidate(
                    hit=where, rank=rank + 1, start=ob.quote.start, end=ob.quote.end, text=ob.quote.text,
                    lang=hit.document.lang, kind="obligation", obligation=ob, retrieved=False,
                    support=support[rank] if support else 1.0,
                ))
        return out

    def _doc_numbers(self, hit: Hit) -> set[str]:
        """Numbers in the hit's document (its passage and title when documents are not wired)."""
        if hit.document.id in self._numbers:
            return self._numbers[hit.document.id]
        doc = self.documents(hit.document.id) if self.documents else None
        if doc is None:
            return set(re.findall(r"\d+", hit.text + " " + hit.document.title)) | {
                m.group() for m in _NUMBER.finditer(hit.text)}
        text = f"{doc.text} {doc.title} {doc.date.year if doc.date else ''}"
        found = {m.group() for m in _NUMBER.finditer(text)} | set(re.findall(r"\d+", text))
        if len(self._numbers) > 5000:
            self._numbers.clear()
        self._numbers[hit.document.id] = found
        return found

    def _doc_text(self, hit: Hit) -> str | None:
        """The hit's document title and text, lower-cased (None when documents are not wired)."""
        doc = self.documents(hit.document.id) if self.documents else None
        return f"{doc.title}\n{doc.text}".lower() if doc else None

    def _restates_title(self, c: Candidate) -> bool:
        """The act's name again (a heading, the annex's title, "Осы ... қағидалары"): it shares every
        word of a question about the act and states nothing in it."""
        own = set(terms(c.text, c.lang))
        return len(own) >= 4 and len(own & self._title_terms(c.hit)) >= self.title_restated * len(own)

    def _title_terms(self, hit: Hit) -> set[str]:
        key = ("title", hit.document.id)
        found = self._titles.get(key)
        if found is None:
            if len(self._titles) > 5000:
                self._titles.clear()
            found = self._titles[key] = set(terms(hit.document.title or "", hit.document.lang))
        return found

    def _pair_key(self, hit: Hit):
        act = self._act(hit.document.id)
        return act if act != hit.document.id else (_sibling_key(hit.document.source) or (hit.document.id,))[0]

    def _to_embed(self, cands: list[Candidate], cand_terms: list[set[str]], idf: dict, qlang: str) -> list[int]:
        """Indexes of the candidates worth a sentence vector (the slow part of a first-time answer).

        Without `max_embedded`, all. Otherwise the candidates sharing the most (rarity-weighted)
        question words, plus the first ones of each side by passage rank: other-language sentences
        cannot share words, and a top passage's sentence may paraphrase the question entirely."""
        n = len(cands)
        if not self.max_embedded or n <= self.max_embedded:
            return list(range(n))
        lex = [sum(idf[t] for t in idf if t in ws) for ws in cand_terms]
        own = [i for i in range(n) if cands[i].lang == qlang]
        other = [i for i in range(n) if cands[i].lang != qlang]
        by_words = sorted(own, key=lambda i: (-lex[i], cands[i].rank))
        keep = set(by_words[: self.max_embedded // 2])
        keep |= set(sorted(own, key=lambda i: cands[i].rank)[: self.max_embedded // 4])
        keep |= set(sorted(other, key=lambda i: cands[i].rank)[: self.max_embedded // 4])
        return sorted(keep)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._vectors is None:
            self._vectors = _VectorCache(self.embedder)
        return self._vectors(texts)

    def _embed_candidates(self, cands: list[Candidate]) -> np.ndarray:
        """Each candidate's vector: stored at ingest when there is one, else embedded now."""
        texts = [_embed_text(c) for c in cands]
        found = [self.stored_vectors.lookup(c.hit.document.id, t) if self.stored_vectors else None
                 for c, t in zip(cands, texts)]
        todo = [i for i, v in enumerate(found) if v is None]
        if todo:
            for i, v in zip(todo, self._embed([texts[i] for i in todo])):
                found[i] = v
        return np.stack(found) if found else np.zeros((0, 0), dtype=np.float32)

    @staticmethod
    def candidate_texts(doc: Document, passages: list) -> list[str]:
        """What `_score` embeds for any candidate a hit on one of these passages can give: every
        sentence, row, list and obligation record (with lead-in and header), for kb/answer_vectors.py.

        Each passage is taken alone, as the search returns it (a lead-in belongs to its passage)."""
        ref = DocumentRef(id=doc.id, source=doc.source, title=doc.title, lang=doc.lang, genre=doc.genre,
                          date=doc.date)
        solo = Answerer(
            retriever=None, embedder=None, max_passages=1, cross_passages=0, max_candidates=10**6,
            obligation_docs=1, max_obligations_per_doc=10**6,
            obligations_for=lambda i: doc.obligations if i == doc.id else [],
            documents=lambda i: doc if i == doc.id else None,
        )
        texts: dict[str, None] = {}
        for p in passages:
            hit = Hit(score=1.0, text=p.text, snippet="", document=ref, passage_id=p.id, block_path=p.block_path,
                      page=p.page, start=p.start, end=p.end)
            for c in solo._candidates([hit], "obligation", listing=True):
                if not c.pieces:
                    texts[_embed_text(c)] = None
        return list(texts)

    def _score(self, question: str, qlang: str, qtype: str, cands: list[Candidate], hits: list[Hit]) -> None:
        qvec = self.retriever.query_vector(question)
        qwords = query_terms(question, qlang)
        wanted = _WANTED.get(qtype, ())
        cand_terms = [set(terms(f"{c.lead or ''} {c.context} {c.text}", c.lang)) for c in cands]
        # Rarer words weigh more: the question's predicate ("қаржыландырылады")
        # says more than the name of the body every candidate repeats.
        df = {t: sum(t in ws for ws in cand_terms) for t in qwords}
        idf = {t: np.log((1 + len(cands)) / (1 + df[t])) + 1.0 for t in qwords}
        q_weight = sum(idf.values())
        sims = np.zeros(len(cands))
        joined = {i for i, c in enumerate(cands) if c.pieces}
        chosen = [i for i in self._to_embed(cands, cand_terms, idf, qlang) if i not in joined]
        if chosen:
            sims[chosen] = self._embed_candidates([cands[i] for i in chosen]) @ qvec
        if joined:
            index = {id(c): i for i, c in enumerate(cands)}
            for i in joined:
                sims[i] = max(sims[index[id(p)]] for p in cands[i].pieces if id(p) in index)
        # Acts retrieved in both languages (Document.act_key, or the kk/ru folder layout when the
        # documents are not wired): prefer the question's language version.
        langs_of: dict = {}
        for h in hits:
            langs_of.setdefault(self._pair_key(h), set()).add(h.document.lang)
        paired = {h.document.id for h in hits if len(langs_of[self._pair_key(h)]) > 1}
        # A year or number the question names ("в 2025 году", "№ 351") must occur in the
        # candidate's document, or the document is about something else.
        qnums = {m.group() for m in _NUMBER.finditer(question) if len(m.group()) >= 2}
        asked = asked_terms(question, qlang, n=2) - verb_terms(question, qlang) - _missing_ignore(qlang) \
            if self.asked_weight and qlang in ("kk", "ru") else set()
        doc_rank: dict[str, int] = {}
        for h in hits:
            doc_rank.setdefault(h.document.id, len(doc_rank))
        boiler_applies = not any(w in question.lower() for w in question_cues().get("_boilerplate_unless_question", []))
        for c, words, sim in zip(cands, cand_terms, np.asarray(sims, dtype=float)):
            c.words = words
            # e5 cosines live in a narrow band (~0.7 unrelated, ~0.9 paraphrase):
            # stretch it so the weights below mean what they say.
            meaning = max(0.0, (float(sim) - 0.72) / 0.2)
            if c.lang == qlang or qlang not in ("kk", "ru"):
                # Question words the act's title holds count too, for less: a question names the
                # act ("постановление о создании Ащиозекского заказника") that its entry-into-force
                # or financing sentence never repeats, and boilerplate of other acts shares the rest.
                titled = (qwords & self._title_terms(c.hit)) - words
                lexical = (sum(idf[t] for t in qwords & words) + self.title_weight * sum(idf[t] for t in titled)) \
                    / q_weight if q_weight else 0.0
                if self.long_terms and len(words) > self.long_terms and c.kind != "list":
                    # A long point shares many words with any question about its act by length alone
                    # (a lead-in with its items is long by design, and capped at MAX_LIST_CHARS).
                    lexical *= (self.long_terms / len(words)) ** 0.5
            else:
                # Words cannot match across languages; stand in a discounted meaning
                # score so a Russian-only source is not ruled out for a Kazakh question.
                lexical = 0.6 * meaning
            inside = [e for e in c.hit.entities if e.start >= c.start and e.end <= c.end]
            c.focus = _focus(c, qtype, inside, wanted)
            if qtype == "obligation":
                # A record retrieval did not reach needs more than its type to win.
                type_fit = (1.0 if c.retrieved else 0.7) if c.kind == "obligation" else self.obligation_sentence_fit
            elif qtype == "who" and not c.focus:
                # A person, office or group the tagger does not know ("Премьер-Министр ... в
                # качестве председателя"): part of the fit, so a tagged body still wins a tie.
                type_fit = self.who_word_fit if _who_word().search(c.text) else 0.0
            elif qtype in _WANTED:
                type_fit = 1.0 if c.focus else 0.0
            elif qtype == "amount":
                # Amounts written in words ("в течение пяти лет", "жүз пайыз") are found by _focus too.
                type_fit = 1.0 if c.focus else self.amount_no_number
            else:
                type_fit = 1.0
            prior = 0.02 / (1 + c.rank)
            lang_fit = -0.08 if c.lang != qlang and c.hit.document.id in paired else 0.0
            penalty = -0.1 if c.is_lead else -0.05 if c.continues else 0.0
            boiler = bool((boiler_applies and (_boilerplate(c.text) or self._restates_title(c))) or _stamp(c.text))
            if boiler:
                penalty -= self.boilerplate_penalty
            if asked and c.lang == qlang:
                # The thing asked about ("қандай ҚАРАЖАТ", "какая ТОЧНОСТЬ") named by the candidate, or
                # the candidate answers a neighbouring question about the same topic.
                penalty -= self.asked_weight * len(asked - words) / len(asked)
            other_numbers = bool(qnums and not qnums <= self._doc_numbers(c.hit))
            if other_numbers:
                penalty -= 0.1
            # A passage the search scored far below its best match rarely holds the answer when
            # that match is clearly ahead (the rank alone cannot tell a close second from a
            # distant one); never a bonus, so unanswerable questions score no higher.
            support = self.support_weight * (c.support - 1.0)
            c.parts = {"meaning": meaning, "lexical": lexical, "type": type_fit, "prior": prior,
                       "support": support, "lang": lang_fit, "pen": penalty}
            # Weights and threshold chosen on bench/qa.py (a plateau of settings reach the same
            # accuracy; see bench/results/qa.md). Shared entities/numbers were tried as a
            # feature and dropped: they mostly reward sentences that restate the question.
            c.score = 0.5 * meaning + 0.4 * lexical + self.type_weight * type_fit + prior + support + lang_fit + penalty
            # The ranker's inputs (kb/answer_ranker.py): the score's parts taken apart, and a few
            # facts about the candidate the hand-set score does not use.
            own = c.lang == qlang or qlang not in ("kk", "ru")
            c.parts.update({
                "hand": c.score, "lead": float(c.is_lead), "continues": float(c.continues), "boiler": float(boiler),
                "other_numbers": float(other_numbers), "cross": float(not own),
                "coverage": len(qwords & words) / len(qwords) if own and qwords else 0.0,
                "title": sum(idf[t] for t in (qwords & self._title_terms(c.hit))) / q_weight
                if own and q_weight else 0.0,
                "row": float(c.kind == "row"), "list": float(c.kind == "list"),
                "obligation": float(c.kind == "obligation"), "unretrieved": float(not c.retrieved),
                "length": min(1.0, len(c.text) / 400.0), "item": float(c.lead is not None),
                "focus": float(c.focus is not None), "rank": 1.0 / (1 + c.rank), "doc_rank": 1.0 / (1 + doc_rank[c.hit.document.id]),
                "sim": float(sim),
            })
        if self.ranker is not None:
            # The learned ranker (kb/data/answer_ranker.yaml) replaces the hand-set score; the
            # relative margins below (_own_language, _companions) are on its scale, fitted to match.
            for c in cands:
                c.score = self.ranker.score(c.parts, qtype)

    def _companions(
        self, best: Candidate, cands: list[Candidate], margin: float = 0.05, limit: int = 3
    ) -> list[Candidate]:
        """The answer: the best candidate, and for obligation questions the other
        obligations of the same document that score nearly as well."""
        if best.kind != "obligation":
            return [best]
        others = [
            c for c in cands
            if c is not best and c.kind == "obligation" and c.hit.document.id == best.hit.document.id
            and c.score >= best.score - margin
        ]
        others.sort(key=lambda c: c.score, reverse=True)
        chosen = [best]
        for c in others:
            if all(c.start >= o.end or c.end <= o.start or (c.start, c.end) == (o.start, o.end) for o in chosen):
                if (c.start, c.end) not in {(o.start, o.end) for o in chosen}:
                    chosen.append(c)
            if len(chosen) == limit:
                break
        return chosen

    def _no_answer(self, a: Analysis, lang: str, reason: str, confidence: float = 0.0) -> Answer:
        return Answer(
            question=a.question, answered=False, answer=NO_ANSWER[lang], answer_lang=lang,
            confidence=confidence, confidence_level="low", passages=a.hits, reason=reason,
            reason_code="no_answer", related=self._related(a.hits, a.qlang),
        )

    def _related(self, hits: list[Hit], qlang: str) -> list[RelatedAct]:
        """The closest acts, one entry per act (its question-language version when retrieved)."""
        by_act: dict = {}
        for h in hits:
            act = self._act(h.document.id)
            if act not in by_act or (h.document.lang == qlang and by_act[act].lang != qlang):
                by_act[act] = h.document
        return [RelatedAct(doc_id=d.id, title=d.title, source=d.source, lang=d.lang)
                for d in list(by_act.values())[: self.related_acts]]


@dataclass
class Analysis:
    """What the answerer found for a question, before it decides to answer or refuse."""

    question: str
    qlang: str
    qtype: str
    hits: list[Hit]
    cands: list[Candidate]
    listing: bool = False
    best: Candidate | None = None
    features: dict[str, float] = field(default_factory=dict)


def _at(hit: Hit, block: Block) -> Hit:
    """The hit re-pointed at a block of its document (for the block's citation path and page)."""
    return hit.model_copy(update={"block_path": block.path_str, "page": block.page, "entities": [],
                                  "start": block.start, "end": block.end, "text": block.text})


def _support(hits: list[Hit], n_main: int) -> list[float]:
    """Each hit's fused score over the best score of the question's own search.

    The other language's passages keep 1.0: their list is short, its scores sit on a
    lower scale, and the answer there is often a row the search ranks mid-list (scaling
    them too cost Kazakh answers over Russian-only seeds on bench/qa.py)."""
    top = max((h.score for h in hits[:n_main]), default=0.0)
    return [
        max(0.0, h.score) / top if i < n_main and top > 0 else 1.0
        for i, h in enumerate(hits)
    ]


def _lists(cands: list[Candidate]) -> list[Candidate]:
    """Each short lead-in with its items as one candidate: the exact slice of the passage."""
    out = []
    by_lead: dict[tuple[str, int], list[Candidate]] = {}
    for c in cands:
        if c.lead_span is not None:
            by_lead.setdefault((c.hit.passage_id, c.lead_span[0]), []).append(c)
    for (_, start), items in by_lead.items():
        hit, end = items[0].hit, items[-1].end
        if end - start > MAX_LIST_CHARS:
            continue
        text = hit.text[start - hit.start: end - hit.start]
        out.append(Candidate(hit=hit, rank=items[0].rank, start=start, end=end, text=text,
                             lang=items[0].lang, kind="list", support=items[0].support))
    return out


def _continued(cands: list[Candidate]) -> list[Candidate]:
    """A sentence with the next one when that one continues it ("При этом ...", "Бұл ретте ..."):
    the condition and the period it qualifies are one answer. Scored from its two parts' vectors."""
    starts = tuple(c for cs in question_cues().get("_continuations", {}).values() for c in cs)
    out = []
    for prev, nxt in zip(cands, cands[1:]):
        if (nxt.hit is prev.hit and nxt.kind == prev.kind == "sentence" and not prev.is_lead and prev.lead is None
                and nxt.lead is None and nxt.text.lower().startswith(starts)):
            text = prev.hit.text[prev.start - prev.hit.start: nxt.end - prev.hit.start]
            out.append(Candidate(hit=prev.hit, rank=prev.rank, start=prev.start, end=nxt.end, text=text,
                                 lang=prev.lang, support=prev.support, pieces=[prev, nxt]))
            nxt.continues = True
    return out


def _embed_text(c: Candidate) -> str:
    return "\n".join(p for p in (c.context, c.lead, c.text) if p)


def _focus(c: Candidate, qtype: str, inside: list[Entity], wanted: tuple[str, ...]) -> str | None:
    """The date, body or number the question asks for, as it appears in the candidate."""
    ob = c.obligation
    if qtype == "who" and ob is not None and ob.actor:
        return ob.actor.text
    if qtype == "when" and ob is not None and ob.deadline:
        return ob.deadline.text
    entity = next((e for e in inside if e.type in wanted), None)
    if entity is not None:
        return entity.text
    if qtype == "when":
        # "в срок, не превышающий трех месяцев", "бір жұмыс күні ішінде": a period answers "when" too,
        # and "ежеквартально", "жыл сайын" a "how often".
        m = _period().search(c.text) or _frequency().search(c.text)
        return m.group().strip() if m else None
    if qtype == "amount":
        body = _ITEM_NUMBER.sub("", _ENUMERATOR.sub("", c.text, count=1))
        m = next((m for m in _NUMBER.finditer(body) if not _is_year(m.group())), None)
        if m is None:
            m = _number_word().search(body)  # "пяти лет", "жүз пайыз"
        return m.group().strip() if m else None
    return None


@lru_cache
def _number_word() -> re.Pattern:
    words = [w for ws in question_cues().get("_number_words", {}).values() for w in ws]
    # A stem and at most three letters of ending, so "он" (ten) does not match "онлайн".
    alternatives = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(r"(?<![\w])(?:" + alternatives + r")\w{0,3}(?!\w)", re.IGNORECASE)


@lru_cache
def _missing_ignore(lang: str) -> frozenset[str]:
    return frozenset(t for w in question_cues().get("_missing_ignore", {}).get(lang, []) for t in terms(w, lang))


@lru_cache
def _who_word() -> re.Pattern:
    words = [w for ws in question_cues().get("_who_words", {}).values() for w in ws]
    return re.compile(r"(?<![\w])(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")",
                      re.IGNORECASE)


@lru_cache
def _frequency() -> re.Pattern:
    words = [w for ws in question_cues().get("_frequency", {}).values() for w in ws]
    return re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, words)) + r")\w*", re.IGNORECASE)


@lru_cache
def _period() -> re.Pattern:
    """A number (digits or a number word) followed within two words by a unit of time."""
    units = [w for ws in question_cues().get("_time_units", {}).values() for w in ws]
    return re.compile(
        r"(?:\d+|" + _number_word().pattern + r")(?:\s*\([^)]{1,40}\))?(?:\s+[\w-]+){0,2}?\s+(?:"
        + "|".join(sorted(map(re.escape, units), key=len, reverse=True)) + r")\w*",
        re.IGNORECASE,
    )


def _boilerplate(text: str) -> bool:
    cues = question_cues()
    t = _ENUMERATOR.sub("", text.lower(), count=1).strip()
    starts = [c for cs in cues.get("_boilerplate_starts", {}).values() for c in cs]
    contains = [c for cs in cues.get("_boilerplate_contains", {}).values() for c in cs]
    return t.startswith(tuple(starts)) or any(c in t for c in contains)


def _stamp(text: str) -> bool:
    cues = question_cues()
    t = text.lower().strip(" *>")
    starts = [c for cs in cues.get("_stamp_starts", {}).values() for c in cs]
    contains = [c for cs in cues.get("_stamp_contains", {}).values() for c in cs]
    return t.startswith(tuple(starts)) or any(c in t for c in contains)


def _in_text(term: str, text: str) -> bool:
    """Whether a question term (a Russian lemma or a Kazakh stem) starts a word of the text: its first
    letters, less a Russian lemma's ending ("пошлина" -> "пошли"), so any inflected form counts.
    Looking the term up is far cheaper than lemmatising a whole act the first time it answers."""
    stem = term if len(term) <= 4 else term[: max(4, len(term) - 2)]
    return re.search(r"(?<![\w])" + re.escape(stem), text) is not None


def _is_year(number: str) -> bool:
    return len(number) == 4 and number.isdigit() and 1900 <= int(number) <= 2100


def _citation(n: int, hit: Hit, start: int, end: int, quote: str) -> Citation:
    return Citation(
        n=n, doc_id=hit.document.id, title=hit.document.title, source=hit.document.source,
        block_path=hit.block_path, page=hit.page, start=start, end=end, quote=quote, act_id=hit.act_id,
    )
