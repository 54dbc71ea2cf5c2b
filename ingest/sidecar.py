"""Sidecars: what a file's companions say about its act, before its text is read.

Three kinds, one record (`Sidecar`):
- the kazakhstan-law mirrors' `meta.yaml` (act_code, requisite, title.rus/kaz, form,
  approved_on, version_date, source, caused_by), for `rus.md`/`kaz.md` in an act folder
  and for the parts under a code folder's `rus/` and `kaz/`;
- `NAME.meta.yaml` beside any file, in the same format or with the requisites' own field
  names (kind, issuer, date, number, status, title.kk/ru, urls, lang...);
- YAML front matter at the top of a Markdown file, in either format.

A bad sidecar never stops a file: each problem becomes one warning line naming the file
and the field, and the file is parsed from its text.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, Field

from ingest import mirror
from ingest.models import ActKind, ActLink, ActRequisites, ActStatus, LangPair
from ingest.requisites import merge, parse_requisite, tables

# Mirror fields: the language keys of title/version_date/source.
MIRROR_LANGS = {"rus": "ru", "kaz": "kk", "ru": "ru", "kk": "kk"}
MIRROR_FIELDS = {
    "act_code", "requisite", "title", "form", "type_codes", "approved_on", "approved_by",
    "version_date", "source", "caused_by",
}
PLAIN_FIELDS = {
    "kind", "issuer", "date", "number", "status", "repealed_by", "repealed_on", "edition_date",
    "urls", "lang", "registration", "act_key",
}
# A mirror sidecar without these is incomplete (it is still used for what it has).
MIRROR_REQUIRED = ("act_code", "requisite", "title")


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text, so a bad one ("2025-13-01") is a
    warning about its field rather than an error about the whole file."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?\n)---[ \t]*(?:\n|\Z)", re.S)
FRONT_MATTER_MAX_LINES = 80


class Sidecar(BaseModel):
    """What a file's sidecar (and the layout it sits in) says about it."""

    path: str = Field(description="The sidecar file, or '<file> (front matter)'")
    lang: str | None = Field(None, description="The language the layout or sidecar says the file is in")
    requisites: ActRequisites | None = None
    act_key: str | None = None
    whole_act: bool = Field(True, description="False for a part of a code: the sidecar's title is the code's")
    part: str | None = Field(None, description="A code part's name: its two language files share it")
    warnings: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- reading


def read(path: Path, *, lang: str | None = None, whole_act: bool = True) -> Sidecar:
    """A sidecar file; never raises on bad content (warnings instead)."""
    where = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return Sidecar(path=where, lang=lang, whole_act=whole_act, warnings=[f"{where}: cannot read sidecar ({e})"])
    try:
        data = _load_yaml(raw)
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        at = f" at line {line + 1}" if line is not None else ""
        return Sidecar(
            path=where, lang=lang, whole_act=whole_act,
            warnings=[f"{where}: bad YAML{at}; sidecar ignored, requisites read from the text"],
        )
    return from_mapping(data, where, lang=lang, whole_act=whole_act)


def split_front_matter(text: str, where: str) -> tuple[Sidecar | None, str]:
    """(sidecar from the front matter or None, the text without it)."""
    m = FRONT_MATTER.match(text)
    if not m or m.group("body").count("\n") > FRONT_MATTER_MAX_LINES:
        return None, text
    rest = text[m.end():]
    label = f"{where} (front matter)"
    try:
        data = _load_yaml(m.group("body"))
    except yaml.YAMLError:
        return Sidecar(path=label, warnings=[f"{label}: bad YAML; ignored, requisites read from the text"]), rest
    return from_mapping(data, label), rest


def from_mapping(data: Any, where: str, *, lang: str | None = None, whole_act: bool = True) -> Sidecar:
    side = Sidecar(path=where, lang=lang, whole_act=whole_act)
    if not isinstance(data, dict):
        side.warnings.append(f"{where}: expected a mapping of fields, got {type(data).__name__}; sidecar ignored")
        return side
    warn = side.warnings.append
    unknown = sorted(str(k) for k in data if k not in MIRROR_FIELDS | PLAIN_FIELDS)
    for key in unknown:
        warn(f"{where}: field '{key}': unknown field, ignored")
    is_mirror = any(k in data for k in ("act_code", "requisite", "approved_on", "version_date", "caused_by"))
    if is_mirror:
        for key in MIRROR_REQUIRED:
            if data.get(key) in (None, "", {}):
                warn(f"{where}: field '{key}': missing")
    req = ActRequisites()
    src: dict[str, str] = {}

    requisite = _text(data, "requisite", where, warn)
    if requisite:
        req = parse_requisite(requisite, official=True)
        src.update({f: "sidecar" for f in ("kind", "issuer", "date", "number", "status") if getattr(req, f)})
        if req.registration:
            src["registration"] = "sidecar"
        if req.repealed_by:
            src.update(repealed_by="sidecar", repealed_on="sidecar", amended_by="sidecar")
    code = data.get("act_code")
    if code is not None and not isinstance(code, (str, int)):
        warn(f"{where}: field 'act_code': expected a number or text, got {type(code).__name__}; ignored")
        code = None
    if code not in (None, ""):
        req.act_code = str(code)
        src["act_code"] = "sidecar"
    titles = _pair(data, "title", where, warn)
    if titles:
        req.title = titles
        src["title"] = "sidecar"
    urls = _pair(data, "source", where, warn) or _pair(data, "urls", where, warn)
    if urls:
        req.urls = urls
        src["urls"] = "sidecar"
    approved = _date(data, "approved_on", where, warn)
    if approved:
        if req.date and req.date != approved:
            warn(f"{where}: field 'approved_on': {approved} but the requisite says {req.date}; kept the requisite's")
        req.date = req.date or approved
        src["date"] = "sidecar"
    edition = _edition_date(data, lang, where, warn)
    if edition:
        req.edition_date = edition
        src["edition_date"] = "sidecar"
    if not req.kind:
        req.kind = _form_kind(data)
        if req.kind:
            src["kind"] = "sidecar"
    caused = data.get("caused_by")
    if caused is not None:
        link = _caused_by(caused, where, warn)
        if link:
            req.amended_by.append(link)
            src["amended_by"] = "sidecar"

    plain = _plain(data, where, warn)
    if plain is not None:
        req = merge(req, plain) or req
        src.update({f: "sidecar" for f in plain.source_of})
    req.source_of = src
    if "lang" in data:
        value = MIRROR_LANGS.get(str(data["lang"]))
        if value is None:
            warn(f"{where}: field 'lang': {data['lang']!r} is not kk or ru; ignored")
        elif lang and value != lang:
            warn(f"{where}: field 'lang': says {value} but the file's place in the layout says {lang}")
        else:
            side.lang = value
    side.requisites = req if src else None
    side.act_key = str(data["act_key"]) if data.get("act_key") else mirror.act_key(req.act_code)
    return side


def _text(data: dict, key: str, where: str, warn) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)):
        warn(f"{where}: field '{key}': expected text, got {type(value).__name__}; ignored")
        return None
    return str(value).strip() or None


def _pair(data: dict, key: str, where: str, warn) -> LangPair | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        warn(f"{where}: field '{key}': expected rus/kaz (or kk/ru) entries, got {type(value).__name__}; ignored")
        return None
    pair = LangPair()
    for k, v in value.items():
        lang = MIRROR_LANGS.get(str(k))
        if lang is None:
            warn(f"{where}: field '{key}.{k}': unknown language (expected rus/kaz or kk/ru); ignored")
        elif v not in (None, ""):
            setattr(pair, lang, " ".join(str(v).split()))
    return pair if (pair.kk or pair.ru) else None


def parse_date(value: Any) -> dt.date | None:
    """A sidecar date: YAML's own (2019-06-27), ISO text, dd.mm.yyyy, or "27 июня 2019 года"."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    s = value.strip()
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", s)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    from ingest.requisites import first_date

    found = first_date(s)
    return found.date if found and found.start == 0 and found.end >= len(s) - 6 else None


def _date(data: dict, key: str, where: str, warn, value: Any = None) -> dt.date | None:
    value = data.get(key) if value is None else value
    if value in (None, ""):
        return None
    d = parse_date(value)
    if d is None:
        warn(f"{where}: field '{key}': unknown date format {str(value)!r} (expected YYYY-MM-DD); ignored")
    return d


def _edition_date(data: dict, lang: str | None, where: str, warn) -> dt.date | None:
    value = data.get("version_date", data.get("edition_date"))
    if value is None:
        return None
    if isinstance(value, dict):
        by_lang = {MIRROR_LANGS.get(str(k)): v for k, v in value.items()}
        if lang and by_lang.get(lang) is not None:
            return _date(data, f"version_date.{'rus' if lang == 'ru' else 'kaz'}", where, warn, by_lang[lang])
        dates = [d for d in (_date(data, "version_date", where, warn, v) for v in by_lang.values() if v) if d]
        return max(dates) if dates else None
    return _date(data, "version_date", where, warn, value)


def _form_kind(data: dict) -> ActKind | None:
    forms = tables()["forms"]
    types = data.get("type_codes") or []
    codes = [data.get("form")] + ([types] if isinstance(types, str) else list(types) if isinstance(types, list) else [])
    for code in codes:
        if isinstance(code, str) and code in forms:
            return forms[code]
    return None


def _caused_by(value: Any, where: str, warn) -> ActLink | None:
    if not isinstance(value, dict):
        warn(f"{where}: field 'caused_by': expected a mapping, got {type(value).__name__}; ignored")
        return None
    requisite = _text(value, "requisite", where + " caused_by", warn)
    link = ActLink(requisite=requisite, act_code=str(value["code"]) if value.get("code") else None)
    if requisite:
        parsed = parse_requisite(requisite, official=False)
        link.kind, link.issuer, link.date, link.number = parsed.kind, parsed.issuer, parsed.date, parsed.number
        # "Утратило силу": the edition is the repeal; otherwise the act amended this one
        link.relation = "repealed" if parsed.status == "repealed" else "amended"
    titles = _pair(value, "title", where + " caused_by", warn)
    if titles:
        link.title = titles
    if value.get("link"):
        link.url = str(value["link"])
    return link


def _plain(data: dict, where: str, warn) -> ActRequisites | None:
    """The fields given under the requisites' own names (own sidecars of non-mirror files)."""
    req = ActRequisites()
    src: dict[str, str] = {}
    kinds = set(get_args(ActKind))
    if data.get("kind") is not None:
        if data["kind"] in kinds:
            req.kind = data["kind"]
            src["kind"] = "sidecar"
        else:
            warn(f"{where}: field 'kind': {data['kind']!r} is not one of {', '.join(sorted(kinds))}; ignored")
    if data.get("status") is not None:
        if data["status"] in get_args(ActStatus):
            req.status = data["status"]
            src["status"] = "sidecar"
        else:
            warn(f"{where}: field 'status': {data['status']!r} is not in_force, repealed or unknown; ignored")
    for key in ("issuer", "number", "repealed_by"):
        value = _text(data, key, where, warn)
        if value:
            setattr(req, key, value)
            src[key] = "sidecar"
    for key in ("date", "repealed_on", "edition_date"):
        if key == "edition_date" and "version_date" in data:
            continue
        d = _date(data, key, where, warn)
        if d:
            setattr(req, key, d)
            src[key] = "sidecar"
    if not src:
        return None
    req.source_of = src
    return req


# ---------------------------------------------------------------- finding


def find_for(path: str | Path) -> Sidecar | None:
    """The sidecar of a file: `NAME.meta.yaml` beside it, else the mirror folder's
    `meta.yaml` (act folder for rus.md/kaz.md; code folder for rus/ and kaz/ parts).
    A file in a mirror layout without a sidecar still gets its language from the layout."""
    path = Path(path)
    place = mirror.place(path)
    found: Sidecar | None = None
    for name in (path.name, path.stem):
        own = path.with_name(name + mirror.layout()["sidecar_suffix"])
        if own.is_file():
            found = read(own, lang=place.lang if place else None, whole_act=place.whole_act if place else True)
            break
    if place is None:
        return found
    if found is None and place.sidecar is not None and place.sidecar.is_file():
        found = read(place.sidecar, lang=place.lang, whole_act=place.whole_act)
    found = found or Sidecar(path=str(path), lang=place.lang, whole_act=place.whole_act)
    found.part = place.part
    # the folder's name ends with the act code even where the sidecar is missing or lacks it
    found.act_key = found.act_key or mirror.act_key(mirror.act_code_of(place.folder))
    return found
