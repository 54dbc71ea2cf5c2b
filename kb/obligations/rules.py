"""Load and compile kb/data/obligation_rules.yaml (once per process)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "obligation_rules.yaml"
ACTOR_POSITIONS = {"after_trigger", "dative_start", "subject_before", "dative_before", "after_na", "none"}
MODALITIES = {"duty", "prohibition", "request", "recommendation"}
INFINITIVE = "<INFINITIVE>"


class RulesError(ValueError):
    """The rules file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Trigger:
    id: str
    pattern: re.Pattern | None  # None: the RU "dative + infinitive" rule, found by morphology
    modality: str
    actor: str
    require_actor: bool = True
    final: bool = False
    coordination: re.Pattern | None = None  # overrides LangRules.coordination for this trigger


@dataclass
class LangRules:
    lang: str
    triggers: list[Trigger]
    enacting: list[re.Pattern]
    exclude: list[re.Pattern]
    actor_stop: list[re.Pattern]
    actor_stop_phrase: list[re.Pattern]
    actor_heads: list[str]
    actor_case_excluded: list[str]
    condition: list[re.Pattern]
    deadline: list[re.Pattern]
    table: dict[str, list[re.Pattern]]
    coordination: re.Pattern | None
    extra: dict = field(default_factory=dict)


def _compile(pattern: str, where: str) -> re.Pattern:
    try:
        return re.compile(pattern, re.IGNORECASE | re.UNICODE)
    except re.error as exc:
        raise RulesError(f"{RULES_PATH}: {where}: bad regex {pattern!r}: {exc}") from exc


def _lang_rules(lang: str, raw: dict) -> LangRules:
    triggers = []
    for i, t in enumerate(raw.get("triggers") or []):
        where = f"{lang}.triggers[{i}]"
        for key in ("id", "pattern", "modality", "actor"):
            if key not in t:
                raise RulesError(f"{RULES_PATH}: {where}: missing field {key!r}")
        if t["modality"] not in MODALITIES:
            raise RulesError(f"{RULES_PATH}: {where}: modality {t['modality']!r} not in {sorted(MODALITIES)}")
        if t["actor"] not in ACTOR_POSITIONS:
            raise RulesError(f"{RULES_PATH}: {where}: actor {t['actor']!r} not in {sorted(ACTOR_POSITIONS)}")
        pat = None if t["pattern"] == INFINITIVE else _compile(t["pattern"], where)
        triggers.append(
            Trigger(
                id=t["id"], pattern=pat, modality=t["modality"], actor=t["actor"],
                require_actor=bool(t.get("require_actor", True)), final=bool(t.get("final", False)),
                coordination=_compile(t["coordination"], f"{where}.coordination") if t.get("coordination") else None,
            )
        )

    def plist(key: str) -> list[re.Pattern]:
        return [_compile(p, f"{lang}.{key}[{i}]") for i, p in enumerate(raw.get(key) or [])]

    table = {k: [_compile(p, f"{lang}.table.{k}") for p in v] for k, v in (raw.get("table") or {}).items()}
    coord = raw.get("coordination")
    return LangRules(
        lang=lang,
        triggers=triggers,
        enacting=plist("enacting"),
        exclude=plist("exclude"),
        actor_stop=plist("actor_stop"),
        actor_stop_phrase=plist("actor_stop_phrase"),
        actor_heads=[h.lower() for h in raw.get("actor_heads") or []],
        actor_case_excluded=list(raw.get("actor_case_excluded") or []),
        condition=plist("condition"),
        deadline=plist("deadline"),
        table=table,
        coordination=_compile(coord, f"{lang}.coordination") if coord else None,
    )


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> dict[str, LangRules]:
    p = Path(path) if path else RULES_PATH
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{p}: cannot read obligation rules: {exc}") from exc
    if not isinstance(raw, dict):
        raise RulesError(f"{p}: expected a mapping of languages (ru, kk)")
    return {lang: _lang_rules(lang, body) for lang, body in raw.items()}
