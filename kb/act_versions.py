"""The version of an act in another language: Document.act_key (+ meta act_part) names the act,
the corpus layout (kb/data/act_versions.yaml) names the file it is in."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import PurePath

import yaml

from kb.models import Document


@lru_cache
def _layout() -> dict:
    with resources.files("kb.data").joinpath("act_versions.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def act_of(doc: Document) -> tuple[str, str] | None:
    """(act_key, part) of a document, None when it names no act."""
    return (doc.act_key, doc.meta.get("act_part", "")) if doc.act_key else None


def sibling_sources(source: str, lang: str) -> list[str]:
    """Paths where the `lang` version of the document at `source` would be."""
    layout = _layout()
    p = PurePath(source.replace("\\", "/"))
    out = []
    if p.name in layout["files"].values():
        out.append(str(p.with_name(layout["files"][lang])))
    for folder in layout["folders"][lang]:
        if p.parent.name in {f for fs in layout["folders"].values() for f in fs}:
            out.append(str(p.parent.parent / folder / p.name))
    return [s for s in out if s != str(p)]


def other_version(
    doc: Document, lang: str, documents: Callable[[str], Document | None],
    id_for_source: Callable[[str], str | None], among: list[str] = (),
) -> Document | None:
    """The `lang` version of `doc`'s act: first among the given document ids, then by file name."""
    act = act_of(doc)
    if act is None or doc.lang == lang:
        return None
    for doc_id in among:
        other = documents(doc_id)
        if other is not None and other.lang == lang and act_of(other) == act:
            return other
    for source in sibling_sources(doc.source, lang):
        doc_id = id_for_source(source)
        other = documents(doc_id) if doc_id else None
        if other is not None and other.lang == lang and act_of(other) == act:
            return other
    return None
