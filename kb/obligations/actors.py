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
        if len(window) - toks[m.end_tok].end <= 3:
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


def _role_ends_at(text: str, pos: int, lang: str) -> bool:
    """True when a role name ends right before `pos`: a body after it is its modifier
    ("подведомственной организацией уполномоченного органа ... (далее – ...)")."""
    from kb.entities import keys as K

    window = text[max(0, pos - 120):pos].rstrip()
    toks = K.tokenize(window)
    return any(toks[m.end_tok].end == len(window) for m in _matcher().find(window, lang, toks))


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


_CACHE: OrderedDict[tuple[str, int], dict[str, list[str]]] = OrderedDict()


def definitions(doc: Document) -> dict[str, list[str]]:
    """role id -> the agency ids this act says the role is."""
    key = (doc.id, len(doc.text))
    if key in _CACHE:
        return _CACHE[key]
    text = doc.text
    agencies = _agencies(doc.entities)
    out: dict[str, list[str]] = {}
    for lang in ("ru", "kk"):
        for p in _patterns("short_name", lang):
            for m in p.finditer(text):
                roles = _bare_roles(m.group("short"), lang)
                if not roles:
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
                body = [e for e in agencies if rs <= e.start <= rs + 3]
                if body:
                    for r in roles:
                        out.setdefault(r, _with_referents([body[0].id]))
    _CACHE[key] = out
    while len(_CACHE) > 64:
        _CACHE.popitem(last=False)
    return out


# -- an actor -----------------------------------------------------------------------------------
def link(doc: Document, text: str, lang: str, entities: list[Entity], start: int | None, end: int | None) -> Actor:
    """The actor `text` (at doc.text[start:end] when known) with every id it can be linked to."""
    ids: list[str] = []
    if start is not None and end is not None:
        ids = [e.id for e in _agencies(entities) if e.start < end and start < e.end]
    ids = _with_referents(list(dict.fromkeys(ids)))
    roles = roles_in(text, lang)
    if lang not in ("kk", "ru"):
        lang = "kk" if re.search(r"[әғқңөұүһі]", text, re.I) else "ru"
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
