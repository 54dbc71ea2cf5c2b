"""Loading ingestion's data files from kb/data/ (patterns and cues live there, not in code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

import kb

DATA_DIR = Path(kb.__file__).resolve().parent / "data"


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as f:
        return yaml.safe_load(f)
