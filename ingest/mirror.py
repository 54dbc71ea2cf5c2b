"""The kazakhstan-law mirrors' layout: act folders, code folders, their anchors.

An act folder holds `rus.md`, `kaz.md` and `meta.yaml`; a code folder holds `meta.yaml`
and `rus/`, `kaz/` subfolders whose same-named files are the two language versions of
one part. `discover(root)` yields every act under a checkout (or any folder in that
layout) with its language files and sidecar; `place(path)` says where one file sits.
The mirrors put `<a id="st404"></a>` before articles and points: `split_anchors` takes
them out of the text and hands them on as the following block's stable id.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ingest.data import load


@lru_cache(maxsize=1)
def layout() -> dict:
    raw = load("mirror.yaml")
    return {
        "languages": dict(raw["languages"]),
        "sidecar": raw["sidecar"],
        "sidecar_suffix": raw["sidecar_suffix"],
        "act_code": re.compile(raw["act_code_in_folder"]),
        "act_key": raw["act_key"],
        "anchor_line": re.compile(raw["anchor_line"], re.M),
        "anchor_inline": re.compile(raw["anchor_inline"]),
        "nav_line": re.compile(raw["nav_line"], re.M),
    }


def act_key(act_code: str | None) -> str | None:
    return layout()["act_key"].format(act_code=act_code) if act_code else None


def act_code_of(folder: Path) -> str | None:
    m = layout()["act_code"].search(folder.name)
    return m.group("code") if m else None


@dataclass(frozen=True)
class Place:
    """Where a file sits in the mirror layout."""

    lang: str
    folder: Path  # the act or code folder
    sidecar: Path | None  # its meta.yaml, when there is one
    whole_act: bool  # False: one part of a code
    part: str | None = None  # the part's name (file stem) in a code folder


def place(path: str | Path) -> Place | None:
    """rus.md/kaz.md in an act folder, or rus/NAME.md / kaz/NAME.md in a code folder;
    None for any other file."""
    path = Path(path)
    langs = layout()["languages"]
    sidecar_name = layout()["sidecar"]
    if path.suffix.lower() != ".md":
        return None
    if path.stem in langs and path.parent.name not in langs:
        folder = path.parent
        meta = folder / sidecar_name
        return Place(langs[path.stem], folder, meta if meta.is_file() else None, True)
    if path.parent.name in langs:
        folder = path.parent.parent
        meta = folder / sidecar_name
        # a code part: its folder has the sidecar, or its other-language twin exists
        twins = [folder / other / path.name for other in langs if other != path.parent.name]
        if meta.is_file() or any(t.is_file() for t in twins):
            return Place(langs[path.parent.name], folder, meta if meta.is_file() else None, False, path.stem)
    return None


@dataclass
class MirrorAct:
    """One act (or one part of a code) found in the layout: its files by language."""

    folder: Path
    sidecar: Path | None
    files: dict[str, Path] = field(default_factory=dict)  # lang -> file
    part: str | None = None

    @property
    def act_code(self) -> str | None:
        return act_code_of(self.folder)

    @property
    def key(self) -> str:
        """Stable key: kzlaw-<act_code> (kzlaw-<act_code>/<part> for a code part), else the folder."""
        base = act_key(self.act_code) or str(self.folder)
        return f"{base}/{self.part}" if self.part else base


def discover(root: str | Path) -> Iterator[MirrorAct]:
    """Every act folder and code part under `root`, in path order."""
    langs = layout()["languages"]
    sidecar_name = layout()["sidecar"]
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        meta = here / sidecar_name
        act_files = {langs[Path(f).stem]: here / f for f in sorted(files) if f.endswith(".md") and Path(f).stem in langs}
        if act_files and here.name not in langs:
            yield MirrorAct(here, meta if meta.is_file() else None, act_files)
        lang_dirs = [d for d in dirs if d in langs]
        if lang_dirs and (meta.is_file() or len(lang_dirs) > 1):
            parts: dict[str, dict[str, Path]] = {}
            for d in lang_dirs:
                for f in sorted((here / d).glob("*.md")):
                    parts.setdefault(f.stem, {})[langs[d]] = f
            for name in sorted(parts):
                yield MirrorAct(here, meta if meta.is_file() else None, parts[name], part=name)
            dirs[:] = [d for d in dirs if d not in langs]


def files(root: str | Path) -> Iterator[tuple[str, Path]]:
    """(lang, file) of every language version under `root`."""
    for act in discover(root):
        for lang, path in sorted(act.files.items()):
            yield lang, path


# ---------------------------------------------------------------- anchors


def strip_navigation(text: str) -> str:
    """The mirrors' navigation lines ("↑ [Вся редакция](../rus.md)") off."""
    return layout()["nav_line"].sub("", text)


def split_anchors(text: str) -> list[tuple[str | None, str]]:
    """The text cut at each anchor line: (anchor id or None, the text up to the next one).
    The first block read from a segment is the one its anchor labels. Anchors inside a
    line are dropped (they label nothing a reader keeps)."""
    t = layout()
    out: list[tuple[str | None, str]] = []
    anchor: str | None = None
    pos = 0
    for m in t["anchor_line"].finditer(text):
        segment = text[pos:m.start()]
        if segment.strip() or anchor is None:
            out.append((anchor, t["anchor_inline"].sub("", segment)))
            anchor = m.group("id")
        # consecutive anchors with nothing between them: the nearest one labels the block
        else:
            anchor = m.group("id")
        pos = m.end()
    out.append((anchor, t["anchor_inline"].sub("", text[pos:])))
    return [(a, s) for a, s in out if s.strip()]
