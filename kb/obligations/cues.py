"""Kazakh cue words and endings of the obligation extractor, compiled from kb/data/kk_cues.yaml
(data, not code: a new ending is one line there)."""

from __future__ import annotations

import re
from functools import lru_cache

from kb.lang.script import load_yaml

DATA_FILE = "kk_cues.yaml"


def _alt(words: list[str], key: str) -> str:
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
        raise ValueError(f"kb/data/{DATA_FILE}: {key}: expected a non-empty list of strings")
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def kk_cues() -> dict:
    raw = load_yaml(DATA_FILE)
    words = [w for w in raw.get("connectors", []) if w != ","]
    return {
        "participle": re.compile(r"\s*\w+(?:" + _alt(raw.get("participle_endings"), "participle_endings") + r")\b"),
        "modifier": re.compile(r"(?:" + _alt(raw.get("modifier_endings"), "modifier_endings") + r")$"),
        "object": re.compile(r"(?:" + _alt(raw.get("object_endings"), "object_endings") + r")$"),
        "connect": re.compile((r",|" if "," in raw.get("connectors", []) else "") + r"\b(?:"
                              + _alt(words, "connectors") + r")\b"),
        "name": re.compile(r"(?:" + _alt(raw.get("name_endings"), "name_endings") + r")$"),
        "letters": re.compile("[" + str(raw.get("kk_letters", "")) + "]", re.IGNORECASE),
        "letter_threshold": int(raw.get("kk_letter_threshold", 3)),
    }
