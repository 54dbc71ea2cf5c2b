"""What the API shows of server paths: never an absolute path.

Documents remember the path they were ingested from (the CLI needs it). Over HTTP
a source is shown relative to the service's working directory (where `corpora/`
is ingested from) or to its data directory, and otherwise only by its last two
path components, so responses never reveal the server's file layout.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from kb.config import Settings

M = TypeVar("M", bound=BaseModel)


@lru_cache(maxsize=8)
def _roots(cwd: str, data_dir: str) -> tuple[Path, Path]:
    # Resolving walks the file system; every hit of every response asks, so once per pair.
    return Path(cwd).resolve(), Path(data_dir).resolve()


def public_source(source: str, settings: Settings) -> str:
    if not source or ":" in source.split("/", 1)[0] or not os.path.isabs(source):
        return source  # "upload:name.pdf" or already relative
    path = Path(source)
    for root in _roots(os.getcwd(), str(settings.data_dir)):
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            continue
    return "…/" + "/".join(path.parts[-2:])


def scrub(model: M, settings: Settings) -> M:
    """A copy of `model` (and every model inside it) with public sources."""
    updates = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name == "source" and isinstance(value, str):
            updates[name] = public_source(value, settings)
        elif isinstance(value, BaseModel):
            updates[name] = scrub(value, settings)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            updates[name] = [scrub(v, settings) for v in value]
    return model.model_copy(update=updates) if updates else model

