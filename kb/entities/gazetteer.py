"""Canonical conventions and agencies, loaded from `kb/data/{conventions,agencies}.yaml`.

Every entry has one id shared by its Kazakh, Russian and English names, so a mention in
either language links to the same record. Files are validated with pydantic at load time;
a malformed entry raises `GazetteerError` naming the file and the entry.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
GAZETTEER_FILES = ("conventions.yaml", "agencies.yaml")
Kind = Literal["convention", "agency", "location", "person"]
LANGS = ("kk", "ru", "en")


class GazetteerError(ValueError):
    """A gazetteer file or entry is malformed; the message names the file and entry."""


class Names(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kk: list[str] = Field(min_length=1)
    ru: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    @field_validator("kk", "ru", "en")
    @classmethod
    def _non_blank(cls, v: list[str]) -> list[str]:
        if any(not isinstance(s, str) or not s.strip() for s in v):
            raise ValueError("names must be non-empty strings")
        return v


class OptionalNames(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kk: list[str] = Field(default_factory=list)
    ru: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    @field_validator("kk", "ru", "en")
    @classmethod
    def _non_blank(cls, v: list[str]) -> list[str]:
        if any(not isinstance(s, str) or not s.strip() for s in v):
            raise ValueError("entries must be non-empty strings")
        return v


class Entry(BaseModel):
    """One canonical body or treaty."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Kind = "agency"
    names: Names
    former: OptionalNames = Field(default_factory=OptionalNames, description="Names before a renaming")
    abbreviations: OptionalNames = Field(default_factory=OptionalNames)
    coord: OptionalNames = Field(
        default_factory=OptionalNames, description="Distinctive word used in coordinated names"
    )
    parent: str | None = None
    refers_to: str | None = Field(None, description="The body a functional name designates today")

    def all_names(self, lang: str) -> list[str]:
        return list(getattr(self.names, lang)) + list(getattr(self.former, lang))


class Qualifiers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)


class GazetteerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    qualifiers: dict[Literal["kk", "ru", "en"], Qualifiers] = Field(default_factory=dict)
    entries: list[dict] = Field(min_length=1)


class Gazetteer(BaseModel):
    """All canonical entries; `get(id)` looks one up."""

    conventions: list[Entry]
    agencies: list[Entry]
    qualifiers: dict[str, Qualifiers] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_links(self) -> Gazetteer:
        ids = {e.id for e in self.entries}
        for e in self.entries:
            for ref in (e.parent, e.refers_to):
                if ref is not None and ref not in ids:
                    raise ValueError(f"entry {e.id!r} links to unknown id {ref!r}")
        return self

    @property
    def entries(self) -> list[Entry]:
        return self.conventions + self.agencies

    def get(self, id: str) -> Entry | None:
        return self._index().get(id)

    def _index(self) -> dict[str, Entry]:
        idx = self.__dict__.get("_idx")
        if idx is None:
            idx = {e.id: e for e in self.entries}
            self.__dict__["_idx"] = idx
        return idx


def _load_file(path: Path) -> tuple[GazetteerFile, list[Entry]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GazetteerError(f"{path}: cannot read gazetteer: {exc}") from exc
    try:
        gfile = GazetteerFile.model_validate(raw)
    except ValidationError as exc:
        raise GazetteerError(f"{path}: malformed gazetteer file: {exc}") from exc
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, item in enumerate(gfile.entries):
        label = f"entry #{i + 1}" + (f" (id {item.get('id')!r})" if isinstance(item, dict) else "")
        if not isinstance(item, dict):
            raise GazetteerError(f"{path}: {label}: expected a mapping, got {type(item).__name__}")
        try:
            entry = Entry.model_validate({"kind": gfile.kind, **item})
        except ValidationError as exc:
            raise GazetteerError(f"{path}: {label}: {exc}") from exc
        if entry.id in seen:
            raise GazetteerError(f"{path}: {label}: duplicate id {entry.id!r}")
        seen.add(entry.id)
        entries.append(entry)
    return gfile, entries


def load_gazetteer(data_dir: Path | str | None = None) -> Gazetteer:
    """Load and validate the gazetteer files from `data_dir` (default: kb/data)."""
    base = Path(data_dir) if data_dir is not None else DATA_DIR
    conventions: list[Entry] = []
    agencies: list[Entry] = []
    qualifiers: dict[str, Qualifiers] = {}
    for name in GAZETTEER_FILES:
        path = base / name
        gfile, entries = _load_file(path)
        (conventions if gfile.kind == "convention" else agencies).extend(entries)
        qualifiers.update(gfile.qualifiers)
    dup = {e.id for e in conventions} & {e.id for e in agencies}
    if dup:
        raise GazetteerError(f"{base}: ids used in both conventions and agencies: {sorted(dup)}")
    try:
        return Gazetteer(conventions=conventions, agencies=agencies, qualifiers=qualifiers)
    except ValidationError as exc:
        raise GazetteerError(f"{base}: {exc}") from exc


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The shipped gazetteer (loaded once)."""
    return load_gazetteer()
