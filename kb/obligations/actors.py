"""Who an obligation binds, as ids: every agency its actor names, the generic roles it names
("уполномоченный орган" -> role:authorized-body), and what the act itself says a role is.

* Agencies come from the entity tagger (gazetteer kb/data/agencies.yaml, matched on lemmas and
  stems, so "Министерству экологии" and "министрлігіне" link). Every agency in the actor's span
  is kept, in order: "МЧС, МЭГПР" binds both ministries. A functional name that designates a
  body today ("уполномоченный орган в области охраны окружающей среды", `refers_to` in the
  gazetteer) links to that body too.
* Roles are the generic actors of Rules and Codes, listed with their kk and ru names in
  kb/data/actor_roles.yaml; ids are `role:<id>`.
* A functional name of an authorised body ("уполномоченный орган в сфере государственных
  закупок") links to the body it designates (`functional` in the same file; the gazetteer's own
  functional names use `refers_to`).
* An act may say which body a role is: "Министерство ... (далее – уполномоченный орган)",
  "уполномоченный орган в области регулирования торговой деятельности (далее – уполномоченный
  орган)", "уполномоченный орган – Министерство ...". Such a definition links every bare mention
  of the role in that act to the body (patterns under `definitions` in the same file).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import yaml

from kb.models import Actor, Document, Entity

ROLES_FILE = Path(__file__).resolve().parent.parent / "data" / "actor_roles.yaml"
ROLE_PREFIX = "role:"


class RolesError(ValueError):
    """kb/data/actor_roles.yaml is malformed; the message names the file and the entry."""


@lru_cache(maxsize=1)
def _raw() -> dict:
    try:
        raw = yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RolesError(f"{ROLES_FILE}: cannot read actor roles: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise RolesError(f"{ROLES_FILE}: expected a mapping with a list of `entries`")
    return raw


@lru_cache(maxsize=1)
def _matcher():
    from kb.entities.gazetteer import Entry, Gazetteer
    from kb.entities.matcher import GazetteerMatcher
    from pydantic import ValidationError

    entries = []
    for i, item in enumerate(_raw()["entries"]):
        try:
            entries.append(Entry.model_validate({"kind": "agency", **item}))
        except ValidationError as exc:
            raise RolesError(f"{ROLES_FILE}: entry #{i + 1} ({item.get('id') if isinstance(item, dict) else item!r}): "
                             f"{exc}") from exc
    return GazetteerMatcher(Gazetteer(conventions=[], agencies=entries))


@lru_cache(maxsize=1)
def _functional() -> tuple[object, dict[str, list[str]]]:
    """(matcher of the functional names of authorised bodies, entry id -> the ids it designates)."""
    from kb.entities.gazetteer import Entry, Gazetteer
    from kb.entities.matcher import GazetteerMatcher
    from pydantic import ValidationError

    items = _raw().get("functional") or []
    if not isinstance(items, list):
        raise RolesError(f"{ROLES_FILE}: `functional` must be a list")
    entries, targets = [], {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("ids"), list) or not item["ids"]:
            raise RolesError(f"{ROLES_FILE}: functional #{i + 1}: needs a non-empty list `ids`")
        try:
            entries.append(Entry.model_validate({"kind": "agency", "id": item.get("id"), "names": item.get("names")}))
        except ValidationError as exc:
            raise RolesError(f"{ROLES_FILE}: functional #{i + 1} ({item.get('id')!r}): {exc}") from exc
        targets[item["id"]] = [str(x) for x in item["ids"]]
    return GazetteerMatcher(Gazetteer(conventions=[], agencies=entries)), targets


def functional_ids(text: str, lang: str) -> list[str]:
    """Agency or role ids the functional names in `text` designate ("уполномоченный орган в сфере
    государственных закупок" -> min-finance), in order."""
    matcher, targets = _functional()
    return list(dict.fromkeys(i for m in matcher.find(text, lang) for i in targets.get(m.id, [])))


def _functional_before(text: str, pos: int, lang: str) -> list[str]:
    """Ids of a functional name that ends right before `pos` (the "(далее – ...)" of its short name)."""
    from kb.entities import keys as K

    window = text[max(0, pos - 200):pos]
    toks = K.tokenize(window)
    matcher, targets = _functional()
    for m in reversed(matcher.find(window, lang, toks)):
        gap = window[toks[m.end_tok].end:]
        if len(gap) <= 3:
            return targets.get(m.id, [])
        # Kazakh: "... уәкілетті органның аумақтық органдарында (бұдан әрі – ...)": the bodies
        # of that authority, named by a genitive and a possessed head of at most two words
        if lang == "kk" and _grammar("genitive", "kk").search(toks[m.end_tok].text) and len(gap.split()) <= 2:
            return targets.get(m.id, [])
    return []


def _functional_around(text: str, start: int, end: int, lang: str) -> list[str]:
    """Ids of a functional name that covers an actor phrase: the actor's span is often only part
    of it, its head ("саласындағы уәкілетті орган" of "сыртқы саясат қызметі саласындағы уәкілетті
    орган") or its start ("Уполномоченный орган в" of "... в сфере государственных закупок")."""
    from kb.entities import keys as K

    lo = max(0, start - 200)
    window = text[lo:end + 200]
    toks = K.tokenize(window)
    matcher, targets = _functional()
    for m in matcher.find(window, lang, toks):
        if lo + toks[m.start_tok].start <= start and lo + toks[m.end_tok].end >= end - 1:
            return targets.get(m.id, [])
    return []


def _functional_at(text: str, pos: int, lang: str) -> list[str]:
    """Ids of a functional name that starts at `pos` (the body a definition names first)."""
    from kb.entities import keys as K

    window = text[pos:pos + 250]
    toks = K.tokenize(window)
    matcher, targets = _functional()
    for m in matcher.find(window, lang, toks):
        if toks[m.start_tok].start <= 3:
            return targets.get(m.id, [])
    return []


def _role_ends_at(text: str, pos: int, lang: str) -> bool:
    """True when a role name ends right before `pos`: a body after it is its modifier
    ("подведомственной организацией уполномоченного органа ... (далее – ...)")."""
    from kb.entities import keys as K

    window = text[max(0, pos - 120):pos].rstrip()
    toks = K.tokenize(window)
    return any(toks[m.end_tok].end == len(window) for m in _matcher().find(window, lang, toks))


@lru_cache(maxsize=1)
def _person_roles() -> frozenset[str]:
    """Role ids (without the prefix) that name a person of a body (`person_roles`)."""
    raw = _raw().get("person_roles") or []
    if not isinstance(raw, list):
        raise RolesError(f"{ROLES_FILE}: `person_roles` must be a list of role ids")
    known = {e["id"] for e in _raw()["entries"]}
    unknown = [str(x) for x in raw if x not in known]
    if unknown:
        raise RolesError(f"{ROLES_FILE}: person_roles: unknown role id(s) {unknown}")
    return frozenset(raw)


def role_ids() -> list[str]:
    """Every role id, `role:`-prefixed."""
    return [ROLE_PREFIX + e["id"] for e in _raw()["entries"]]


def role_names() -> dict[str, dict[str, str]]:
    """role id -> its first name per language (kk, ru, en), for labels."""
    return {ROLE_PREFIX + e["id"]: {lang: v[0] for lang, v in e["names"].items() if v} for e in _raw()["entries"]}


def roles_in(text: str, lang: str) -> list[str]:
    """Role ids named in a short text (an actor phrase), in order."""
    if lang not in ("kk", "ru"):
        lang = "kk" if re.search(r"[әғқңөұүһі]", text, re.I) else "ru"
    out = [ROLE_PREFIX + m.id for m in _matcher().find(text, lang)]
    return list(dict.fromkeys(out))


def _refers(agency_id: str) -> bool:
    """True for a gazetteer entry that is a functional name designating another body."""
    from kb.entities import gazetteer

    entry = gazetteer().get(agency_id)
    return bool(entry is not None and entry.refers_to)


def _with_referents(ids: list[str]) -> list[str]:
    """Add the body a functional name designates today (gazetteer `refers_to`)."""
    from kb.entities import gazetteer

    gaz = gazetteer()
    out: list[str] = []
    for i in ids:
        out.append(i)
        entry = gaz.get(i)
        if entry is not None and entry.refers_to:
            out.append(entry.refers_to)
    return list(dict.fromkeys(out))


# -- what the act says a role is ---------------------------------------------------------------
def _patterns(kind: str, lang: str) -> list[re.Pattern]:
    defs = (_raw().get("definitions") or {}).get(kind) or {}
    out = []
    for i, rx in enumerate(defs.get(lang) or []):
        try:
            out.append(re.compile(rx, re.IGNORECASE))
        except re.error as exc:
            raise RolesError(f"{ROLES_FILE}: definitions.{kind}.{lang}[{i}]: bad regex {rx!r}: {exc}") from exc
    return out


def short_name_patterns(lang: str) -> list[re.Pattern]:
    """The patterns of an act's short names ("(далее – ...)", "(бұдан әрі – ...)")."""
    return _patterns("short_name", lang)


_ABBREVIATION = re.compile(r"[А-ЯЁӘҒҚҢӨҰҮҺІA-Z]{3,8}")


def is_abbreviation(text: str) -> bool:
    """An act's short name in capitals ("МИО", "ЖАО")."""
    return bool(_ABBREVIATION.fullmatch(text))


def _named_before(text: str, pos: int, lang: str, agencies: list[Entity]) -> list[str]:
    """Ids of the body or role heading the noun phrase that ends at `pos` (no punctuation in
    between): "местные исполнительные органы приграничных областей" -> role:local-executive and
    local-executive. The head comes first in Russian, last in Kazakh."""
    from kb.entities import keys as K

    lo = max(0, pos - 200)
    window = text[lo:pos]
    cut = max(window.rfind(c) for c in ",;:.()\n") + 1
    seg_start = lo + cut
    seg = text[seg_start:pos]
    toks = K.tokenize(seg)
    found = [(seg_start + toks[m.start_tok].start, [ROLE_PREFIX + m.id]) for m in _matcher().find(seg, lang, toks)]
    found += [(e.start, _with_referents([e.id])) for e in agencies if seg_start <= e.start and e.end <= pos]
    if not found:
        return []
    found.sort(key=lambda x: x[0])
    head = found[0] if lang == "ru" else found[-1]
    # a body named with the role it heads ("местные исполнительные органы": role and agency) counts once each
    return list(dict.fromkeys(i for start, ids in found if start == head[0] for i in ids))


def _agencies(entities: list[Entity]) -> list[Entity]:
    return sorted((e for e in entities if e.type == "agency" and e.id), key=lambda e: e.start)


def _bare_roles(text: str, lang: str) -> list[str]:
    """Roles a phrase names when the phrase is nothing but the role ("уполномоченный орган")."""
    m = _matcher()
    found = m.find(text, lang)
    if not found:
        return []
    words = [t for t in re.findall(r"[^\W\d_]+", text)]
    covered = sum(x.end_tok - x.start_tok + 1 for x in found)
    return [ROLE_PREFIX + x.id for x in found] if covered >= len(words) else []


@lru_cache(maxsize=16)
def _grammar(key: str, lang: str) -> re.Pattern:
    """A pattern of `grammar` in kb/data/actor_roles.yaml (never matching when absent)."""
    rx = ((_raw().get("grammar") or {}).get(key) or {}).get(lang)
    try:
        return re.compile(rx, re.IGNORECASE) if rx else re.compile(r"(?!)")
    except re.error as exc:
        raise RolesError(f"{ROLES_FILE}: grammar.{key}.{lang}: bad regex {rx!r}: {exc}") from exc



_CACHE: OrderedDict[tuple[str, int], dict[str, list[str]]] = OrderedDict()


def definitions(doc: Document) -> dict[str, list[str]]:
    """role id -> the agency ids this act says the role is."""
    key = (doc.id, len(doc.text))
    if key in _CACHE:
        return _CACHE[key]
    text = doc.text
    agencies = _agencies(doc.entities)
    out: dict[str, list[str]] = {}
    local: list[tuple[str, str, list[str]]] = []
    for lang in ("ru", "kk"):
        for p in _patterns("short_name", lang):
            for m in p.finditer(text):
                roles = _bare_roles(m.group("short"), lang)
                if not roles:
                    ids = _functional_before(text, m.start(), lang)
                    short = " ".join(m.group("short").split())
                    if not ids and _ABBREVIATION.fullmatch(short):
                        # "местные исполнительные органы приграничных областей (далее – МИО)"
                        ids = _named_before(text, m.start(), lang, agencies)
                    if ids and not _roles_in_text(m.group("short"), lang):
                        local.append((lang, short, ids))
                    continue
                body = [e for e in agencies if e.end <= m.start() and m.start() - e.end <= 3]
                if body and _role_ends_at(text, body[-1].start, lang):
                    continue  # the body qualifies another role named before it
                ids = _with_referents([body[-1].id]) if body else _functional_before(text, m.start(), lang)
                if ids:
                    for r in roles:
                        out.setdefault(r, ids)
        for p in _patterns("defined_as", lang):
            for m in p.finditer(text):
                roles = _bare_roles(m.group("role"), lang)
                if not roles:
                    continue
                rs = m.start("rest")
                lead = _grammar("country_prefix", lang).match(m.group("rest"))
                rs += lead.end() if lead else 0
                func = _functional_at(text, rs, lang)
                # a body in the genitive only qualifies the defined one ("орталық мемлекеттік
                # органының қарамағындағы ұйым" is an organisation under that body)
                body = [e for e in agencies if m.start("rest") <= e.start <= rs + 3
                        and not (lang == "kk" and _grammar("genitive", "kk").search(text[e.start:e.end]))]
                if func or body:
                    for r in roles:
                        out.setdefault(r, func or _with_referents([body[0].id]))
    _CACHE[key] = out
    _LOCAL[key] = local
    while len(_CACHE) > 64:
        _LOCAL.pop(next(iter(_CACHE)), None)
        _CACHE.popitem(last=False)
    return out


_LOCAL: dict[tuple[str, int], list[tuple[str, str, list[str]]]] = {}


def _roles_in_text(text: str, lang: str) -> list[str]:
    return [m.id for m in _matcher().find(text, lang)]


def local_names(doc: Document) -> list[tuple[str, str, list[str]]]:
    """(lang, short name, ids) for the short names an act gives a body of a functional authority
    that is not itself a role: "в территориальных органах уполномоченного органа по управлению
    государственным имуществом (далее – органы по управлению государственным имуществом)"."""
    definitions(doc)
    return _LOCAL.get((doc.id, len(doc.text)), [])


def _local_ids(doc: Document, start: int, end: int, lang: str) -> list[str]:
    """Ids of the act's own short names (local_names) that the actor at [start, end) names."""
    from kb.entities import keys as K
    from kb.entities.gazetteer import Entry, Gazetteer
    from kb.entities.matcher import GazetteerMatcher

    names = [(n, ids) for lg, n, ids in local_names(doc) if lg == lang]
    if not names:
        return []
    entries = [Entry.model_validate({"kind": "agency", "id": f"local-{i}",
                                  "names": {"kk": [n], "ru": [n], "en": [n]}})
               for i, (n, _) in enumerate(names)]
    matcher = GazetteerMatcher(Gazetteer(conventions=[], agencies=entries))
    lo, hi = max(0, start - _WINDOW), min(len(doc.text), end + _WINDOW)
    window = doc.text[lo:hi]
    toks = K.tokenize(window)
    inside = [t for t in toks if lo + t.start >= start and lo + t.end <= end]
    if not inside:
        return []
    head = inside[-1] if lang == "kk" else inside[0]
    out: list[str] = []
    for m in matcher.find(window, lang, toks):
        a, b = lo + toks[m.start_tok].start, lo + toks[m.end_tok].end
        if a <= lo + head.start and lo + head.end <= b:
            out += names[int(m.id.split("-")[1])][1]
    return list(dict.fromkeys(out))


# -- an actor -----------------------------------------------------------------------------------
_WINDOW = 150  # characters either side of an actor span read for the full role names around it


@lru_cache(maxsize=4)
def _conjuncts(lang: str) -> re.Pattern:
    """Up to two-word conjuncts joined by commas and a final joiner ("и", "және", "мен"; the
    joiners of kb/data/entity_matching.yaml `coord_joiners`), ending where a role name starts."""
    from kb.entities import keys as K

    joiners = sorted(K.settings()["coord_joiners"].get(lang, []), key=len, reverse=True)
    word = r"[^\W\d_]+(?:[ \t]+[^\W\d_]+)?"
    alt = "|".join(r"\b" + re.escape(j) for j in joiners) or r"(?!)"
    return re.compile(rf"((?:{word}[ \t]*,[ \t]*)*{word})[ \t]*(?:,[ \t]*)?(?:{alt})[ \t]+$", re.IGNORECASE)


_RU_GEN_CONJUNCTS = re.compile(r"(?:(?:[ \t]*,[ \t]*|[ \t]+(?:и|или)[ \t]+)[^\W\d_]+(?:[ \t]+(?!(?:и|или)\b)[^\W\d_]+)?){1,4}")


def _roles_around(text: str, start: int, end: int, lang: str) -> list[tuple[str, int, int]]:
    """Roles named by the actor at text[start:end], as (id, start, end) in text offsets.

    The extractor's span is often only part of the noun phrase: its head in Kazakh
    ("органдары" of "мемлекеттік кірістер органдары") or its start in Russian ("органами по
    управлению" of "... государственным имуществом"). A role name around the span counts when it
    overlaps the span and covers the word that heads the phrase in that language (the last word
    in Kazakh, the first in Russian), or lies inside the span. Modifiers coordinated before a role
    share its head noun ("государственные, правоохранительные и специальные государственные
    органы" = three kinds of bodies; "мемлекеттік, құқық қорғау және арнаулы ... органдар").
    """
    from kb.entities import keys as K

    lo, hi = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
    window = text[lo:hi]
    toks = K.tokenize(window)
    inside = [t for t in toks if lo + t.start >= start and lo + t.end <= end]
    if not inside:
        return []
    head = inside[-1] if lang == "kk" else inside[0]
    out: list[tuple[str, int, int]] = []
    for m in _matcher().find(window, lang, toks):
        a, b = lo + toks[m.start_tok].start, lo + toks[m.end_tok].end
        if not (a < end and start < b):
            continue
        if not (a >= start and b <= end) and not (a <= lo + head.start and lo + head.end <= b):
            continue
        if lang == "ru" and not (a <= lo + head.start and lo + head.end <= b) \
                and re.search(r"(?:,|\b(?:и|или))\s*$", text[max(start, a - 40):a]):
            from .morph import is_genitive

            if is_genitive(toks[m.start_tok].text):
                # one of coordinated genitive complements ("Руководители аккредитованных организаций,
                # экспертов и инспекторов"): whose they are, not who is bound
                continue
        out.append((ROLE_PREFIX + m.id, a, b))
        if lang == "ru":
            # genitive complements coordinated after it share its head noun: "органами внутренних
            # дел, здравоохранения и национальной безопасности" names the national security bodies too
            noun = toks[m.start_tok].text
            tail = _RU_GEN_CONJUNCTS.match(text, b)
            if tail and tail.end() <= end + _WINDOW:
                for conj in re.split(r"\s*,\s*|\s+(?:и|или)\s+", tail.group(0).strip(" ,")):
                    if conj:
                        whole = _bare_roles(f"{noun} {conj}", lang)  # one role named by the head and the conjunct
                        out += [(r, a, b) for r in whole if len(whole) == 1 and r != ROLE_PREFIX + m.id]
        # modifiers coordinated before the role name borrow its head noun
        cm = _conjuncts(lang).search(text[max(0, a - _WINDOW):a])
        if cm:
            noun = toks[m.end_tok].text
            for conj in re.split(r"\s*,\s*", cm.group(1)):
                if conj and not roles_in(conj, lang):
                    out += [(r, a, b) for r in roles_in(f"{conj} {noun}", lang)]
    return out


def _genitive_next_to(text: str, s: int, e: int, a: int, b: int, lang: str) -> bool:
    """The body at text[s:e] is a genitive modifier of the role at text[a:b] next to it."""
    if lang == "ru":
        if not (b <= s and not text[b:s].strip()):
            return False
        from .morph import is_genitive

        first = re.match(r"[^\W\d_]+", text[s:e])
        return bool(first and is_genitive(first.group(0)))
    if not (e <= a and not text[e:a].strip()):
        return False
    last = re.findall(r"[^\W\d_]+", text[s:e])
    return bool(last and _grammar("genitive", "kk").search(last[-1]))


def link(doc: Document, text: str, lang: str, entities: list[Entity], start: int | None, end: int | None) -> Actor:
    """The actor `text` (at doc.text[start:end] when known) with every id it can be linked to."""
    ids: list[str] = []
    if start is not None and end is not None:
        ids = [e.id for e in _agencies(entities) if e.start < end and start < e.end]
    if lang not in ("kk", "ru"):
        lang = "kk" if re.search(r"[әғқңөұүһі]", text, re.I) else "ru"
    roles = roles_in(text, lang)
    if start is not None and end is not None:
        around = _roles_around(doc.text, start, end, lang)
        # a body named inside a role name, or as its modifier, is not the actor ("Аппарат
        # Правительства", "Үкіметінің Аппараты" are not the Government): a role that overlaps
        # the body and has its head word outside it wins (head last in Kazakh, first in Russian)
        spans = [(e.start, e.end, e.id) for e in _agencies(entities) if e.start < end and start < e.end]
        # a person of a body ("должностное лицо органа государственных доходов", "... органының
        # басшысы") is filed under that body: the person role yields to a body or role in the
        # genitive next to it (`person_roles` in kb/data/actor_roles.yaml)
        persons = _person_roles()
        yielding = {(a, b) for r, a, b in around if r.removeprefix(ROLE_PREFIX) in persons
                    and (any(_genitive_next_to(doc.text, s, e, a, b, lang) for s, e, _ in spans)
                         or any(_genitive_next_to(doc.text, a2, b2, a, b, lang) for _, a2, b2 in around if (a2, b2) != (a, b)))}
        around = [x for x in around if (x[1], x[2]) not in yielding] if yielding else around

        def _modifier(s: int, e: int) -> bool:
            if any(a < e and s < b and (b > e if lang == "kk" else a < s) or (a <= s and e <= b and (a, b) != (s, e))
                   for _, a, b in around):
                return True
            # ... or a body in the genitive right after the role (ru) / before it (kk): "подведомственной
            # организацией уполномоченного органа ...", "... министрлігінің ведомстволық бағынысты ұйымы"
            return any(_genitive_next_to(doc.text, s, e, a, b, lang) for _, a, b in around)

        ids = [i for s, e, i in spans if not _modifier(s, e)]
        # ... and a role inside a body's name is that body ("центральные государственные органы"
        # are not one more kind of state body), unless the name is a functional name of a role
        # ("уполномоченный орган в области охраны окружающей среды" keeps role:authorized-body)
        plain = [(s, e) for s, e, i in spans if not _refers(i)]
        kept = [r for r, a, b in around if not any(s <= a and b <= e and (s, e) != (a, b) for s, e in plain)
                # a role in the genitive next to another names whose it is ("подведомственная
                # организация уполномоченного органа" binds the organisation)
                and not any(_genitive_next_to(doc.text, a, b, a2, b2, lang) for _, a2, b2 in around if (a2, b2) != (a, b))]
        roles = list(dict.fromkeys(kept)) if around else roles
        if not ids and not roles:  # a body the act itself named short (local_names)
            named = _local_ids(doc, start, end, lang)
            ids = [i for i in named if not i.startswith(ROLE_PREFIX)]
            roles = [i for i in named if i.startswith(ROLE_PREFIX)]
    ids = _with_referents(list(dict.fromkeys(ids)))
    found = functional_ids(text, lang)
    if not found and start is not None and end is not None and roles:
        found = _functional_around(doc.text, start, end, lang)
    for i in found:  # "уполномоченный орган в сфере таможенного дела"
        (roles if i.startswith(ROLE_PREFIX) else ids).append(i)
    ids, roles = list(dict.fromkeys(ids)), list(dict.fromkeys(roles))
    if roles and not ids:
        defined = definitions(doc)
        for r in roles:
            for i in defined.get(r, []):
                target = roles if i.startswith(ROLE_PREFIX) else ids
                if i not in target:
                    target.append(i)
    return Actor(text=text, id=ids[0] if ids else None, ids=ids, roles=roles)


def actor_ids(actor: Actor | None) -> list[str]:
    """Every id an actor is filed under in the register: agencies, then roles. Records stored
    before `ids` existed carry only `id`."""
    if actor is None:
        return []
    out = list(actor.ids) or ([actor.id] if actor.id else [])
    return list(dict.fromkeys(out + list(actor.roles)))
