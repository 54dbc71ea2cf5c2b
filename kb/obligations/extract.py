"""Obligations from a parsed, tagged Document: clauses -> triggers -> actor/action/deadline/condition."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import lru_cache

from kb.lang.sentences import split as split_sentences
from kb.models import PATH_SEP, Actor, Block, Deadline, Document, Entity, Obligation, Quote

from . import actors, adapters, pairing, present
from ingest import budget
from .morph import WORD, head_stem, repair_script, is_adjective_nom, is_dative, is_genitive, is_nominative, is_infinitive, is_kk_dative, kk_head_case
from .cues import kk_cues
from .deadlines import parse_deadline
from .rules import LangRules, Trigger, load_rules

_KK = kk_cues()  # Kazakh endings and cue words: kb/data/kk_cues.yaml
_KK_LETTERS = _KK["letters"]
_MARKER = re.compile(r"^\s*(?:\d+(?:-\d+)?[.)]|[а-яa-z]\)|[-•*])\s*")
_SUB_MARKER = re.compile(r"^\s*(?:\d+(?:-\d+)?\)|[а-яa-z]\))\s")
_SUB_SPLIT = re.compile(r"\n(?=\s*(?:\d+(?:-\d+)?\)|[а-я]\))\s)")
_TRAIL_CHARS = ".;:,"


@dataclass
class Clause:
    start: int  # offsets into doc.text of the clause (the quote)
    end: int
    body_start: int  # where the text after a "1)" / "2." marker begins
    block: Block
    sub: bool

    def body(self, text: str) -> str:
        return text[self.body_start:self.end]


@dataclass
class Found:
    trigger: Trigger
    actor: tuple[int, int] | None  # offsets relative to the body
    reason: str | None
    action: list[tuple[int, int]] = field(default_factory=list)  # one span per coordinated action
    pre: tuple[int, int] | None = None  # text between the actor and the first action (shared)
    texts: list[str] | None = None  # action texts when they are not one span (KK object before the actor)


# --- clauses ------------------------------------------------------------------------------------

def _block_clauses(doc: Document, block: Block) -> list[Clause]:
    text = doc.text
    start = block.start
    if text[block.start:block.end] != block.text:
        found = text.find(block.text)
        if found < 0:
            return []
        start = found
    out: list[Clause] = []
    pieces, pos = [], 0
    for m in _SUB_SPLIT.finditer(block.text):
        pieces.append((pos, m.start()))
        pos = m.start() + 1
    pieces.append((pos, len(block.text)))
    for ps, pe in pieces:
        piece = block.text[ps:pe]
        cuts = split_sentences(piece, ends=".!?", always=";")  # kb/lang/sentences.py: one splitter
        for i, (cs, ce) in enumerate(cuts):
            seg = piece[cs:ce]
            lead = len(seg) - len(seg.lstrip())
            seg = seg.strip()
            if not seg:
                continue
            a = start + ps + cs + lead
            b = a + len(seg)
            marker = _MARKER.match(seg) if i == 0 else None
            out.append(Clause(a, b, a + (marker.end() if marker else 0), block,
                              sub=bool(i == 0 and _SUB_MARKER.match(seg))))
    return out


def _lang_of(doc: Document, block: Block, rules: dict[str, LangRules]) -> str | None:
    lang = block.lang if block.lang in rules else doc.lang if doc.lang in rules else None
    if lang is None and block.lang == "mixed":
        lang = "kk" if len(_KK_LETTERS.findall(block.text)) > _KK["letter_threshold"] else "ru"
    return lang if lang in rules else None


# --- actors -------------------------------------------------------------------------------------

def _untrail(s: str) -> str:
    """The clause without its trailing spaces and punctuation (a loop: the regex
    `[\\s.;:,]+$` rescans a long run of them from every position in it)."""
    i = len(s)
    while i and (s[i - 1].isspace() or s[i - 1] in _TRAIL_CHARS):
        i -= 1
    return s[:i]


class _Stops:
    """`_first_stop` for positions that only move forward: a pattern is searched again
    only when its last match falls behind, so scanning a clause stop by stop is linear."""

    def __init__(self, s: str, pats: list[re.Pattern]):
        self.s = s
        self.pats = pats
        self.found: list[tuple[int, re.Match | None] | None] = [None] * len(pats)

    def first(self, start: int) -> int:
        best = len(self.s)
        for i, p in enumerate(self.pats):
            cached = self.found[i]
            if cached is None or start < cached[0] or (cached[1] is not None and cached[1].start() < start):
                cached = (start, p.search(self.s, start))
                self.found[i] = cached
            m = cached[1]
            if m is not None and m.start() < best:
                best = m.start()
        return best


def _first_stop(s: str, pats: list[re.Pattern], start: int = 0) -> int:
    best = len(s)
    for p in pats:
        m = p.search(s, start)
        if m and m.start() < best:
            best = m.start()
    return best


def _trim(s: str, a: int, b: int) -> tuple[int, int] | None:
    seg = s[a:b]
    left = len(seg) - len(seg.lstrip(" \t\n,:;—–-"))
    right = len(seg.rstrip(" \t\n,:;—–-."))
    if right <= left:
        return None
    # keep the dot of a trailing initial ("А.К.")
    if re.search(r"\b\w\.$", seg[:right + 1]) and right < len(seg) and seg[right] == ".":
        right += 1
    return (a + left, a + right)


def _ru_has_head(s: str, r: LangRules) -> bool:
    return any(head_stem(w.group(0), r.actor_heads) for w in WORD.finditer(s))


def _ru_actor_word(word: str, r: LangRules) -> bool:
    """An actor head noun: a listed stem, or (as in present.py) an agent noun that names someone
    ("Исполнитель обязан", "Заказчик обязан", "Поставщик должен"), not an object ("ребенок")."""
    if head_stem(word, r.actor_heads):
        return True
    d = present.for_lang(r)
    return bool(d is not None and present.ru_tag(word).noun and present._ru_head(word, d))


def _first_infinitive(body: str, start: int = 0) -> re.Match | None:
    for w in WORD.finditer(body, start):
        if is_infinitive(w.group(0)):
            return w
    return None


def _ru_dative_start(body: str, r: LangRules, limit: int) -> tuple[int, int] | None:
    """A dative addressee opening the clause ("Министерству ...", "Местным исполнительным органам")."""
    first = WORD.search(body, 0, limit)
    if first is None or body[:first.start()].strip() or not is_dative(first.group(0)):
        return None
    span = _trim(body, 0, min(limit, _first_stop(body, r.actor_stop)))
    if span is None or not _ru_has_head(body[span[0]:span[1]], r):
        return None
    return span


def _ru_phrase_after(body: str, pos: int, r: LangRules) -> tuple[int, int] | None:
    inf = _first_infinitive(body, pos)
    end = min(inf.start() if inf else len(body), _first_stop(body, r.actor_stop + r.actor_stop_phrase, pos))
    return _trim(body, pos, end)


def _ru_subject_before(body: str, pos: int, r: LangRules) -> tuple[int, int] | None:
    """The subject of a modal ("... обязаны", "... должен"): the nominative actor noun nearest
    before the trigger, widened over its adjectives and coordinated nouns on the left
    ("Юридические лица и индивидуальные предприниматели") and its genitive complements on the
    right ("Оператор расширенных обязательств производителей (импортеров)")."""
    words = list(WORD.finditer(body, 0, pos))
    idx = next((i for i in range(len(words) - 1, -1, -1)
                if _ru_actor_word(words[i].group(0), r) and is_nominative(words[i].group(0))), None)
    if idx is None:
        return None
    left = idx
    i = idx - 1
    while i >= 0:
        w = words[i].group(0)
        gap = body[words[i].end():words[left].start()]
        if re.search(r"[,;:—–()]", gap) and w.lower() not in ("и", "или"):
            break
        def widens(t: str) -> bool:  # an adjective, or another actor noun ("лица и ... предприниматели")
            return is_adjective_nom(t) or (_ru_actor_word(t, r) and is_nominative(t))

        if w.lower() in ("и", "или") and i > 0 and widens(words[i - 1].group(0)):
            i -= 1
            continue
        if widens(w):
            left = i
            i -= 1
            continue
        break
    stops = r.actor_stop + r.actor_stop_phrase
    stop = min(pos, _first_stop(body, stops, words[idx].end()))
    right = words[idx].end()
    for w in WORD.finditer(body, words[idx].end(), stop):
        gap = body[right:w.start()]
        if gap.strip(" ()") or not is_genitive(w.group(0)):
            break
        right = w.end()
    if body[right:right + 1] == ")" and "(" in body[words[left].start():right]:
        right += 1
    return _trim(body, words[left].start(), right)


_KK_PARTICIPLE = _KK["participle"]


def _kk_heads(body: str, r: LangRules, end: int, start: int = 0):
    d = present.for_lang(r)
    for w in WORD.finditer(body, start, end):
        case = kk_head_case(w.group(0), r.actor_heads, r.actor_case_excluded)
        if case is None and d is not None and present._kk_agent_noun(w.group(0), d):
            case = "nom"  # an agent noun in -шы/-ші names an actor too ("Өтініш беруші ... міндетті")
        # "уәкілетті орган бекіткен тізбе": the agent of a participle is not the subject
        if case and not _KK_PARTICIPLE.match(body, w.end()):
            yield w, case


_KK_MODIFIER = _KK["modifier"]
_KK_OBJECT = _KK["object"]
_KK_CONNECT = _KK["connect"]


def _kk_np_end(body: str, heads: list, end: int) -> int | None:
    """End of the subject phrase: the first head, extended over coordinated heads
    ("... министрлігі, ... министрлігі, ... әкімдіктері") until an object word intervenes."""
    if not heads:
        return None
    last = heads[0][0]
    for w, _case in heads[1:]:
        gap = body[last.end():w.start()]
        words = [x.group(0) for x in WORD.finditer(gap)]
        if not _KK_CONNECT.search(gap) or any(x[0].islower() and _KK_OBJECT.search(x) for x in words):
            break
        last = w
    return last.end()


def _stop_end(body: str, pats: list[re.Pattern], at: int) -> int:
    ends = [m.end() for p in pats for m in [p.match(body, at)] if m]
    return max(ends) if ends else at + 1


def _kk_subject_before(body: str, pos: int, r: LangRules) -> tuple[int, int] | None:
    """The subject phrase: heads before the first stop; when a condition or date comes first
    ("... анықталған кезде, ... операторы ... міндетті"), the heads after it."""
    a = 0
    stops = _Stops(body, r.actor_stop)
    while a < pos:
        budget.check()
        end = min(pos, stops.first(a))
        heads = list(_kk_heads(body, r, end, a))
        np_end = _kk_np_end(body, heads, end)
        if np_end:
            return _trim(body, a, np_end)
        a = _stop_end(body, r.actor_stop, end)
    return None


def _kk_dative_before(body: str, pos: int, r: LangRules) -> tuple[int, int] | None:
    lead = 0  # "Осы шешімнің орындалуын бақылау ... жүктелсін": a stop word may open the clause
    stops = _Stops(body, r.actor_stop)
    while lead < pos and stops.first(lead) == lead:
        budget.check()
        lead = _stop_end(body, r.actor_stop, lead)
    end = min(pos, stops.first(lead) if lead < pos else pos)
    words = list(WORD.finditer(body, 0, end))
    heads = list(_kk_heads(body, r, end))
    if heads:
        # the addressee opens the clause when only names and modifiers precede its head
        # ("«Алматы», ... аудандары әкімдеріне"), not an object ("... орындалуын бақылау ...")
        before = [w.group(0) for w in words if w.start() < heads[0][0].start()]
        opens = all(t[0].isupper() or _KK_MODIFIER.search(t) for t in before)
        dat = [h for h in heads if h[1] == "dat"]
        if opens and dat:
            return _trim(body, 0, _kk_np_end(body, dat, end))
    # a name in the dative right before the verb: "... орынбасары А.К. Қайсағалиевқа жүктелсін"
    if not words or not (is_kk_dative(words[-1].group(0)) and
                         (words[-1].group(0)[0].isupper() or kk_head_case(words[-1].group(0), r.actor_heads, r.actor_case_excluded) == "dat")):
        return None
    last = words[-1]
    a = last.start()
    for w in reversed(words[:-1]):
        t = w.group(0)
        if t[0].isupper() or head_stem(t, r.actor_heads) or _KK["name"].search(t):
            a = w.start()
        else:
            break
    return _trim(body, a, last.end())


def _find_actor(kind: str, body: str, m: re.Match | None, lang: str, r: LangRules, verb_pos: int):
    pos = m.start() if m else verb_pos
    if kind == "none":
        return None, "impersonal: the text names no actor"
    if kind == "after_trigger":
        span = _ru_phrase_after(body, m.end(), r)
    elif kind == "after_na":
        span = _trim(body, m.end(), _first_stop(body, r.actor_stop, m.end()))
    elif kind == "dative_start":
        span = _ru_dative_start(body, r, pos) if lang == "ru" else _kk_dative_before(body, pos, r)
    elif kind == "subject_before":
        span = _ru_subject_before(body, pos, r) if lang == "ru" else _kk_subject_before(body, pos, r)
    elif kind == "dative_before":
        span = _kk_dative_before(body, pos, r) if lang == "kk" else _ru_dative_start(body, r, pos)
    else:
        span = None
    if span is None:
        before = body[:pos].strip()
        return None, ("no actor named before the trigger" if not before
                      else f"no identifiable actor in {before[:60]!r}")
    return span, None


# --- triggers -----------------------------------------------------------------------------------

def _excluded(body: str, r: LangRules) -> bool:
    b = _untrail(body)
    return any(p.search(b) for p in r.exclude) or any(p.search(b) for p in r.enacting)


def _match_trigger(body: str, r: LangRules, lang: str):
    """First trigger that fires on the clause: (trigger, match or None, verb position)."""
    core = _untrail(body)
    text_end = len(core.rstrip())
    for t in r.triggers:
        if t.pattern is None:  # RU: dative addressee + infinitive
            inf = _first_infinitive(core)
            if inf and _ru_dative_start(core, r, inf.start()):
                return t, None, inf.start()
            continue
        for m in t.pattern.finditer(core):
            if t.final and m.end() < text_end:  # words follow it
                continue
            return t, m, m.start()
    return None


def _split_actions(body: str, a: int, b: int, lang: str, r: LangRules, t: Trigger | None = None) -> list[tuple[int, int]]:
    coordination = t.coordination if t is not None and t.coordination is not None else r.coordination
    if coordination is None or a >= b:
        return [(a, b)] if a < b else []
    cuts = [a]
    words = WORD.finditer(body, a, b)  # the words before each conjunction, read once
    last_word: re.Match | None = None
    pending: re.Match | None = None
    for m in coordination.finditer(body, a, b):
        budget.check()
        if lang == "ru":
            nxt = WORD.match(body, m.end())
            # the last word between the previous cut and this conjunction
            while True:
                w = pending or next(words, None)
                pending = None
                if w is None:
                    break
                if w.end() > m.start():
                    pending = w
                    break
                if w.start() >= cuts[-1]:
                    last_word = w
            prev = last_word if last_word is not None and last_word.start() >= cuts[-1] else None
            if not nxt or not is_infinitive(nxt.group(0)) or prev is None or is_infinitive(prev.group(0)):
                continue
            cuts += [m.start(), m.end()]
        else:
            cuts += [m.start(), m.end()]
    cuts.append(b)
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
    return [s for s in (_trim(body, x, y) for x, y in spans) if s]


def _analyse(body: str, r: LangRules, lang: str, split: bool = True) -> Found | None:
    if not body.strip() or _excluded(body, r):
        return None
    hit = _match_trigger(body, r, lang)
    if hit is None:
        return None
    t, m, verb = hit
    actor, reason = _find_actor(t.actor, body, m, lang, r, verb)
    if actor is None and t.require_actor:
        return None
    core_end = len(_untrail(body))
    if lang == "ru":
        if t.id.endswith("vozlozhit"):
            act_start, act_end = 0, m.start()
        elif t.pattern is None or t.actor in ("after_trigger",):
            inf = _first_infinitive(body, actor[1] if actor else (m.end() if m else 0))
            act_start, act_end = (inf.start() if inf else (m.end() if m else verb)), core_end
        elif t.actor == "none":
            act_start, act_end = 0, core_end
            if m and not body[:m.start()].strip():
                act_start = m.end()
        else:
            act_start, act_end = (m.end() if m else verb), core_end
    else:
        act_start = actor[1] if actor else 0
        act_end = core_end
    # a deadline opening the action ("операторы дереу, ... мерзімде хабарлауға", "обязан в срок не
    # более трех дней уведомить") is an adverbial shared by the actions, not part of the first one
    dl = _search_first(r.deadline, body, act_start, act_end)
    if dl and not body[act_start:dl[0]].strip(" ,") and dl[1] < act_end:
        act_start = dl[1]
    # so is a condition opening it and closed by a comma ("Егер ... етілмесе, ... жол берілмейді");
    # without the comma the greedy condition span may hold the subject ("Ұңғымаларды бұрғылау ... кезінде")
    cond = _search_first(r.condition, body, act_start, act_end)
    if cond and not body[act_start:cond[0]].strip(" ,") and body[cond[1]:].lstrip(" ").startswith(","):
        act_start = cond[1]
    actions = _split_actions(body, act_start, act_end, lang, r, t) if split else [x for x in [_trim(body, act_start, act_end)] if x]
    texts = None
    before = body[:actor[0]] if actor else ""
    # a condition or deadline before the subject is an adverbial, not a fronted object
    fronted_object = before.strip(" ,") and not _search_first(r.condition + r.deadline, before, 0, len(before))
    if lang == "kk" and actor and fronted_object and len(actions) == 1:
        # "Осы қаулының орындалуын бақылау <actor-ға> жүктелсін": the object stands before the actor
        texts = [_norm(body[:actor[0]]) + " " + _norm(body[actions[0][0]:actions[0][1]])]
    if not actions and not (m and core_end <= m.end() + 1):
        actions = [x for x in [_trim(body, 0, core_end)] if x]
    pre = (actor[1], act_start) if actor and actor[1] < act_start else None
    return Found(t, actor, reason, actions, pre, texts)


# --- fields -------------------------------------------------------------------------------------

_ANCHORS = ("(?<![^,;:])", "(?<!\\S)", "(?<!\\w)")


@lru_cache(maxsize=None)
def _anchored(p: re.Pattern) -> bool:
    return any(a in p.pattern for a in _ANCHORS)


def _search_first(pats: list[re.Pattern], s: str, a: int, b: int) -> tuple[int, int] | None:
    best = None
    for p in pats:
        if _anchored(p):
            # anchored to a word or comma-separated segment start, so that a failed try
            # is not repeated from every position inside it (see obligation_rules.yaml);
            # on the slice, the start of the searched span counts as such a start too
            m = p.search(s[a:b])
            if m and (best is None or m.start() + a < best[0]):
                best = (m.start() + a, m.end() + a)
            continue
        m = p.search(s, a, b)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), m.end())
    return best


def _deadline(doc: Document, lang: str, r: LangRules, base: int, body: str, spans) -> Deadline | None:
    for a, b in spans:
        if a is None:
            continue
        hit = _search_first(r.deadline, body, a, b)
        if hit:
            ds, de = hit
            # the shared words between actor and action end with the verb ("... часов ... обязан")
            for t in r.triggers:
                m = t.pattern.search(body, ds, de) if t.pattern is not None else None
                if m and m.start() > ds:
                    de = m.start()
            if lang == "ru":
                # a deadline ends before the next finite verb ("в течение 30 календарных дней со дня
                # направления запроса уполномоченным органом | направляют ее ...") and the "и" before it
                for w in list(WORD.finditer(body, ds, de))[1:]:
                    if present.ru_tag(w.group(0)).verb:
                        de = w.start()
                        tail = re.search(r"(?:\s+(?:и|а\s+также)|,)\s*$", body[ds:de])
                        de = ds + tail.start() if tail else de
                        break
            seg = body[ds:de].strip(" ,;")
            ds = body.find(seg, ds)
            return _deadline_value(doc, lang, seg, base + ds, base + ds + len(seg))
    return None


def _deadline_value(doc: Document, lang: str, text: str, start: int | None, end: int | None) -> Deadline:
    ents: list[Entity] = []
    if start is not None:
        ents = [e for e in doc.entities if e.type == "date" and e.start < end and start < e.end and e.value]
    if not ents:
        ents = [e for e in adapters.date_entities(text, lang, doc.date) if e.value]
    return parse_deadline(text, lang, doc.date, ents)


def _condition(r: LangRules, body: str, actor: tuple[int, int] | None = None) -> str | None:
    hit = _search_first(r.condition, body, 0, len(body))
    if not hit:
        return None
    a, b = hit
    if actor and a < actor[1] <= b:
        a = actor[1]
    for t in r.triggers:
        m = t.pattern.search(body, a, b) if t.pattern is not None else None
        if m:
            b = m.start()
    return _norm(body[a:b].strip(" ,;:")) or None


def _norm(s: str) -> str:
    return " ".join(s.split())


def _entities(doc: Document, block: Block) -> list[Entity]:
    return doc.entities or block.entities


def _actor(doc: Document, block: Block, body: str, base: int, span, reason) -> tuple[Actor | None, str | None]:
    if span is None:
        return None, reason or "the text names no actor"
    text = _norm(body[span[0]:span[1]])
    if not text:
        return None, reason or "the text names no actor"
    a, b = base + span[0], base + span[1]
    return actors.link(doc, text, block.lang if block.lang in ("kk", "ru") else doc.lang, _entities(doc, block), a, b), None


def _quote(doc: Document, block: Block, a: int, b: int) -> Quote:
    return Quote(text=doc.text[a:b], doc_id=doc.id, block_path=PATH_SEP.join(block.path), start=a, end=b, page=block.page)


def _conventions(doc: Document, block: Block, a: int, b: int) -> list[str]:
    ids = [e.id for e in _entities(doc, block) if e.type == "convention" and e.id and e.start < b and a < e.end]
    return list(dict.fromkeys(ids))


# --- records ------------------------------------------------------------------------------------

def _emit(doc, lang, r, clause: Clause, found: Found, actor_src=None, lead_found=None, lead_body=None,
          lead_base=None, action_prefix: str = "", rule_suffix: str = "") -> list[Obligation]:
    text = doc.text
    body = clause.body(text)
    base = clause.body_start
    if actor_src is not None:
        actor, reason = actor_src
    else:
        actor, reason = _actor(doc, clause.block, body, base, found.actor, found.reason)
    # a sub-point is bound by its lead-in's condition as well as by its own
    conds = [(_condition(r, lead_body, lead_found.actor) if lead_body else None), _condition(r, body, found.actor)]
    cond = "; ".join(dict.fromkeys(c for c in conds if c)) or None
    out = []
    for n, (a, b) in enumerate(found.action):
        action = found.texts[n] if found.texts else _norm(body[a:b])
        if action_prefix:
            action = f"{action_prefix} {action}"
        # in a present-tense Rule, a deadline elsewhere in the clause is shared by its coordinated
        # actions ("устраняет замечания и направляет повторно отчет ... в течение трех рабочих
        # дней") and binds an action it stands before ("В течение пяти дней ... орган направляет")
        # (a modal decision's "собирать ... и представить доклад на втором совещании" keeps its own)
        whole = (0, len(body)) if ".present" in found.trigger.id else (None, None)
        dl = _deadline(doc, lang, r, base, body, [(a, b), found.pre or (None, None), whole])
        if dl is None and lead_found is not None and lead_body is not None:
            dl = _deadline(doc, lang, r, lead_base, lead_body, [(0, len(lead_body))])
        out.append(Obligation(
            actor=actor, actor_reason=reason, action=action, deadline=dl, condition=cond,
            modality=found.trigger.modality, quote=_quote(doc, clause.block, clause.start, clause.end),
            lang=lang, conventions=_conventions(doc, clause.block, clause.start, clause.end),
            rule=found.trigger.id + rule_suffix,
        ))
    return out


def _row(doc: Document, block: Block, lang: str, r: LangRules) -> list[Obligation]:
    if not block.cells or not block.header:
        return []
    cols: dict[str, int] = {}
    for role, pats in r.table.items():
        for i, h in enumerate(block.header):
            if any(p.search(h) for p in pats) and i not in cols.values():
                cols.setdefault(role, i)
                break
    if "action" not in cols or "actor" not in cols or len(block.cells) < len(block.header):
        return []
    action = block.cells[cols["action"]].strip()
    if not action:
        return []
    actor_cell = block.cells[cols["actor"]].strip()
    end = _first_stop(actor_cell, r.actor_stop)
    span = _trim(actor_cell, 0, end)
    actor = reason = None
    if span:
        text = actor_cell[span[0]:span[1]]
        pos = doc.text.find(text, block.start, block.end)
        actor = actors.link(doc, text, lang, _entities(doc, block), pos if pos >= 0 else None,
                            pos + len(text) if pos >= 0 else None)
    else:
        reason = "the row names no responsible body"
    dl = None
    if "deadline" in cols and block.cells[cols["deadline"]].strip():
        dtext = block.cells[cols["deadline"]].strip()
        pos = doc.text.find(dtext, block.start, block.end)
        dl = _deadline_value(doc, lang, dtext, pos if pos >= 0 else None, pos + len(dtext) if pos >= 0 else None)
    return [Obligation(
        actor=actor, actor_reason=reason, action=action, deadline=dl, condition=_condition(r, action),
        modality="duty", quote=_quote(doc, block, block.start, block.end), lang=lang,
        conventions=_conventions(doc, block, block.start, block.end), rule=f"{lang}.plan.table_row",
    )]


def _group(doc, lang, r, lead: Clause, items: list[Clause]) -> list[Obligation] | None:
    """A lead-in ending in ':' and its sub-points: each sub-point is one obligation of the lead-in's actor.

    None when the group carries no trigger; its clauses are then read one by one.
    """
    text = doc.text
    lead_body = lead.body(text)
    if _excluded(lead_body, r):
        return None
    found = _analyse(lead_body, r, lang, split=False)
    prefix = ""
    if found is None and lang == "ru":
        # "Комитету ... в установленном порядке:" — the addressee is given, the verbs are in the items
        span = _ru_dative_start(lead_body, r, len(_untrail(lead_body)))
        if span and _ru_has_head(lead_body[span[0]:span[1]], r):
            found = Found(r.triggers[[t.pattern is None for t in r.triggers].index(True)], span, None, [], None)
    if found is None:
        # Kazakh puts the verb at the very end of the last sub-point ("... әзірлеуге міндетті.")
        last = _untrail(items[-1].body(text))
        hit = _match_trigger(last, r, lang)
        if hit is None or not hit[0].final:
            return None
        t, m, verb = hit
        kind = t.actor
        core = _untrail(lead_body)
        if kind == "none":
            span, reason = None, "impersonal: the text names no actor"
        elif kind == "dative_before":
            span, reason = _kk_dative_before(core, len(core), r), None
        else:
            span, reason = _kk_subject_before(core, len(core), r), None
        if span is None:
            if t.require_actor:
                return []
            reason = reason or "no identifiable actor in the lead-in"
        found = Found(t, span, reason, [], None)
    elif found.action and lang == "ru" and found.trigger.pattern is None:
        prefix = _norm(lead_body[found.action[0][0]:found.action[-1][1]])
    actor = _actor(doc, lead.block, lead_body, lead.body_start, found.actor, found.reason)
    out = []
    for it in items:
        body = it.body(text)
        if _excluded(body, r):
            continue
        core_end = len(_untrail(body))
        span = _trim(body, 0, core_end)
        if span is None:
            continue
        if lang == "ru" and found.trigger.pattern is None and not prefix and not _first_infinitive(body):
            continue
        item_found = Found(found.trigger, None, None, [span], None)
        out += _emit(doc, lang, r, it, item_found, actor_src=actor, lead_found=found, lead_body=lead_body,
                     lead_base=lead.body_start, action_prefix=prefix, rule_suffix=".list")
    return out


class ExtractionTimeout(RuntimeError):
    """Extraction ran past the per-file time budget (KB_PARSE_TIMEOUT_S)."""


def extract(doc: Document, timeout_s: float | None = None, actorless: bool = False) -> list[Obligation]:
    """All obligations of a document, in reading order. Uses doc.entities when tagged.

    An obligation with no identifiable actor is not emitted (issue 12); `actorless=True` keeps
    them (actor null, `actor_reason` set) for tests of how such clauses are read.
    Bounded by the per-file time budget (`timeout_s`, default KB_PARSE_TIMEOUT_S):
    past it, ExtractionTimeout names the document and the limit."""
    if timeout_s is None:
        from kb.config import get_settings

        timeout_s = get_settings().parse_timeout_s
    try:
        with budget.time_budget(timeout_s, "obligation extraction"):
            return _extract(doc, actorless)
    except budget.BudgetExceeded as e:
        raise ExtractionTimeout(f"{doc.source or doc.id}: {e}") from None


def _extract(doc: Document, actorless: bool = False) -> list[Obligation]:
    # the rules read a copy whose Latin look-alikes are Cyrillic again ("кipicтep органдары"),
    # same length, so every offset holds; quotes are cut from the original text at the end
    source = doc
    fixed = repair_script(doc.text)
    if fixed != doc.text:
        blocks = [b.model_copy(update={"text": repair_script(b.text),
                                       "cells": [repair_script(x) for x in b.cells] if b.cells else b.cells})
                  for b in doc.blocks]
        doc = doc.model_copy(update={"text": fixed, "blocks": blocks})
    out = _extract_from(doc, actorless)
    if doc is not source:
        for o in out:
            o.quote.text = source.text[o.quote.start:o.quote.end]
            if o.actor is not None:  # the actor as written too, where it stands on one line
                pos = fixed.find(o.actor.text, max(0, o.quote.start - 3000), o.quote.end + 300)
                if pos >= 0:
                    o.actor.text = source.text[pos:pos + len(o.actor.text)]
    return out


def _extract_from(doc: Document, actorless: bool = False) -> list[Obligation]:
    rules = load_rules()
    if present.applies(doc):
        # abbreviations the act gives an actor ("(далее – МИО)") are actor heads in this act
        rules = {lang: dataclasses.replace(r, actor_heads=[*r.actor_heads, *extra])
                 for lang, r in rules.items() for extra in [present.short_name_heads(doc, lang)]}
    out: list[Obligation] = []
    clauses: list[tuple[str, Clause]] = []
    for block in doc.blocks:
        budget.check()
        lang = _lang_of(doc, block, rules)
        if lang is None:
            continue
        if block.kind == "table_row":
            clauses.append((lang, None))  # a row closes any open lead-in
            out += _row(doc, block, lang, rules[lang])
            continue
        if block.kind == "heading":
            clauses.append((lang, None))
            continue
        for c in _block_clauses(doc, block):
            clauses.append((lang, c))
    present_on = present.applies(doc)
    if present_on:
        clauses = present.lowercase_items(doc.text, clauses)
    i = 0
    while i < len(clauses):
        budget.check()
        lang, c = clauses[i]
        if c is None:
            i += 1
            continue
        r = rules[lang]
        body = c.body(doc.text)
        if body.rstrip().endswith(":") and not c.sub:
            j = i + 1
            while j < len(clauses) and clauses[j][1] is not None and clauses[j][1].sub:
                j += 1
            items = [x for _, x in clauses[i + 1:j]]
            if present_on:
                pj = present.items_end(clauses, i)
                if present.defines_terms(body, r):  # the act's definitions: no duty in them
                    i = max(pj, i + 1)
                    continue
                options = present.items_of(clauses, i, pj)
                if options and present.offers_alternatives(body, lang, r, options[-1].body(doc.text)):
                    # issue 12: "... рекомендует одно из следующих предложений: 1) ...; 2) ...": one duty
                    out += present.alternatives_obligations(doc, lang, r, c, options)
                    i = pj
                    continue
            grouped = _group(doc, lang, r, c, items) if items else None
            if grouped is None and items and present_on:  # issue 12: present-tense lead-ins (present.py)
                j = present.items_end(clauses, i)
                grouped = present.group_obligations(doc, lang, r, c, present.items_of(clauses, i, j))
            if grouped is not None:
                out += grouped
                i = j
                continue
        elif present_on and body.rstrip().endswith(":") and c.sub:  # issue 12: a sub-point lead-in over plain paragraphs
            j = present.items_end(clauses, i, nested=True)
            grouped = present.group_obligations(doc, lang, r, c, present.items_of(clauses, i, j, nested=True),
                                                nested=True) if j > i + 1 else None
            if grouped is not None:
                out += grouped
                i = j
                continue
        found = _analyse(body, r, lang)
        if found is not None and present_on and found.trigger.actor == "after_trigger":
            # a resolution's "рекомендует / просит <кому>" names its addressee after the verb; in
            # Rules the verb's subject stands before it ("Межведомственная комиссия рекомендует
            # компетентному органу ...") and the duty is the subject's
            pres = present.clause_obligations(doc, lang, r, c)
            if pres:
                out += pres
                i += 1
                continue
        if found is not None:
            out += _emit(doc, lang, r, c, found)
        elif present_on:  # issue 12: present-tense duties and agentive passives (present.py)
            out += present.clause_obligations(doc, lang, r, c)
        i += 1
    out.sort(key=lambda o: o.quote.start)
    # issue 12 (bad input): an obligation with no identifiable actor is not emitted, in any kind of
    # act ("запрещается сброс ...", "должен содержаться вывод" bind nobody the register can follow)
    if not actorless:
        out = [o for o in out if o.actor is not None]
    pairing.assign_pair_keys(doc, out)
    return out
