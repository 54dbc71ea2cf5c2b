"""Text cleaning shared by the readers: characters, quotes, boilerplate, hard-wrapped lines.

Cleaning never changes words: it joins what a layout split (wrapped lines,
hyphenated words), drops what is not content (page numbers, "back to the press
centre" links), and unifies typography (spaces, quote marks).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from ingest.data import load

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile("[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_DQUOTES = "\"“”„‟″"
_SQUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'"})
_OPENS_AFTER = set(" \t\n([{«/—–-")

TERMINAL = ".!?;:…"
_LOWER_START = re.compile(r"^[«(\"]?[a-zа-яёәғқңөұүһі]")
_HYPHEN_END = re.compile(r"[^\W\d_]-$")
BULLET = re.compile(r"^\s*[-•*–—●▪◦·]\s+")


@lru_cache(maxsize=1)
def boilerplate() -> dict:
    raw = load("boilerplate.yaml")
    return {
        "web": [re.compile(p, re.I) for p in raw["web"]],
        "page": [re.compile(p, re.I) for p in raw["page"]],
        "date_header": re.compile(raw["date_header"], re.I),
    }


def normalize_chars(text: str) -> str:
    """NFC, no invisible characters, one kind of line break. (Quotes are unified later,
    on the extracted text: in markup a quote can be syntax, as in rowspan="2".)"""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")


def normalize_quotes(text: str) -> str:
    """Straight and English double quotes become «» (the Russian/Kazakh norm), by position."""
    text = text.translate(_SQUOTES)
    if not any(q in text for q in _DQUOTES):
        return text
    out = []
    for i, ch in enumerate(text):
        if ch in _DQUOTES:
            prev = text[i - 1] if i else " "
            out.append("«" if prev in _OPENS_AFTER else "»")
        else:
            out.append(ch)
    return "".join(out)


def squeeze(text: str) -> str:
    """One line, single spaces."""
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


def is_boilerplate(line: str, kinds: tuple[str, ...] = ("web",)) -> bool:
    line = squeeze(line)
    if not line:
        return False
    patterns = boilerplate()
    return any(p.fullmatch(line) for kind in kinds for p in patterns[kind])


def take_date_header(text: str) -> tuple[str, dt.date | None]:
    """Remove a scraper's leading "date 2026-01-15" header; return the text and the date."""
    m = boilerplate()["date_header"].match(text)
    if not m:
        return text, None
    try:
        date = dt.date.fromisoformat(m.group(1))
    except ValueError:
        return text, None
    return text[m.end():], date


def ends_sentence(line: str) -> bool:
    """Ends with sentence punctuation, possibly inside a closing quote or bracket (".»")."""
    line = line.rstrip()
    if line.endswith(("»", ")")):
        line = line[:-1].rstrip()
    return line.endswith(tuple(TERMINAL))


def joins(prev: str, nxt: str) -> bool:
    """Is `nxt` the continuation of `prev`, split by a hard line break?"""
    prev, nxt = prev.rstrip(), nxt.strip()
    if not prev or not nxt or BULLET.match(nxt):
        return False
    if _HYPHEN_END.search(prev) and _LOWER_START.match(nxt):
        return True
    return not ends_sentence(prev) and bool(_LOWER_START.match(nxt))


def join_all(lines: list[str]) -> str:
    """`join_lines` over many lines, in linear time: joining one by one re-scans and
    re-copies the growing text (a 300 KB file of one-letter lines took minutes)."""
    if not lines:
        return ""
    parts = [lines[0]]
    for nxt in lines[1:]:
        while parts and not parts[-1].strip():
            parts.pop()
        if parts:
            parts[-1] = parts[-1].rstrip()
        nxt = nxt.strip()
        if _HYPHEN_END.search(_tail(parts, 2)) and _LOWER_START.match(nxt):
            parts[-1] = parts[-1][:-1]
            parts.append(nxt)
        else:
            parts += [" ", nxt]
    return "".join(parts)


def _tail(parts: list[str], n: int) -> str:
    """The last n characters of "".join(parts), without joining them all."""
    out = ""
    for part in reversed(parts):
        out = part + out
        if len(out) >= n:
            break
    return out[-n:]


def join_lines(prev: str, nxt: str) -> str:
    """Join a continuation line, undoing end-of-line hyphenation ("организа-" + "ции")."""
    prev, nxt = prev.rstrip(), nxt.strip()
    if _HYPHEN_END.search(prev) and _LOWER_START.match(nxt):
        return prev[:-1] + nxt
    return prev + " " + nxt
