"""Present-tense duties and agentive passives (issue 12, item 1), both languages.

Rules, Codes and Regulations state most duties as plain statements: "Уполномоченный орган
направляет ...", "Уәкілетті орган ... жібереді", "... осуществляется подведомственной
организацией". extract.py calls this module for a clause (or a lead-in with its sub-points) that
no modal / imperative trigger of obligation_rules.yaml claimed.

A clause gives a duty when it has a finite present-tense verb of an identified actor:
- ru: pymorphy3 says VERB, present, 3rd person, indicative; the actor is the nominative subject
  (an actor head noun, kb/data/obligation_rules.yaml ``actor_heads`` + duty_verbs.yaml
  ``extra_heads``), before the verb or right after it ("... осуществляет уполномоченный орган"),
  or, for a passive in -ся, the instrumental agent ("принимается Правительством"); a passive
  with no agent binds nobody and is skipped. Verbs in a subordinate segment ("если ...",
  "который ...") are not the duty's;
- kk: a word ending in the present-future 3rd person (-ады/-еді/-йды/-йді) that closes the clause
  or a coordinated part; the actor is the first nominative actor head outside a condition; a
  passive counts only with "<actor> тарапынан".
Permissions (может, вправе / құқылы, мүмкін), content and limit verbs (содержит, не превышает /
қамтиды, аспайды), definitions and the resolution's own clauses are not duties (duty_verbs.yaml).
Coordinated verbs of one subject ("устраняет замечания и повторно направляет") are one duty each,
with the same quote.

The work per clause is linear in its words (one regex pass, cached morphology per word form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from . import syntax
from .morph import WORD, _morph, head_stem, kk_head_case
from .rules import LangRules

DATA = Path(__file__).resolve().parent.parent / "data" / "duty_verbs.yaml"
# A clause longer than this is no sentence of a Rules act (the longest in the dev acts is 1,262
# characters) but a run of text without stops: it is not read for present-tense duties, so the
# work per document stays linear whatever the input.
MAX_CLAUSE_CHARS = 2000


class DutyVerbsError(ValueError):
    """duty_verbs.yaml is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class DutyRules:
    lang: str
    heads: tuple[str, ...]
    non_duty: frozenset[str]  # ru: lemmas
    non_duty_re: re.Pattern | None  # kk: last words
    permission: tuple[re.Pattern, ...]
    subordinators: frozenset[str]
    prepositions: frozenset[str]
    actor_list: re.Pattern | None
    finite: re.Pattern | None = None
    negative: re.Pattern | None = None
    passive: re.Pattern | None = None
    passive_exceptions: frozenset[str] = frozenset()
    passive_agent: re.Pattern | None = None
    converb_split: re.Pattern | None = None
    converb_keep: frozenset[str] = frozenset()
    coordination: re.Pattern | None = None
    reflexive_active: frozenset[str] = frozenset()
    postpositions: frozenset[str] = frozenset()
    np_modifiers: frozenset[str] = frozenset()
    alternatives: re.Pattern | None = None
    person_heads: frozenset[str] = frozenset()
    oblique_case: re.Pattern | None = None
    alternatives_tail: tuple[re.Pattern, re.Pattern] | None = None  # (lead-in end, last sub-point end)
    izafet_head: re.Pattern | None = None
    izafet_possessive: re.Pattern | None = None
    izafet_modifier_excluded: re.Pattern | None = None
    verbal_noun: re.Pattern | None = None
    verbal_noun_governors: frozenset[str] = frozenset()
    condition_markers: re.Pattern | None = None
    means_markers: frozenset[str] = frozenset()
    agent_suffixes: tuple[str, ...] = ()  # ru: lemma endings of agent nouns ("держатель")
    non_actor: frozenset[str] = frozenset()  # ru: animate lemmas that name no actor
    agent_noun: re.Pattern | None = None  # kk: agent nouns in -шы/-ші
    agent_noun_excluded: re.Pattern | None = None
    ambiguous_heads: frozenset[str] = frozenset()  # kk: heads that also name a thing
    ambiguous_endings: frozenset[str] = frozenset()  # kk: their nominative forms ("", possessive, plural)
    content_tails: frozenset[str] = frozenset()  # kk: "..., онда:" opens the content of the duty's object
    self_reference: re.Pattern | None = None  # "Настоящие Правила ... определяют": the act speaking of itself
    clause_break: re.Pattern | None = None  # kk: ", оның ..." opens a clause of its own
    lexical_participles: frozenset[str] = frozenset()  # kk: "қоршаған (орта)" is no participle
    case_list: re.Pattern | None = None  # "... отказывает в следующих случаях:": the items are conditions
    copulas: frozenset[str] = frozenset()  # kk: "болып", "болатын" after a predicate noun
    instrumental_agent: re.Pattern | None = None  # kk: the ending of a passive's agent ("органмен")
    instrumental_blockers: tuple[str, ...] = ()  # kk: "органмен келісу бойынша" is no agent
    pronouns: frozenset[str] = frozenset()  # kk: "оған", "оның": never part of an actor's name
    definitions_lead: re.Pattern | None = None  # "используются следующие понятия:": its items define terms
    genitive_agent: re.Pattern | None = None  # kk: "X-тің қарауына жатады": X's duty (ru "подлежит рассмотрению X-ом")
    participle: re.Pattern | None = None  # kk: a participle right after a noun ("орган бекіткен")
    passive_participle: re.Pattern | None = None  # kk: the passive ones ("жиналған", "пайдаланылмаған")
    verbal_noun_agent: re.Pattern | None = None  # kk: "X ... қайтаруы ... жүзеге асырылады": X's duty
    verbal_noun_passives: frozenset[str] = frozenset()  # kk: the passives that predicate it ("асырылады")
    passive_verbal_noun: re.Pattern | None = None  # kk: "өтінімнің қаралуы": a patient, not an agent
    passive_lemmas: frozenset[str] = frozenset()  # ru: "подлежит рассмотрению <кем>": a passive, bound to its agent


@dataclass
class Duty:
    """One duty in a clause: spans are offsets into the clause body."""

    actor: tuple[int, int]
    action: tuple[int, int]
    pre: tuple[int, int] | None  # words between the actor and the verb (a shared deadline)
    rule: str


def _re(p: str, where: str) -> re.Pattern:
    try:
        return re.compile(p, re.IGNORECASE | re.UNICODE)
    except re.error as exc:
        raise DutyVerbsError(f"{DATA}: {where}: bad regex {p!r}: {exc}") from exc


@lru_cache(maxsize=4)
def duty_rules(lang: str, base_heads: tuple[str, ...]) -> DutyRules | None:
    try:
        raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DutyVerbsError(f"{DATA}: cannot read: {exc}") from exc
    body = (raw or {}).get(lang)
    if not isinstance(body, dict):
        return None
    heads = tuple(dict.fromkeys([*base_heads, *(h.lower() for h in body.get("extra_heads") or [])]))
    perm = tuple(_re(p, f"{lang}.permission[{i}]") for i, p in enumerate(body.get("permission") or []))
    if lang == "ru":
        return DutyRules(
            lang, heads, frozenset(body.get("non_duty_lemmas") or []), None, perm,
            frozenset(body.get("subordinators") or []), frozenset(body.get("prepositions") or []),
            _re(body["actor_list"], f"{lang}.actor_list") if body.get("actor_list") else None,
            reflexive_active=frozenset(body.get("reflexive_active") or []),
            means_markers=frozenset(w.lower() for w in body.get("means_markers") or []),
            self_reference=_re(body["self_reference"], f"{lang}.self_reference") if body.get("self_reference") else None,
            case_list=_re(body["case_list"], f"{lang}.case_list") if body.get("case_list") else None,
            alternatives=_re(body["alternatives"], f"{lang}.alternatives") if body.get("alternatives") else None,
            agent_suffixes=tuple(body.get("agent_lemma_suffixes") or ()),
            non_actor=frozenset(w.lower() for w in body.get("non_actor_nouns") or []),
            definitions_lead=_re(body["definitions_lead"], f"{lang}.definitions_lead") if body.get("definitions_lead") else None,
            passive_lemmas=frozenset(body.get("passive_lemmas") or []),
        )
    nd = body.get("non_duty") or []
    for key in ("finite", "negative", "passive"):
        if key not in body:
            raise DutyVerbsError(f"{DATA}: {lang}: missing key {key!r}")
    return DutyRules(
        lang, heads, frozenset(), _re(r"(?:^|\s)(?:" + "|".join(nd) + r")$", f"{lang}.non_duty") if nd else None, perm,
        frozenset(), frozenset(),
        _re(body["actor_list"], f"{lang}.actor_list") if body.get("actor_list") else None,
        finite=_re(body["finite"], f"{lang}.finite"), negative=_re(body["negative"], f"{lang}.negative"),
        passive=_re(body["passive"], f"{lang}.passive"),
        passive_exceptions=frozenset(w.lower() for w in body.get("passive_active_exceptions") or []),
        passive_agent=_re(body["passive_agent"], f"{lang}.passive_agent") if body.get("passive_agent") else None,
        converb_split=_re(body["converb_split"], f"{lang}.converb_split") if body.get("converb_split") else None,
        converb_keep=frozenset(body.get("converb_keep") or []),
        coordination=_re(body["coordination"], f"{lang}.coordination") if body.get("coordination") else None,
        postpositions=frozenset(body.get("postpositions") or []),
        np_modifiers=frozenset(w.lower() for w in body.get("np_modifiers") or []),
        alternatives=_re(body["alternatives"], f"{lang}.alternatives") if body.get("alternatives") else None,
        alternatives_tail=tuple(_re(x.strip(), f"{lang}.alternatives_tail") for x in body["alternatives_tail"].split(" || "))
        if body.get("alternatives_tail") else None,
        izafet_head=_re(body["izafet_head"], f"{lang}.izafet_head") if body.get("izafet_head") else None,
        izafet_possessive=_re(body["izafet_possessive"], f"{lang}.izafet_possessive") if body.get("izafet_possessive") else None,
        izafet_modifier_excluded=_re(body["izafet_modifier_excluded"], f"{lang}.izafet_modifier_excluded")
        if body.get("izafet_modifier_excluded") else None,
        verbal_noun=_re(body["verbal_noun"], f"{lang}.verbal_noun") if body.get("verbal_noun") else None,
        verbal_noun_governors=frozenset(w.lower() for w in body.get("verbal_noun_governors") or []),
        condition_markers=_re(r"\b(?:" + "|".join(body["condition_markers"]) + r")\b", f"{lang}.condition_markers")
        if body.get("condition_markers") else None,
        agent_noun=_re(body["agent_noun"], f"{lang}.agent_noun") if body.get("agent_noun") else None,
        agent_noun_excluded=_re(body["agent_noun_excluded"], f"{lang}.agent_noun_excluded")
        if body.get("agent_noun_excluded") else None,
        ambiguous_heads=frozenset(w.lower() for w in body.get("ambiguous_heads") or []),
        person_heads=frozenset(w.lower() for w in body.get("person_heads") or []),
        oblique_case=_re(body["oblique_case"], f"{lang}.oblique_case") if body.get("oblique_case") else None,
        ambiguous_endings=frozenset(body.get("ambiguous_endings") or [""]),
        content_tails=frozenset(" ".join(str(w).lower().split()) for w in body.get("content_tails") or []),
        self_reference=_re(body["self_reference"], f"{lang}.self_reference") if body.get("self_reference") else None,
        case_list=_re(body["case_list"], f"{lang}.case_list") if body.get("case_list") else None,
        clause_break=_re(body["clause_break"], f"{lang}.clause_break") if body.get("clause_break") else None,
        lexical_participles=frozenset(w.lower() for w in body.get("lexical_participles") or []),
        copulas=frozenset(w.lower() for w in body.get("copulas") or []),
        instrumental_agent=_re(body["instrumental_agent"], f"{lang}.instrumental_agent")
        if body.get("instrumental_agent") else None,
        instrumental_blockers=tuple(w.lower() for w in body.get("instrumental_blockers") or []),
        pronouns=frozenset(w.lower() for w in body.get("pronouns") or []),
        definitions_lead=_re(body["definitions_lead"], f"{lang}.definitions_lead") if body.get("definitions_lead") else None,
        genitive_agent=_re(body["genitive_agent"], f"{lang}.genitive_agent") if body.get("genitive_agent") else None,
        participle=_re(r"\s*\w+(?:" + "|".join(body["participle_endings"]) + r")\b", f"{lang}.participle_endings")
        if body.get("participle_endings") else None,
        passive_participle=_re(body["passive_participle"], f"{lang}.passive_participle")
        if body.get("passive_participle") else None,
        verbal_noun_agent=_re(body["verbal_noun_agent"], f"{lang}.verbal_noun_agent")
        if body.get("verbal_noun_agent") else None,
        means_markers=frozenset(w.lower() for w in body.get("means_markers") or []),
        verbal_noun_passives=frozenset(w.lower() for w in body.get("verbal_noun_passives") or []),
        passive_verbal_noun=_re(body["passive_verbal_noun"], f"{lang}.passive_verbal_noun")
        if body.get("passive_verbal_noun") else None,
    )


@lru_cache(maxsize=4)
def rules_title(key: str = "rules_title") -> re.Pattern | None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8")) or {}
    return _re(raw[key], key) if raw.get(key) else None


def short_name_heads(doc, lang: str) -> list[str]:
    """Abbreviations an act gives a body or role ("местные исполнительные органы приграничных
    областей (далее – МИО)", "... органдары (бұдан әрі – ЖАО)"): actor heads in that act, so "МИО
    обеспечивают ..." is a duty. Only names that link to an agency or role count
    (actors.local_names): "Всемирная торговая организация (далее – ВТО)" binds nobody here."""
    from .actors import is_abbreviation, local_names

    return list(dict.fromkeys(short.lower() for lg, short, _ in local_names(doc) if lg == lang and is_abbreviation(short)))


def for_lang(r: LangRules) -> DutyRules | None:
    return duty_rules(r.lang, tuple(r.actor_heads))


def permitted(body: str, d: DutyRules) -> bool:
    """A permission ("вправе", "құқылы"), or the act speaking of itself ("Настоящие Правила
    определяют порядок ...", "Осы ... қағидалары ... айқындайды"): no duty either way."""
    return any(p.search(body) for p in d.permission) or bool(d.self_reference and d.self_reference.search(body))


# --- Russian ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuTag:
    verb: bool  # finite present, 3rd person, indicative
    plural: bool | None
    reflexive: bool
    lemma: str
    nom: bool  # can be nominative (noun / adjective / participle)
    ins: bool  # can be instrumental
    adj: bool  # adjective / participle / pronoun (widens a noun phrase)
    gen: bool
    prep: bool
    noun: bool = True  # has a noun reading (a head must be a noun: not "центральный")
    ablt_adj: bool = False  # an adjective / participle that can be instrumental


@lru_cache(maxsize=100000)
def ru_tag(word: str) -> RuTag:
    w = word.lower()
    parses = _morph().parse(w)[:3]
    p0 = parses[0]
    t0 = p0.tag
    # a biaspectual verb ("организует", "исследует") is read first as a perfective future:
    # its imperfective present reading, when pymorphy3 has one, is the one a Rule means
    pres = [p.tag for p in parses if p.tag.POS == "VERB" and "pres" in p.tag and "3per" in p.tag and "indc" in p.tag]
    verb = t0.POS == "VERB" and bool(pres)
    t0 = pres[0] if verb else t0
    if re.fullmatch(r"[А-ЯЁA-Z]{2,}", word):  # abbreviations: МЧС, МИД
        return RuTag(False, None, False, w, True, True, False, True, False, True)
    return RuTag(
        verb=verb,
        plural=("plur" in t0) if verb else None,
        reflexive=verb and w.endswith(("ся", "сь")),
        lemma=p0.normal_form,
        nom=any("nomn" in p.tag and p.tag.POS in {"NOUN", "ADJF", "PRTF", "NPRO"} for p in parses),
        ins=any("ablt" in p.tag and p.tag.POS in {"NOUN", "ADJF", "PRTF"} for p in parses),
        adj=any(p.tag.POS in {"ADJF", "PRTF", "NPRO"} for p in parses[:2]),
        gen=any("gent" in p.tag and p.tag.POS in {"NOUN", "ADJF", "PRTF", "NUMR"} for p in parses[:2]),
        prep=t0.POS == "PREP",
        noun=any(p.tag.POS == "NOUN" for p in parses),
        ablt_adj=any("ablt" in p.tag and p.tag.POS in {"ADJF", "PRTF"} for p in parses),
    )


@lru_cache(maxsize=50000)
def _ru_pronoun(word: str) -> bool:
    """A pronoun-noun ("что", "чего", "он", "их"): never part of an actor's name."""
    return _morph().parse(word.lower())[0].tag.POS == "NPRO"


@lru_cache(maxsize=50000)
def _participle_not_ins(word: str) -> bool:
    """A participle that cannot agree with an instrumental noun after it."""
    ps = _morph().parse(word.lower())[:3]
    return ps[0].tag.POS == "PRTF" and not any("ablt" in p.tag for p in ps if p.tag.POS == "PRTF")


@lru_cache(maxsize=50000)
def _nom_numbers(word: str) -> frozenset[str]:
    """Numbers ('sing', 'plur') the word can have in the nominative ("организации": plur)."""
    out = set()
    for p in _morph().parse(word.lower())[:4]:
        if "nomn" in p.tag:
            out |= {n for n in ("sing", "plur") if n in p.tag}
    return frozenset(out)


def _ru_segments(core: str, words: list[re.Match], d: DutyRules) -> list[bool]:
    """For each word: True when it sits in a subordinate segment (a subordinator up to the next
    comma) or inside parentheses ("(далее – заявитель)")."""
    out, sub, depth = [], False, 0
    for i, w in enumerate(words):
        gap = core[words[i - 1].end():w.start()] if i else core[:w.start()]
        depth = max(0, depth + gap.count("(") - gap.count(")"))
        if i and re.search(r"[,;:()]", gap):
            sub = False
        if w.group(0).lower() in d.subordinators:
            sub = True
        out.append(sub or depth > 0)
    return out


def _ru_np(core: str, words: list[re.Match], i: int, d: DutyRules, case: str) -> tuple[int, int]:
    """The noun phrase around the head words[i]: adjectives on the left, genitive complements and
    "в области / в сфере ..." on the right."""
    left = i
    while left > 0:
        prev = words[left - 1]
        gap = core[prev.end():words[left].start()]
        t = ru_tag(prev.group(0))
        # a pronoun ends the phrase: "после чего аттестационная комиссия ..." names no "чего"
        if gap.strip(" -") or not t.adj or t.verb or t.prep or _ru_pronoun(prev.group(0)):
            break
        left -= 1
    # coordinated actors on the left: "Государственные органы Республики Казахстан и субъекты ..."
    steps = 0
    while left > 1 and steps < 4:  # bounded: a run of coordinated actors stays linear
        steps += 1
        gap = core[words[left - 1].end():words[left].start()]
        conj = words[left - 1].group(0).lower() in ("и", "или")
        also = (left > 2 and words[left - 1].group(0).lower() == "также" and words[left - 2].group(0).lower() == "а")
        if not conj and not also and not (gap.strip() == "," and case == "nom"):
            break
        k = left - 2 if conj else left - 3 if also else left - 1
        if also and re.search(r"[^\s,]", core[words[k].end():words[left - 2].start()]):
            break
        stop = max(-1, k - 8)
        found = None
        while k > stop:
            w = words[k].group(0)
            t = ru_tag(w)
            if t.verb or t.prep or w.lower() in d.subordinators or re.search(r"[;:()]", core[words[k].end():words[k + 1].start()]):
                break
            if _ru_head(w, d) and (t.nom if case == "nom" else t.ins):
                found = k
                break
            if not (t.gen or t.adj or w[0].isupper()):
                break
            k -= 1
        if found is None:
            break
        left = found
        while left > 0:
            prev = words[left - 1]
            t = ru_tag(prev.group(0))
            if core[prev.end():words[left].start()].strip(" -") or not t.adj or t.verb or t.prep \
                    or _ru_pronoun(prev.group(0)):
                break
            left -= 1
    right = i
    j = i + 1
    while j < len(words):
        gap = core[words[j - 1].end():words[j].start()]
        if gap.strip(" ()-–"):
            break
        w = words[j].group(0)
        lw = w.lower()
        if lw in ("в", "по") and j + 1 < len(words) and words[j + 1].group(0).lower() in (
                "области", "сфере", "сферах", "вопросам", "делам", "исполнению", "управлению", "регулированию"):
            j += 2
            right = j - 1
            continue
        t = ru_tag(w)
        if t.verb or t.prep or lw in d.subordinators or not t.gen or lw in ("и", "или"):
            break
        if d.actor_list is not None and d.actor_list.match(lw):
            break  # "организацией следующих мероприятий:": the list is of objects, not part of the name
        right = j
        j += 1
        if j - i > 12:
            break
    if case == "nom":
        right = _ru_coactors_right(core, words, right, d)
    return words[left].start(), words[right].end()


def _ru_coactors_right(core: str, words: list[re.Match], right: int, d: DutyRules) -> int:
    """Co-actors after the actor phrase ("Уполномоченный орган и местные исполнительные органы
    совместно разрабатывают", "... органы, а также субъекты ... представляют"): the phrase runs on
    over each coordinated nominative actor (adjectives, head, genitive complements)."""
    for _ in range(3):  # bounded: a run of co-actors stays linear
        j = right + 1
        if j >= len(words) or re.search(r"[;:()]", core[words[right].end():words[j].start()]):
            break
        w = words[j].group(0).lower()
        if w in ("и", "или"):
            j += 1
        elif w == "а" and j + 1 < len(words) and words[j + 1].group(0).lower() == "также":
            j += 2
        else:
            break
        found = None
        for k in range(j, min(len(words), j + 6)):
            t = ru_tag(words[k].group(0))
            if t.verb or t.prep or re.search(r"[,;:()]", core[words[k - 1].end():words[k].start()]):
                break
            if _ru_head(words[k].group(0), d) and t.nom and t.noun:
                found = k
                break
            if not t.adj:
                break
        if found is None:
            break
        right = found
        for m in range(found + 1, min(len(words), found + 8)):
            t = ru_tag(words[m].group(0))
            if core[words[m - 1].end():words[m].start()].strip() or t.verb or t.prep or not t.gen \
                    or words[m].group(0).lower() in ("и", "или") or words[m].group(0).lower() in d.subordinators:
                break
            right = m
    return right


def _ru_head(word: str, d: DutyRules) -> bool:
    return bool(head_stem(word, list(d.heads))) or _ru_agent_noun(word.lower(), d) or _ru_compound_head(word.lower(), d.heads)


@lru_cache(maxsize=50000)
def _ru_compound_head(w: str, heads: tuple[str, ...]) -> bool:
    """A compound noun whose second part is an actor head ("загранучреждения", "госорганы"):
    a long listed stem (>= 5 letters) that ends the word's lemma after a prefix of >= 3 letters."""
    if len(w) < 8:
        return False
    for p in _morph().parse(w)[:1]:
        if p.tag.POS != "NOUN":
            return False
        lemma = p.normal_form
        for h in heads:
            if len(h) >= 5 and not h.startswith(("\\",)) and h.isalpha():
                k = lemma.find(h, 3)
                if k >= 3 and len(lemma) - k - len(h) <= 3:
                    return True
    return False


@lru_cache(maxsize=50000)
def _ru_agent_noun_cached(w: str, suffixes: tuple[str, ...], non_actor: frozenset[str]) -> bool:
    for p in _morph().parse(w)[:2]:
        t = p.tag
        if t.POS != "NOUN" or {"Name", "Surn", "Patr", "Geox", "Orgn", "Abbr"} & t.grammemes:
            continue
        if p.normal_form in non_actor:
            return False
        if "anim" in t or p.normal_form.endswith(suffixes):
            return True
    return False


def _ru_agent_noun(w: str, d: DutyRules) -> bool:
    """A noun naming someone who can act though no listed stem names it: animate ("обладатели",
    "поставщик") or an agent noun ("держатель"), not a name or a listed non-actor ("животное")."""
    return bool(d.agent_suffixes) and _ru_agent_noun_cached(w, d.agent_suffixes, d.non_actor)


def _preceded_by_prep(words: list[re.Match], i: int, d: DutyRules, core: str, case: str = "nom") -> bool:
    """A preposition before the noun phrase (over its agreeing adjectives): "в государственные органы".
    ("При этом эксплуатирующая организация": "этом" does not agree, so "При" is not the head's.)"""
    j = i - 1
    while j >= 0:
        w = words[j].group(0)
        if re.search(r"[,;:]", core[words[j].end():words[j + 1].start()]):
            return False
        if w.lower() in d.prepositions:
            return True
        t = ru_tag(w)
        if not t.adj or (case == "nom" and not t.nom) or (case == "ins" and not t.ablt_adj):
            return False
        j -= 1
    return False


def _np_left(words: list[re.Match], i: int, core: str) -> int:
    j = i
    while j > 0:
        t = ru_tag(words[j - 1].group(0))
        if core[words[j - 1].end():words[j].start()].strip(" -") or not t.adj or t.verb or t.prep:
            break
        j -= 1
    return j


def _ru_subject(core, words, tags, sub, v: int, d: DutyRules, want_plural: bool | None):
    """Index of the nominative actor head: nearest before the verb in a main segment, else right after it."""
    def ok(i: int) -> bool:
        w = words[i].group(0)
        if (sub[i] or not _ru_head(w, d) or not tags[i].nom or not tags[i].noun or tags[i].verb
                or _preceded_by_prep(words, i, d, core)):
            return False
        if want_plural is not None and not re.fullmatch(r"[А-ЯЁA-Z]{2,}", w):
            nums = _nom_numbers(w)
            coordinated = want_plural and re.search(r"\b(?:и|или)\b", core[words[max(0, i - 6)].start():words[i].start()])
            if nums and ("plur" if want_plural else "sing") not in nums and not coordinated:
                return False
        return True

    for i in range(v - 1, -1, -1):
        if tags[i].verb and not sub[i]:
            return -1 - i  # an earlier main verb: the caller gives its subject (coordination)
        if ok(i):
            return i
    for i in range(v + 1, min(len(words), v + 8)):
        if tags[i].verb or re.search(r"[,;:]", core[words[i - 1].end():words[i].start()]):
            break
        if ok(i):
            return i
    return None


def _ru_agent(core, words, tags, sub, v: int, d: DutyRules):
    """Index of the instrumental actor head of a passive: after the verb, else before it."""
    def ok(i: int) -> bool:
        w = words[i].group(0)
        if not (not sub[i] and _ru_head(w, d) and tags[i].ins and tags[i].noun and not tags[i].verb
                and not _preceded_by_prep(words, i, d, core, "ins")):
            return False
        left = _np_left(words, i, core)
        # the first of coordinated agents ("уполномоченным органом ... или исполнительным органом")
        # stands where the checks below look
        for _ in range(3):
            if left < 2 or words[left - 1].group(0).lower() not in ("и", "или", "либо"):
                break
            prev_head = next((k for k in range(left - 2, max(-1, left - 9), -1)
                              if tags[k].ins and tags[k].noun and _ru_head(words[k].group(0), d)), None)
            if prev_head is None:
                break
            left = _np_left(words, prev_head, core)
        # "проводимой заявителем деятельности", "предоставленная органами информация": a participle's agent
        if any(_participle_not_ins(words[k].group(0)) for k in range(max(0, left - 1), i)):
            return False
        if left and not core[words[left - 1].end():words[left].start()].strip():
            pt = ru_tag(words[left - 1].group(0))
            # a deverbal noun's agent: after the verb "в целях контроля уполномоченным органом";
            # before it "Непредоставление холдингом ... является"
            if pt.noun and not pt.adj and not pt.verb and (pt.gen if i > v else (pt.nom and not pt.gen)):
                # ... unless the deverbal noun is the passive's means: "осуществляется путем
                # организации и проведения подведомственной организацией ..." binds that organisation
                if not (i > v and any(words[k].group(0).lower() in d.means_markers for k in range(v + 1, left))):
                    return False
        return True

    for i in range(v + 1, len(words)):
        if (tags[i].verb and not sub[i]) or re.search(r"[,;:]", core[words[i - 1].end():words[i].start()]):
            break
        if ok(i):
            return i
    for i in range(v - 1, -1, -1):
        if (tags[i].verb and not sub[i]) or re.search(r"[,;:]", core[words[i].end():words[i + 1].start()]):
            break
        if ok(i):
            return i
    # an agent that opens the sentence, set off from the verb by commas ("Физическими и
    # юридическими лицами, являющимися нанимателями, в случае ..., отчеты ... представляются"):
    # the instrumental is then the passive's agent when no other main verb stands between them
    first = next((i for i in range(min(v, 4)) if tags[i].noun), None)
    if first is not None and ok(first) and not any(tags[k].verb and not sub[k] for k in range(first + 1, v)):
        return first
    return None


def _ru_syntax(core, words, tags, deps, v: int, d: DutyRules, actor_of: dict):
    """The parse's reading of verb v: ((actor span, rule)) when it names an actor subject / agent,
    ((None, rule)) when it names a subject that is no actor ("Правила определяют"), None when it
    says nothing (morphology decides)."""
    kids = [i for i, dp in enumerate(deps) if dp.head == v]
    passive = tags[v].reflexive and tags[v].lemma not in d.reflexive_active
    if passive:
        for i in kids:
            if deps[i].rel.startswith("obl") and tags[i].ins and tags[i].noun and _ru_head(words[i].group(0), d) \
                    and not _preceded_by_prep(words, i, d, core, "ins"):
                return _ru_np(core, words, i, d, "ins"), "ru.present.passive_agent.syntax"
        return None
    subj = [i for i in kids if deps[i].rel in ("nsubj", "nsubj:pass")]
    for i in subj:
        if _ru_head(words[i].group(0), d) and tags[i].nom and tags[i].noun:
            return _ru_np(core, words, i, d, "nom"), "ru.present.active.syntax"
    if subj and all(tags[i].noun and not _ru_head(words[i].group(0), d) for i in subj):
        if all(i > v for i in subj):
            return None  # "... органы ... представляют данные": an object the parse read as subject
        return None, "ru.present.no_actor"
    if not subj and deps[v].rel == "conj" and deps[v].head in actor_of:
        return actor_of[deps[v].head], "ru.present.active.syntax"
    return None


def ru_duties(core: str, d: DutyRules) -> list[Duty]:
    if permitted(core, d):
        return []
    words = list(WORD.finditer(core))
    if not words:
        return []
    tags = [ru_tag(w.group(0)) for w in words]
    sub = _ru_segments(core, words, d)
    verbs = [i for i, t in enumerate(tags) if t.verb and not sub[i] and (t.lemma not in d.non_duty or t.lemma in d.passive_lemmas)
             and not (i and words[i - 1].group(0).lower() == "не")]
    found: list[tuple[int, tuple[int, int], str]] = []  # verb index, actor span, rule
    actor_of: dict[int, tuple[int, int]] = {}
    # the parse only matters where two actor nouns compete for a verb; elsewhere morphology is enough
    heads = sum(1 for i, w in enumerate(words) if (tags[i].nom or tags[i].ins) and tags[i].noun and _ru_head(w.group(0), d))
    deps = syntax.parse(core, words) if verbs and heads >= 2 else None
    for v in verbs:
        passive_lemma = tags[v].lemma in d.passive_lemmas
        if deps is not None and not passive_lemma:
            hit = _ru_syntax(core, words, tags, deps, v, d, actor_of)
            if hit is not None:
                if hit[0] is not None:
                    actor_of[v] = hit[0]
                    found.append((v, hit[0], hit[1]))
                continue
        if (tags[v].reflexive and tags[v].lemma not in d.reflexive_active) or passive_lemma:
            a = _ru_agent(core, words, tags, sub, v, d)
            if a is None:
                continue  # "проект выносится на рассмотрение": no agent, nobody is bound
            span, rule = _ru_np(core, words, a, d, "ins"), "ru.present.passive_agent"
        else:
            a = _ru_subject(core, words, tags, sub, v, d, tags[v].plural)
            rule = "ru.present.active"
            if a is None:
                continue
            if a < 0:  # coordinated with an earlier verb: "устраняет замечания и повторно направляет"
                prev = -1 - a
                if prev not in actor_of or not re.search(r"(?:,|\bи\b|\bа\s+также\b|\bлибо\b|\bили\b)", core[words[prev].end():words[v].start()]):
                    continue
                if found and found[-1][0] == prev and (
                        re.search(r"\b(?:либо|или)\s*$", core[words[prev].end():words[v].start()])
                        or re.fullmatch(r"\s*(?:,|\s+и)?\s*", core[words[prev].end():words[v].start()])):
                    # "направляют замечания либо сообщают ..." (alternatives) and "отрабатывает и
                    # составляет ответы" (one object for both verbs) are one duty
                    # "направляют замечания либо сообщают об их отсутствии": alternatives, one duty
                    actor_of[v] = actor_of[prev]
                    continue
                span = actor_of[prev]
            else:
                span = _ru_np(core, words, a, d, "nom")
        actor_of[v] = span
        found.append((v, span, rule))
    out = []
    for n, (v, actor, rule) in enumerate(found):
        start = words[v].start()
        end = len(core)
        if n + 1 < len(found):
            nxt = found[n + 1]
            nstart = min(words[nxt[0]].start(), nxt[1][0]) if nxt[1][0] > start else words[nxt[0]].start()
            end = nstart
            m = re.search(r"(?:,?\s*(?:и|а\s+также)\s*|,\s*)$", core[start:end])
            if m:
                end = start + m.start()
            # words of the next verb's own subject ("... , а орган X направляет") stay with it
        if rule == "ru.present.passive_agent" or actor[0] > start:
            start = 0 if n == 0 else start  # passive / inverted: the object stands before the verb
        pre = (actor[1], words[v].start()) if actor[1] < words[v].start() else None
        out.append(Duty(actor, (start, end), pre, rule))
    return out


# --- Kazakh -------------------------------------------------------------------------------------

_NEVER = re.compile(r"(?!)")  # a cue the data file leaves out matches nothing


def _kk_verb_ok(word: str, tail: str, d: DutyRules) -> bool:
    w = word.lower()
    if not d.finite.search(w) or d.negative.search(w):
        return False
    if d.non_duty_re and d.non_duty_re.search(tail.lower()):
        return False
    return True


def kk_duties(core: str, d: DutyRules, r: LangRules, conditions: list[tuple[int, int]]) -> list[Duty]:
    if permitted(core, d):
        return []
    words = list(WORD.finditer(core))
    if not words:
        return []
    if d.genitive_agent is not None:
        # "Шағым ... бес жұмыс күні ішінде көрсетілетін қызметті берушінің қарауына жатады": the
        # genitive names who must act (ru "подлежит рассмотрению услугодателем")
        m = d.genitive_agent.search(core)
        k = next((i for i, w in enumerate(words) if m and w.start() == m.start("agent")), None)
        if k is not None and head_stem(_kk_fold(words[k].group(0)), list(d.heads)):
            a, b = _kk_np(core, words, k, d, r)
            first = words[0]
            if a == first.start() and k > 0 and not head_stem(_kk_fold(first.group(0)), list(d.heads)) \
                    and _kk_fold(first.group(0)) not in d.np_modifiers and not re.search(
                        r"(?:ті|ты|лы|лі|лық|лік|дық|дік|тық|тік|ғы|гі|қы|кі|ның|нің|дың|дің|тың|тің|ған|ген|атын|етін)$",
                        _kk_fold(first.group(0))):
                a = words[1].start()  # "Өтінім конкурстық комиссияның ...": the subject opens the clause, not the name
            return [Duty((a, b), (0, len(core.rstrip(" .;"))), None, "kk.present.passive_agent")]
    # finite verbs: the clause's last word, or a word followed by "және" / "," before another finite verb
    verbs = []
    negated_tail = False
    for i, w in enumerate(words):
        after = core[w.end():words[i + 1].start()] if i + 1 < len(words) else core[w.end():]
        last = i + 1 == len(words)
        coord = not last and (re.match(r"\s*,", after) or (d.coordination and d.coordination.match(core, w.end())))
        if not (last or coord):
            continue
        tail = core[max(0, w.start() - 40):w.end()]
        if _kk_verb_ok(w.group(0), tail, d):
            verbs.append(i)
        elif last and verbs and d.finite.search(w.group(0).lower()) and d.negative.search(w.group(0).lower()):
            # "... жүзеге асырады және дауыс беруге қатыспайды": a negated verb coordinated after
            # duties closes the clause; the duties before it stand (ru "... и не принимает участие")
            negated_tail = True
        elif last:
            return []  # the clause closes with something else: not a present-tense statement
    if not verbs or (verbs[-1] != len(words) - 1 and not negated_tail):
        return []
    # a converb + comma joining two duties ("ескертулерді жойып, ... жібереді")
    splits = []
    if d.converb_split is not None:
        for i, w in enumerate(words[:verbs[0]]):
            if d.converb_split.fullmatch(w.group(0)) and w.group(0).lower() not in d.converb_keep \
                    and re.match(r"\s*,", core[w.end():]) and not any(a <= w.start() < b for a, b in conditions):
                splits.append(i)
    # the subject: the first nominative actor head outside a condition, not the agent of a participle
    cut = words[verbs[0]].start()
    subj = None
    paren = _kk_in_parens(core, words)
    in_cond = None
    for i, w in enumerate(words[:verbs[0]]):
        if paren[i] or not _kk_subject_word(core, words, i, d, r):
            continue
        if any(a <= w.start() < b for a, b in conditions):
            # the condition patterns may reach back over the subject ("Аккредиттелген ұйымдар
            # сараптама жүргізу кезінде ..."): use it only when no head follows the condition
            # of several such heads the one inside the fewest condition spans wins ("Жеке ... тұлғалар
            # ... алмаған жағдайларда ... уәкілетті орган ... алғаннан кейін ... қамтамасыз етеді")
            depth = sum(1 for a, b in conditions if a <= w.start() < b)
            if in_cond is None or depth < in_cond[1]:
                in_cond = (i, depth)
            continue
        subj = i
        break
    if subj is None:
        subj = in_cond[0] if in_cond else None
    v_last = words[verbs[-1]].group(0).lower()
    passive = bool(d.passive.search(v_last)) and v_last not in d.passive_exceptions
    rule = "kk.present.active"
    if passive:
        m = d.passive_agent.search(core, 0, cut) if d.passive_agent else None
        if m is None:
            # "Өтінімдерді қарау уәкілетті органмен жүргізіледі": an instrumental actor head
            k = _kk_instrumental_agent(core, words, verbs[0], d, conditions)
            if k is None:
                k = _kk_verbal_noun_agent(core, words, verbs[0], d, r, conditions)
            if k is None:
                # no agent: nobody is bound; a nominative actor with a passive verb is its
                # patient ("комиссия құрылады")
                return []
            actor = _kk_np(core, words, k, d, r)
            return [Duty(actor, (0, words[verbs[-1]].end()), None, "kk.present.passive_agent")]
        k = max((i for i, w in enumerate(words) if w.end() <= m.start()), default=None)
        if k is None:
            return []
        subj, rule = k, "kk.present.passive_agent"
    if subj is None:
        return []
    actor = _kk_np(core, words, subj, d, r)
    # actions: split at coordinated finite verbs and at converb commas after the subject
    bounds = sorted({i for i in splits if i > subj} | set(verbs))
    # "... жауаптарды пысықтайды және құрастырады": verbs with nothing between them share their
    # object, one duty
    bounds = [b for k, b in enumerate(bounds) if k + 1 == len(bounds) or not re.fullmatch(
        r"\s*(?:,|\s(?:және|әрі))?\s*", core[words[b].end():words[bounds[k + 1]].start()])]
    out = []
    start = actor[1] if actor[0] == words[0].start() or rule != "kk.present.active" else 0
    if rule == "kk.present.passive_agent":
        start = 0
    prev_end = start
    for n, vi in enumerate(bounds):
        end = words[vi].end()
        a = prev_end if n else start
        if n == 0 and actor[0] > 0 and rule == "kk.present.active":
            a = 0  # object before the subject (OVS): the action is the whole clause
        out.append(Duty(actor, (a, end), None, rule))
        nxt = core[end:]
        m = re.match(r"\s*(?:,|\s(?:және|сондай-ақ))\s*", nxt)
        prev_end = end + (m.end() if m else 0)
    return out


def _kk_verbal_noun_agent(core: str, words: list[re.Match], v: int, d: DutyRules, r: LangRules,
                          conditions) -> int | None:
    """The agent of a possessive verbal noun that a passive verb predicates: "Спортшылар ...
    көтермелеуді ... қайтаруы ... 30 күн ішінде жүзеге асырылады", "Уәкілетті органның өтінімді
    қарауы ... жүргізіледі" (ru "Возврат ... спортсменами осуществляется"). The agent is a nominative
    subject, or a genitive actor head, before the verbal noun and outside a condition."""
    if d.verbal_noun_agent is None or _kk_fold(words[v].group(0)) not in d.verbal_noun_passives:
        return None  # "... ұсынбауы бас тарту ретінде есептеледі": regarded as, not carried out
    for j in range(v - 1, 0, -1):
        t = _kk_fold(words[j].group(0))
        if not d.verbal_noun_agent.search(t) or (d.passive_verbal_noun and d.passive_verbal_noun.search(t)):
            continue
        nxt = _kk_fold(words[j + 1].group(0)) if j + 1 < len(words) else ""
        if (nxt in d.postpositions and nxt not in d.means_markers) or re.match(r"\s*[,;:(]", core[words[j].end():]):
            return None  # "органның келісуі бойынша": a circumstance, not the subject
        # (a condition pattern may reach back over the subject, as in kk_duties: heads outside one first)
        outside = [i for i in range(j) if not any(a <= words[i].start() < b for a, b in conditions)]
        paren = _kk_in_parens(core, words)
        for i in [*outside, *(i for i in range(j) if i not in outside)]:
            if _kk_subject_word(core, words, i, d, r) and not paren[i]:
                return i
        for i in reversed(outside):
            g = re.fullmatch(r"(\w+?)(?:ның|нің|дың|дің|тың|тің)", _kk_fold(words[i].group(0)))
            if g and (head_stem(g.group(1), list(d.heads)) or _kk_agent_noun(g.group(1), d)):
                return i
        return None
    return None


def _kk_instrumental_agent(core: str, words: list[re.Match], v: int, d: DutyRules, conditions) -> int | None:
    """The nearest actor head before the passive verb words[v] in the instrumental ("органмен"),
    outside a condition and not a partner ("органмен келісу бойынша", "... бірлесіп")."""
    if d.instrumental_agent is None or words[v].group(0).lower().startswith(d.instrumental_blockers):
        return None  # "... уәкілетті органмен қосымша келісіледі": agreed with, not done by
    for k in range(v - 1, -1, -1):
        w = words[k].group(0).lower()
        m = d.instrumental_agent.search(w)
        if not m:
            continue
        base = w[:m.start()]
        stem = head_stem(base, list(d.heads))
        if not ((stem and not _KK_DERIVED.match(base[len(stem):])) or _kk_agent_noun(base, d)):
            continue  # "басшылығымен" (under the leadership of) is no agent
        nxt = words[k + 1].group(0).lower() if k + 1 < len(words) else ""
        if nxt.startswith(d.instrumental_blockers) or any(a <= words[k].start() < b for a, b in conditions):
            return None
        return k
    return None


def _kk_fold(word: str) -> str:
    """Lower case with the Latin "i" some acts type for Kazakh "і" ("уәкiлеттi")."""
    return word.lower().replace("i", "і")


_KK_PARTICIPLE_SUFFIXES = ("ған", "ген", "қан", "кен", "атын", "етін", "йтын", "йтін")


def _kk_exception_participle(part: str, d: DutyRules) -> bool:
    """The participle of an active verb that only looks passive ("ұсынған" of "ұсынады"): its stem
    and a participle ending, nothing between ("жиналған" is the passive of "жинайды")."""
    return any(part.startswith(x[:-3]) and part[len(x) - 3:] in _KK_PARTICIPLE_SUFFIXES for x in d.passive_exceptions)


def _KK_ACTIVE_PARTICIPLE_AFTER(core: str, pos: int, d: DutyRules) -> bool:
    """An active participle right after a head makes it that participle's agent ("орган бекіткен")."""
    m = (d.participle or _NEVER).match(core, pos)
    if not m or m.group(0).strip().lower() in d.lexical_participles:
        return False
    part = m.group(0).strip().lower()
    return not (d.passive_participle or _NEVER).fullmatch(part) or _kk_exception_participle(part, d)


_KK_DERIVED = re.compile(r"^(?:дас|дес|тас|тес|лас|лес|шыл|шіл|сыз|сіз|лы|лі)")


def _kk_nom_head(word: str, d: DutyRules, r: LangRules) -> bool:
    """A nominative actor head, not a word derived from one ("ұйымдастыру" is not "ұйым")."""
    stem = head_stem(word, list(d.heads))
    if stem is None or _KK_DERIVED.match(word.lower()[len(stem):]):
        return _kk_agent_noun(word, d) or _kk_ambiguous_head(word, d) is not None
    return kk_head_case(word, list(d.heads), r.actor_case_excluded) == "nom"


def _kk_agent_noun(word: str, d: DutyRules) -> bool:
    """An agent noun in -шы/-ші in the nominative ("жеткізушілер", "иеленушісі"), not an ordinal."""
    w = word.lower()
    return bool(d.agent_noun is not None and d.agent_noun.fullmatch(w)
                and not (d.agent_noun_excluded is not None and d.agent_noun_excluded.fullmatch(w)))


def _kk_ambiguous_head(word: str, d: DutyRules) -> str | None:
    """"" (bare) or the possessive ending of a head that also names a thing ("қызмет", "кеңесі")."""
    w = word.lower()
    for h in d.ambiguous_heads:
        if w.startswith(h) and w[len(h):] in d.ambiguous_endings:
            return w[len(h):]
    return None


def _kk_in_parens(core: str, words: list[re.Match]) -> list[bool]:
    out, depth = [], 0
    for i, w in enumerate(words):
        gap = core[words[i - 1].end():w.start()] if i else core[:w.start()]
        depth = max(0, depth + gap.count("(") - gap.count(")"))
        out.append(depth > 0)
    return out


def _kk_subject_word(core: str, words: list[re.Match], i: int, d: DutyRules, r: LangRules) -> bool:
    """A nominative actor head that is not a participle's agent, a coordinated oblique
    ("органдар мен ... субъектілеріне") or a postposition's complement ("қатысушылар арасында")."""
    w = words[i]
    if not _kk_nom_head(w.group(0), d, r):
        return False
    listed = head_stem(w.group(0), list(d.heads))
    nxt_word = words[i + 1].group(0).lower() if i + 1 < len(words) else ""
    if nxt_word in d.copulas:
        return False  # "Жалға алушы болып табылатын ... тұлғалар": a predicate noun
    if listed and (re.search(r"(?:шы|ші)$", _kk_fold(w.group(0))) or _kk_fold(w.group(0)) in d.np_modifiers):
        # "орталық уәкiлеттi орган", "Пайдаланушы ұйым": a head-like modifier of the head after it
        # ("Министрлік комиссия құрады" keeps its subject: "министрлік" is no modifier)
        for k in range(i + 1, min(len(words), i + 4)):
            t = words[k].group(0)
            if core[words[k - 1].end():words[k].start()].strip(" -"):
                break
            if _kk_nom_head(t, d, r) and not _KK_ACTIVE_PARTICIPLE_AFTER(core, words[k].end(), d):
                return False
            if not (_kk_fold(t) in d.np_modifiers or re.search(r"(?:лық|лік|дық|дік|тық|тік|ті|ты)$", _kk_fold(t))):
                break
    if not listed and _kk_ambiguous_head(w.group(0), d) is not None:
        # "қызмет" / "кеңесі": a head only after a modifier ("Ұлттық гидрометеорологиялық қызмет"),
        # not the object of a light verb right after it ("мемлекеттік қызмет көрсетеді") nor a
        # noun inside a longer name ("сыртқы саясат қызметі саласындағы")
        prev = words[i - 1].group(0) if i else ""
        # a person ("мүшелері") may follow the genitive of the body it belongs to ("Жұмыс тобының
        # мүшелері"); a thing ("қызметі", "кеңесі") after a genitive is that body's activity
        person = any(_kk_fold(w.group(0)).startswith(h) for h in d.person_heads)
        possessive = _kk_ambiguous_head(w.group(0), d) != "" and (
            person or not re.search(r"(?:ның|нің|дың|дің|тың|тің)$", prev.lower()))
        if not (possessive or (prev and (prev[0].isupper() or re.search(r"(?:лық|лік|дық|дік|тық|тік|ғы|гі|қы|кі)$", prev.lower())))):
            return False
        if i + 2 >= len(words) or re.search(r"(?:ғы|гі|қы|кі|ның|нің|дың|дің|тың|тің)$", nxt_word):
            return False
    elif not listed:
        # an agent noun ("басқарушы", "Әзірлеуші") right before another actor noun (over its
        # modifiers) or a copula modifies it ("ұлттық басқарушы холдингтің", "Әзірлеуші мемлекеттік
        # орган", "сенімгер басқарушы болып табылатын")
        if nxt_word in d.copulas:
            return False
        for k in range(i + 1, min(len(words), i + 4)):
            t = words[k].group(0)
            if head_stem(t, list(d.heads)):
                return False
            if not (t.lower() in d.np_modifiers or re.search(r"(?:лық|лік|дық|дік|тық|тік)$", t.lower())):
                break
    if nxt_word and not core[w.end():words[i + 1].start()].strip() and _kk_possessed(nxt_word, d, r):
        return False  # "Комиссия шешімі хаттамамен ресімделеді": the commission's decision, not the commission
    gen = re.fullmatch(r"(\w+?(?:ы|і))(?:ның|нің)", nxt_word)
    if gen and not core[w.end():words[i + 1].start()].strip() and _kk_possessed(gen.group(1), d, r):
        return False  # "... органдары кодтарының анықтамалығын ... МКК жүзеге асырады": a link of a genitive chain
    m = (d.participle or _NEVER).match(core, w.end())
    part = m.group(0).strip().lower() if m else ""
    if part in d.lexical_participles:
        m = None
    if m and (not (d.passive_participle or _NEVER).fullmatch(part) or _kk_exception_participle(part, d)):
        return False  # "уәкілетті орган бекіткен тізбе": the agent of a participle
    if _kk_oblique_list(core, words, i, d):
        return False  # "МКК, МӘСҚ, ӘлМСҚ мен БЖЗҚ-дан ... алған жағдайда": the list shares its last member's case
    if re.match(r"\s+(?:мен|бен|пен)\b", core[w.end():]):
        # "органдары мен ... субъектілері" (a coordinated subject) vs "органдар мен ... субъектілеріне"
        nxt = [k for k in range(i + 2, min(len(words), i + 6))
               if head_stem(words[k].group(0), list(d.heads))]
        return bool(nxt) and kk_head_case(words[nxt[0]].group(0), list(d.heads), r.actor_case_excluded) == "nom"
    nxt = words[i + 1].group(0).lower() if i + 1 < len(words) else ""
    return nxt not in d.postpositions


def _kk_oblique_list(core: str, words: list[re.Match], i: int, d: DutyRules) -> bool:
    """words[i] opens a list of one-word members ("МКК, МӘСҚ, ӘлМСҚ мен БЖЗҚ-дан") whose last
    member, after the connector, is in an oblique case: in Kazakh the members before it share
    that case, so words[i] is no nominative subject."""
    if d.oblique_case is None or not re.match(r"\s*,", core[words[i].end():]):
        return False
    k = i + 1
    while k < len(words) and k - i < 8:
        gap = core[words[k - 1].end():words[k].start()]
        t = words[k].group(0).lower()
        if re.fullmatch(r"\s*,\s*", gap) and t not in ("және", "немесе", "мен", "бен", "пен"):
            k += 1
            continue
        if re.fullmatch(r"\s+", gap) and t in ("және", "немесе", "мен", "бен", "пен") and k + 1 < len(words) \
                and re.fullmatch(r"\s+", core[words[k].end():words[k + 1].start()]):
            # the last member's head: over its modifiers ("және уәкілетті органға")
            j = k + 1
            while j + 1 < len(words) and j - k < 4 and (_kk_fold(words[j].group(0)) in d.np_modifiers or re.search(
                    r"(?:лық|лік|дық|дік|тық|тік|ті|ты|лы|лі|ғы|гі|қы|кі)$", _kk_fold(words[j].group(0)))):
                j += 1
            last = _kk_fold(words[j].group(0))
            return bool(d.oblique_case.search(last.rsplit("-", 1)[-1]))
        return False
    return False


def _kk_possessed(word: str, d: DutyRules, r: LangRules) -> bool:
    """`word` is a noun with the 3rd-person possessive that no actor head names ("шешімі",
    "құрамы", "отырысы"): a bare noun before it is its modifier (izafet), not the subject.
    An accusative (-ды/-ны/-ты) or an adjective (-ті, -лі) is not a possessive."""
    w = _kk_fold(word)
    if d.izafet_possessive is None or not d.izafet_possessive.search(w):
        return False
    return not (head_stem(w, list(d.heads)) or _kk_ambiguous_head(w, d) is not None or _kk_verb_ok(w, w, d))


def _kk_izafet(prev: str, word: str, d: DutyRules) -> bool:
    """`prev` is a bare noun modifying `word`, a head with the 3rd-person possessive ("кірістер органдары")."""
    if d.izafet_head is None or not d.izafet_head.search(_kk_fold(word)) or not head_stem(_kk_fold(word), list(d.heads)):
        return False
    p = _kk_fold(prev)
    return p.isalpha() and not (d.izafet_modifier_excluded and d.izafet_modifier_excluded.search(p)) \
        and not _kk_verb_ok(p, p, d)


def _kk_governed_verbal_noun(prev: str, word: str, d: DutyRules) -> bool:
    """`prev` is a verbal noun in -у that the postposition-adjective `word` governs
    ("басқару жөніндегі")."""
    return bool(d.verbal_noun and d.verbal_noun.search(_kk_fold(prev)) and _kk_fold(word) in d.verbal_noun_governors)


def _kk_np(core: str, words: list[re.Match], i: int, d: DutyRules, r: LangRules) -> tuple[int, int]:
    """Head words[i] widened left over its modifiers ("қоршаған ортаны қорғау саласындағы уәкілетті орган")."""
    left = i
    mod = re.compile(r"(?:ті|ты|лы|лі|лық|лік|дық|дік|тық|тік|ғы|гі|қы|кі|дағы|дегі|тағы|тегі|ндағы|ндегі|"
                     r"ның|нің|дың|дің|тың|тің|шы|ші|ушы|уші|ған|ген|қан|кен|атын|етін|йтын|йтін)$")
    while left > 0 and i - left < 6:
        prev = words[left - 1]
        gap = core[prev.end():words[left].start()]
        t = prev.group(0)
        if gap.strip(" -()") or _kk_fold(t) in d.pronouns:
            break
        if _kk_fold(t) in d.postpositions and not re.search(r"(?:ғы|гі)$", _kk_fold(t)):
            break  # "бұл туралы уәкілетті органдар ...": "туралы" closes a complement, it is no modifier
        if not (mod.search(_kk_fold(t)) or (t[0].isupper() and not (d.oblique_case and d.oblique_case.search(_kk_fold(t))))
                or _kk_fold(t) in d.np_modifiers
                or _kk_izafet(t, words[left].group(0), d) or _kk_governed_verbal_noun(t, words[left].group(0), d)):
            break
        left -= 1
    # a compound head: "Пайдаланушы ұйым", "тиісті орталық мемлекеттік орган", "өтініш беруші"
    end = i
    for j in range(i + 1, min(len(words), i + 5)):
        if core[words[j - 1].end():words[j].start()].strip(" -"):
            break
        t = words[j].group(0)
        if (kk_head_case(t, list(d.heads), r.actor_case_excluded) == "nom" or (_kk_ambiguous_head(t, d) or "") != "") \
                and not _KK_ACTIVE_PARTICIPLE_AFTER(core, words[j].end(), d):
            # "Комиссия мүшелері", "Жұмыс тобы": a possessive head closes the compound
            end = j
            continue
        if not (mod.search(t.lower()) or t.lower() in d.np_modifiers):
            break
    # co-actors after it: "Уәкілетті орган және жергілікті атқарушы органдар бірлесіп әзірлейді"
    for _ in range(3):  # bounded
        j = end + 1
        if j < len(words) and re.fullmatch(r"\s*\(", core[words[end].end():words[j].start()]):
            # the head's alias in parentheses before the connector: "ұлттық операторы (ұлттық әкімшісі)
            # не уәкілетті орган (ұйым)"
            close = core.find(")", words[end].end())
            j = next((k for k in range(j, len(words)) if words[k].start() > close), len(words)) if close >= 0 else len(words)
            if j >= len(words) or core[close + 1:words[j].start()].strip():
                break
        elif j >= len(words) or re.search(r"[;:()]", core[words[end].end():words[j].start()]):
            break
        w = words[j].group(0).lower()
        if w in ("және", "немесе", "не", "мен", "бен", "пен"):
            j += 1
        elif w == "сондай-ақ" and core[words[end].end():words[j].start()].strip() == ",":
            j += 1
        else:
            break
        found = None
        for k in range(j, min(len(words), j + 6)):
            t = words[k].group(0)
            if re.search(r"[,;:()]", core[words[k - 1].end():words[k].start()]) or _kk_verb_ok(t, t, d):
                break
            if _kk_nom_head(t, d, r) and not _KK_ACTIVE_PARTICIPLE_AFTER(core, words[k].end(), d):
                found = k
                break
            if head_stem(t, list(d.heads)):
                break  # "органдар мен ұйымдарға": coordinated obliques, no co-actor
        if found is None:
            break
        end = found
        # a compound head: "жергілікті атқарушы органдар"
        while end + 1 < len(words) and not core[words[end].end():words[end + 1].start()].strip(" -") \
                and _kk_nom_head(words[end + 1].group(0), d, r) \
                and not _KK_ACTIVE_PARTICIPLE_AFTER(core, words[end + 1].end(), d):
            end += 1
    return words[left].start(), words[end].end()


# --- lead-ins ----------------------------------------------------------------------------------

def lead_actor(core: str, lang: str, d: DutyRules, r: LangRules) -> tuple[int, int] | None:
    """The actor a verbless lead-in names ("Руководители аккредитованных организаций:",
    "Инспектируемая организация:", "Басшылары:"): its first nominative actor head."""
    words = list(WORD.finditer(core))
    for i, w in enumerate(words):
        if lang == "ru":
            t = ru_tag(w.group(0))
            if _ru_head(w.group(0), d) and t.nom and not _preceded_by_prep(words, i, d, core) and not t.verb:
                return _ru_np(core, words, i, d, "nom")
        else:
            if _kk_nom_head(w.group(0), d, r):
                return _kk_np(core, words, i, d, r)
    return None


def starts_with_verb(core: str, lang: str, d: DutyRules) -> bool:
    """A sub-point that opens with a present-tense verb ("1) определяют состав ...")."""
    w = WORD.search(core)
    if w is None:
        return False
    if lang == "ru":
        t = ru_tag(w.group(0))
        return t.verb and t.lemma not in d.non_duty
    return False


def ends_with_verb(core: str, d: DutyRules) -> bool:
    """A Kazakh sub-point that closes with a present-future duty verb ("... айқындайды")."""
    words = list(WORD.finditer(core))
    if not words:
        return False
    w = words[-1]
    return _kk_verb_ok(w.group(0), core[max(0, w.start() - 40):w.end()], d) and not (
        d.passive.search(w.group(0).lower()) and w.group(0).lower() not in d.passive_exceptions)


# --- records (called from extract.py) ---------------------------------------------------------

def _trigger(rule: str):
    from .rules import Trigger

    return Trigger(id=rule, pattern=None, modality="duty", actor="subject_before")


def _conditions(core: str, d: DutyRules) -> list[tuple[int, int]]:
    """Condition spans of a Kazakh clause, found in one pass: from the clause start or the last
    comma to a closing marker ("... жағдайда", "... кезде"), or from "егер" to the next comma."""
    out = []
    for m in d.condition_markers.finditer(core) if d.condition_markers else ():
        if m.group(0).lower() == "егер":
            end = core.find(",", m.end())
            out.append((m.start(), end if end >= 0 else len(core)))
        else:
            start = max(core.rfind(",", 0, m.start()), core.rfind(";", 0, m.start()), core.rfind(":", 0, m.start())) + 1
            out.append((start, m.end()))
    return out


def _duties(core: str, lang: str, d: DutyRules, r: LangRules) -> list[Duty]:
    if lang == "ru":
        return ru_duties(core, d)
    # "... жұмыс тобын құрады, оның құрамына ... кіреді": a comma before a pronoun opens a clause
    # of its own; each part is read alone (the first keeps its duty, the second its own subject)
    out: list[Duty] = []
    start = 0
    for m in [*(d.clause_break.finditer(core) if d.clause_break is not None else ()), None]:
        end = m.start() if m else len(core)
        part = core[start:end]
        found = kk_duties(part, d, r, _conditions(part, d))
        for x in found:
            out.append(Duty((x.actor[0] + start, x.actor[1] + start), (x.action[0] + start, x.action[1] + start),
                            None if x.pre is None else (x.pre[0] + start, x.pre[1] + start), x.rule))
        if not found and out and start and out[-1].rule == "kk.present.active" and ends_with_verb(part, d) \
                and not permitted(part, d):
            # "..., оның қызметі мен шешімдеріне жалпы бақылауды жүзеге асырады": a part with no
            # subject of its own continues the one before ("оның" is its object's possessor)
            out.append(Duty(out[-1].actor, (start, end), None, out[-1].rule))
        if m:
            start = m.end()
    return out


_FILL_IN = re.compile(r"_{5,}")


def _fill_in_form(text: str, start: int, end: int) -> bool:
    """The clause holds or opens a blank to fill in ("... защищаемым лицом подлежит возврату: ______"):
    a form in an annex, whose wording binds nobody until it is filled in and signed."""
    return bool(_FILL_IN.search(text, start, end) or re.compile(r"\s*_{5,}").match(text, end))


def clause_obligations(doc, lang: str, r: LangRules, clause, core: str | None = None) -> list:
    """Present-tense duties of one clause that no modal trigger claimed (one record per verb).
    core: the clause's text to read when not all of it (a lead-in without its verbless tail)."""
    from .extract import Found, _untrail, _emit, _excluded

    d = for_lang(r)
    body = clause.body(doc.text)
    if d is None or len(body) > MAX_CLAUSE_CHARS or _excluded(body, r) or _fill_in_form(doc.text, clause.start, clause.end):
        return []
    core = _untrail(body) if core is None else core
    out = []
    by_actor: dict[tuple[int, int], list[Duty]] = {}
    for duty in _duties(core, lang, d, r):
        by_actor.setdefault(duty.actor, []).append(duty)
    for actor, duties in by_actor.items():
        found = Found(_trigger(duties[0].rule), actor, None, [x.action for x in duties], duties[0].pre)
        recs = _emit(doc, lang, r, clause, found)
        if lang == "ru":
            cond = _ru_condition(core, r, actor)
            for o in recs:
                o.condition = cond
        out += recs
    return out


def _ru_condition(core: str, r: LangRules, actor: tuple[int, int]) -> str | None:
    """The condition of a present-tense clause: a marker ("в случае", "при", "если") up to a comma,
    or up to the subject when the clause runs on without one ("В случае выдачи отрицательного
    заключения заявитель устраняет ...")."""
    from .extract import _norm, _search_first

    hit = _search_first(r.condition, core, 0, len(core))
    if not hit:
        return None
    a, b = hit
    if a < actor[0] < b:
        b = actor[0]
    elif a < actor[1] <= b:
        a = actor[1]
    return _norm(core[a:b].strip(" ,;:")) or None


def defines_terms(lead_body: str, r: LangRules) -> bool:
    """The lead-in of an act's definitions ("В настоящих Правилах используются следующие понятия:",
    "Осы Қағидаларда мынадай ұғымдар пайдаланылады:"): its sub-points define terms, they bind nobody
    ("3) уәкілетті орган – ... басшылықты жүзеге асыратын мемлекеттік орган;")."""
    d = for_lang(r)
    return bool(d is not None and d.definitions_lead is not None and d.definitions_lead.search(lead_body))


def offers_alternatives(lead_body: str, lang: str, r: LangRules, last_item: str = "") -> bool:
    """The lead-in offers its sub-points as options of one duty ("рекомендует одно из следующих
    предложений:", "мынадай ұсыныстардың бірін: 1) ...; 2) ... береді", "тәуекелдің мынадай: ...;
    «тәуекел жоқ» деңгейлердің бірін береді")."""
    d = for_lang(r)
    if d is None:
        return False
    if d.alternatives is not None and d.alternatives.search(lead_body):
        return True
    return bool(d.alternatives_tail and last_item and d.alternatives_tail[0].search(lead_body)
                and d.alternatives_tail[1].search(last_item))


def alternatives_obligations(doc, lang: str, r: LangRules, lead, items: list) -> list:
    """A lead-in with its options read as one clause: its duties quote the lead-in and the options
    (a Kazakh verb closes the last option: "... бірін: 1) ...; 2) ... ұсыныс береді")."""
    from .extract import Clause

    if not items:
        return clause_obligations(doc, lang, r, lead)
    d = for_lang(r)
    if lang == "kk" and d is not None and ends_with_verb(lead.body(doc.text).rstrip().rstrip(":"), d):
        # the lead-in states the duty itself ("... мына шешімдердің бірін қабылдайды:"): its options'
        # own verbs ("сәйкес келеді") are no duty's
        return clause_obligations(doc, lang, r, lead)
    last = _whole_item(doc, items[-1])
    whole = Clause(lead.start, last.end, lead.body_start, lead.block, lead.sub)
    return clause_obligations(doc, lang, r, whole)


def _own_agents(doc, lang: str, r: LangRules, d: DutyRules, lead, core: str, items: list,
                item_cores: list[str]) -> list | None:
    """Sub-points that each name their own agent under a lead-in that names none.

    ru: "В банк данных представляются: 1) операторами объекта периодические отчеты ...; 2)
    субъектами предпринимательства ... информация" - an agentless passive lead-in, an instrumental
    agent opening each sub-point; kk: "Деректер банкіне: 1) объектінің операторлары ... есептер;
    2) ... кәсіпкерлік субъектілері ... ақпарат ұсынады" - a nominative subject in each sub-point
    and the verb closing the last. Each sub-point is read with the shared verb; one duty each.
    None when the sub-points do not all read so."""
    from .extract import Found, _emit

    if lang == "ru":
        # the lead-in's passive verb (it found no agent of its own)
        verbs = [w.group(0) for w in WORD.finditer(core) if ru_tag(w.group(0)).verb and ru_tag(w.group(0)).reflexive]
        if not verbs or not lead.body(doc.text).rstrip().endswith(":"):
            return None
        verb = verbs[-1]
        readings = [(f"{verb} {c}", len(verb) + 1) for c in item_cores]
    else:
        if not item_cores or not ends_with_verb(item_cores[-1], d):
            return None
        verb = list(WORD.finditer(item_cores[-1]))[-1].group(0)
        readings = [(c if n == len(item_cores) - 1 else f"{c.rstrip(' ;,.')} {verb}", 0)
                    for n, c in enumerate(item_cores)]
    if any(it.body(doc.text).rstrip().endswith(":") for it in items):
        return None  # nested lists are read level by level
    found, bare = [], 0
    for it, c, (text, shift) in zip(items, item_cores, readings):
        duties = [x for x in _duties(text, lang, d, r) if x.actor[0] >= shift and x.actor[1] - shift <= len(c)]
        if not duties:
            return None
        bare += not c[duties[0].actor[1] - shift:].strip(" ;,.")
        found.append((it, c, duties[0]))
    if bare:
        if bare < len(found) or lang != "ru":
            return None
        # "Информация предоставляется ...: 1) государственными органами; 2) юридическими лицами":
        # the sub-points are the agents of one duty, quoted from the lead-in
        from . import actors as _actors
        from .extract import _entities, _quote

        first, last = _whole_item(doc, items[0]), _whole_item(doc, items[-1])
        a, b = first.body_start, last.end
        shift = len(verb) + 1
        text = ", ".join(" ".join(c[x.actor[0] - shift:x.actor[1] - shift].split()) for _, c, x in found)
        actor = _actors.link(doc, text, lang, _entities(doc, lead.block), a, b)
        f = Found(_trigger(found[0][2].rule), None, None, [(0, len(core))], None)
        return _emit(doc, lang, r, lead, f, actor_src=(actor, None))
    out = []
    for it, c, duty in found:
        it = _whole_item(doc, it)
        span = (duty.actor[0] - (len(verb) + 1 if lang == "ru" else 0), duty.actor[1] - (len(verb) + 1 if lang == "ru" else 0))
        f = Found(_trigger(duty.rule), span, None, [(0, len(c))], None)
        out += _emit(doc, lang, r, it, f, rule_suffix=".list")
    return out


def group_obligations(doc, lang: str, r: LangRules, lead, items: list, nested: bool = False) -> list | None:
    """A lead-in ending in ':' with its sub-points, read as present-tense duties.

    - the lead-in names the actor and a verb ("... осуществляет пропаганду путем:"), or only the
      actor ("Руководители аккредитованных организаций:") and each sub-point opens (ru) or closes
      (kk) with the verb: one obligation per sub-point, with the lead-in's actor;
    - the lead-in's actor announces a list of bodies ("предоставляется следующими государственными
      органами:", "мынадай мемлекеттік органдар: ... ұсынады"): one obligation, the lead-in;
    None when neither applies (the clauses are then read one by one).
    """
    from .extract import Found, _untrail, _actor, _emit, _excluded

    d = for_lang(r)
    text = doc.text
    lead_body = lead.body(text)
    if d is None or len(lead_body) > MAX_CLAUSE_CHARS or _excluded(lead_body, r) or permitted(lead_body, d):
        return None
    core = _untrail(lead_body)
    duties = _duties(core, lang, d, r)
    loose = [it for it in items if not it.sub and not nested]
    items = [it for it in items if it.sub or nested]
    if not items:
        return None
    item_cores = [_untrail(_whole_item(doc, it).body(text)) for it in items]
    if not duties and lang == "kk":
        # "... есепті қалыптастырады, онда:": a verbless tail after the duty's verb introduces the
        # content of what it makes; the lead-in up to the comma is the one duty
        tail = re.search(r",\s*((?:[^\W\d_]+\s*){1,2})$", core)
        if tail and " ".join(tail.group(1).lower().split()) in d.content_tails:
            head = core[:tail.start()]
            if _duties(head, lang, d, r):
                return clause_obligations(doc, lang, r, lead, core=head) + [
                    o for c in loose for o in clause_obligations(doc, lang, r, c)]
    if duties and d.case_list is not None and d.case_list.search(core):
        # "Уполномоченный орган отказывает в согласовании в следующих случаях: 1) ...": the
        # sub-points are the cases (conditions) of one duty, the lead-in's
        return clause_obligations(doc, lang, r, lead) + [o for c in loose for o in clause_obligations(doc, lang, r, c)]
    if duties:
        actor_span, rule = duties[0].actor, duties[0].rule
    else:
        actor_span = lead_actor(core, lang, d, r)
        if actor_span is None:
            own = _own_agents(doc, lang, r, d, lead, core, items, item_cores)
            return None if own is None else own + [o for c in loose for o in clause_obligations(doc, lang, r, c)]
        if lang == "ru":
            if not any(starts_with_verb(c, lang, d) for c in item_cores):
                return None
        elif not ends_with_verb(item_cores[-1], d):
            return None
        rule = f"{lang}.present.lead"
    trig = _trigger(rule)
    around = core[max(0, actor_span[0] - 30):actor_span[1]]
    if d.actor_list is not None and d.actor_list.search(around) and not core[actor_span[1]:].strip(" ,"):
        # the sub-points are the actors: one duty, quoted from the lead-in
        found = Found(trig, actor_span, None, [(0, len(core))], None)
        return _emit(doc, lang, r, lead, found) + [o for c in loose for o in clause_obligations(doc, lang, r, c)]
    if lang == "ru" and duties and (_ends_with_participle(core) or _ends_in_relative_subject(core, d)):
        # "... формирует отчет ..., который содержит: 1) ...": the sub-points are the content of a
        # subordinate clause's object, the duty is the lead-in's
        # "... разрабатывает проектную документацию, включающую: 1) ...": the sub-points are the
        # object's content, the duty is the lead-in's
        return clause_obligations(doc, lang, r, lead) + [o for c in loose for o in clause_obligations(doc, lang, r, c)]
    found = Found(trig, actor_span, None, [], None)
    actor = _actor(doc, lead.block, lead_body, lead.body_start, actor_span, None)
    out = []
    for it in items:
        it = _whole_item(doc, it)
        c = _untrail(it.body(text))
        if len(c) > MAX_CLAUSE_CHARS or _excluded(it.body(text), r) or not c.strip():
            continue
        item_found = Found(trig, None, None, item_actions(c, lang, d), None)
        out += _emit(doc, lang, r, it, item_found, actor_src=actor, lead_found=found, lead_body=lead_body,
                     lead_base=lead.body_start, rule_suffix=".list")
    for c in loose:
        out += clause_obligations(doc, lang, r, c)
    return out


def applies(doc) -> bool:
    """Present-tense duties are read in Rules, Regulations and Codes (by title), not in news or plans."""
    return is_rules(doc, "present_title")


def is_rules(doc, key: str = "rules_title") -> bool:
    """Rules / Regulations (by title): there a duty with no identifiable actor is not emitted."""
    pat = rules_title(key)
    titles = [doc.title or ""]
    req = getattr(doc, "requisites", None)
    if req is not None and getattr(req, "title", None):
        titles += [getattr(req.title, "ru", None) or "", getattr(req.title, "kk", None) or ""]
    return bool(pat and any(pat.search(t) for t in titles))


def _ends_in_relative_subject(core: str, d: DutyRules) -> bool:
    """The lead-in closes with a relative clause of its own subject ("..., который содержит:"), not
    with the actor's own verb ("..., при проведении которого выявляет:")."""
    words = list(WORD.finditer(core))
    if not words or not _ru_segments(core, words, d)[-1]:
        return False
    last = max((i for i, w in enumerate(words) if w.group(0).lower() in d.subordinators), default=None)
    if last is None:
        return False
    seg = words[last:]
    return seg[0].group(0).lower() in ("который", "которая", "которое", "которые") or any(
        ru_tag(w.group(0)).verb and ru_tag(w.group(0)).lemma in d.non_duty for w in seg)


def _ends_with_participle(core: str) -> bool:
    words = list(WORD.finditer(core))
    return bool(words) and _morph().parse(words[-1].group(0).lower())[0].tag.POS == "PRTF"


def _whole_item(doc, it):
    """A sub-point is one item up to its block's end, even when ';' splits it into clauses
    ("1) средства индивидуальной защиты – бронежилет; шлем защитный")."""
    from dataclasses import replace

    b = it.block
    if doc.text[b.start:b.end] != b.text or not (b.start <= it.start < b.end):
        return it
    end = b.start + len(b.text.rstrip())
    return replace(it, end=max(it.end, end))


def item_actions(core: str, lang: str, d: DutyRules) -> list[tuple[int, int]]:
    """The actions of one sub-point: one per coordinated present-tense verb ("определяют состав
    ..., при необходимости привлекают ..."), else the whole sub-point."""
    words = list(WORD.finditer(core))
    if lang == "ru":
        idx = [i for i, w in enumerate(words) if ru_tag(w.group(0)).verb and ru_tag(w.group(0)).lemma not in d.non_duty
               and not (i and words[i - 1].group(0).lower() == "не")]
        sub = _ru_segments(core, words, d)
        idx = [i for i in idx if not sub[i]]
        # a passive next to active verbs is no action of the lead-in's actor (the subject of the
        # active ones): "2) подготавливает списки ... Личные данные заполняются ..." is one duty
        active = [i for i in idx if not (ru_tag(words[i].group(0)).reflexive
                                         and ru_tag(words[i].group(0)).lemma not in d.reflexive_active)]
        idx = active or idx
    else:
        idx = [i for i, w in enumerate(words)
               if _kk_verb_ok(w.group(0), core[max(0, w.start() - 40):w.end()], d)
               and (i + 1 == len(words) or re.match(r"\s*(?:,|және\b)", core[w.end():]))]
    # verbs with nothing between them share one object ("отрабатывает и составляет ответы"): one action
    gap = r"\s*(?:,|\s+(?:и|либо|или))?\s*" if lang == "ru" else r"\s*(?:,|\s(?:және|әрі))?\s*"
    if lang == "ru":
        idx = [v for k, v in enumerate(idx) if k == 0 or not re.fullmatch(gap, core[words[idx[k - 1]].end():words[v].start()])]
    else:
        idx = [v for k, v in enumerate(idx) if k + 1 == len(idx) or not re.fullmatch(gap, core[words[v].end():words[idx[k + 1]].start()])]
    if len(idx) < 2:
        return [(0, len(core))]
    out = []
    if lang == "ru":
        cuts = [0 if n == 0 else words[i].start() for n, i in enumerate(idx)] + [len(core)]
        for a, b in zip(cuts, cuts[1:]):
            seg = core[a:b]
            m = re.search(r"(?:,?\s*(?:и|а\s+также)\s*|,\s*)$", seg)
            out.append((a, a + (m.start() if m else len(seg))))
    else:
        a = 0
        for i in idx:
            out.append((a, words[i].end()))
            m = re.match(r"\s*(?:,|\sжәне)?\s*", core[words[i].end():])
            a = words[i].end() + (m.end() if m else 0)
    return [x for x in out if x[1] > x[0]]


def items_end(clauses: list, i: int, nested: bool = False) -> int:
    """End (exclusive) of the sub-points after the lead-in clauses[i]: sub-point clauses and the
    clauses that continue a sub-point's block ("1) ... бронежилет; шлем ..."). nested: the lead-in
    is itself a sub-point; its items are the plain paragraphs up to the next sub-point."""
    j = i + 1
    while j < len(clauses) and clauses[j][1] is not None:
        c, prev = clauses[j][1], clauses[j - 1][1]
        if nested:
            if c.sub or c.block.kind == "heading" or c.block is clauses[i][1].block:
                if c.block is clauses[i][1].block and j == i + 1:
                    j += 1
                    continue
                break
        elif not c.sub and not (j > i + 1 and prev is not None and c.block is prev.block) \
                and not (j > i + 1 and _under(c.block, clauses[i][1].block)):
            break
        elif not c.sub and (prev is None or c.block is not prev.block) and c.block.text.rstrip().endswith(":"):
            break  # a paragraph that opens its own list ("При подготовке ... осуществляются следующие мероприятия:")
        j += 1
    return j


def lowercase_items(text: str, clauses: list) -> list:
    """Unnumbered sub-points: paragraphs opening in lower case after a lead-in that ends with ':'
    ("... создаются следующие рабочие группы по:" / "оценке угроз ...;" / "оценке ...;") are items
    of its list, as "1) ..." would be (a new sentence opens in upper case)."""
    from dataclasses import replace

    out = list(clauses)
    for i, (_, c) in enumerate(out):
        if c is None or c.sub or not c.body(text).rstrip().endswith(":"):
            continue  # (a sub-point's own lead-in reads its plain paragraphs: items_end(nested=True))
        j = i + 1
        while j < len(out) and out[j][1] is not None and out[j][1].block is not c.block:
            item = out[j][1]
            head = item.body(text).lstrip().lstrip("«\"„“")[:1]  # «өте жоғары»; counts too
            if item.sub or not head.islower():
                break
            out[j] = (out[j][0], replace(item, sub=True))
            j += 1
    return out


def _under(block, lead_block) -> bool:
    """A plain paragraph that the parser filed under the lead-in's point (a sub-point's second
    paragraph: "2) ...; ДСҰ жұмыс органдарының ... қамтамасыз етеді;")."""
    n = len(lead_block.path)
    return bool(n) and len(block.path) > n and block.path[:n] == lead_block.path


def items_of(clauses: list, i: int, j: int, nested: bool = False) -> list:
    """The item clauses between i and j: one per sub-point (nested: one per paragraph block).
    A plain paragraph under a sub-point is no item: its clauses come as they are, each read on
    its own (group_obligations tells them apart by ``sub``)."""
    out, seen = [], set()
    for _, c in clauses[i + 1:j]:
        if c.block is clauses[i][1].block:
            continue
        if not nested and not c.sub and id(c.block) not in seen:
            out.append(c)  # every clause of a continuation paragraph
            continue
        if id(c.block) in seen:
            continue
        seen.add(id(c.block))
        out.append(c)
    return out
