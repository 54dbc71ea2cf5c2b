"""Thin adapters to the parser and the entity tagger other modules own.

`ingest.parse_file` and `kb.entities` are used when they are importable. Until then (and only
then) a minimal local fallback keeps this package usable and testable; swapping in the real
components needs no change here, and removing the fallbacks is deleting two functions.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import re
from pathlib import Path

from kb.models import Block, Document, Entity

_KK_LETTERS = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)


def parse_file(path: str | Path) -> Document:
    """The project's parser when it exists; else the local fallback."""
    try:
        from ingest import parse_file as real_parse  # type: ignore[attr-defined]
    except ImportError:
        real_parse = None
    if real_parse is not None:
        return real_parse(path)
    return fallback_parse(path)


def tag(doc: Document) -> Document:
    """Entities (agencies, conventions, dates) from kb.entities when it exists."""
    try:
        from kb.entities import tag_document  # type: ignore[attr-defined]
    except ImportError:
        return doc
    out = tag_document(doc)
    return out if isinstance(out, Document) else doc


def date_entities(text: str, lang: str, doc_date: dt.date | None) -> list[Entity]:
    """Date entities of a short text: the project's tagger, else the fallback."""
    try:
        from kb.entities import extract  # type: ignore[attr-defined]
    except ImportError:
        extract = None
    if extract is not None:
        return [e for e in extract(text, lang, doc_date) if e.type == "date"]
    return fallback_dates(text, lang, doc_date)


# --- fallback parser --------------------------------------------------------------------------

_SUB = re.compile(r"^\s*(\d+(?:-\d+)?\)|[а-яa-z]\))\s")
_POINT = re.compile(r"^\s*(\d+(?:-\d+)?)\.\s")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+(?:-\d+)?[.)])\s")
_HEADING = re.compile(r"^\s*(?:#+\s|\*\*(?:Статья|\d+-бап)|(?:Статья|Глава)\s+\d+|\d+-(?:бап|тарау)\b)")
_ARTICLE = re.compile(r"(Статья\s+\d+(?:-\d+)?|\d+(?:-\d+)?-бап)")
_TD = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S | re.I)
_TR = re.compile(r"<tr[^>]*>.*?</tr>", re.S | re.I)


def _lang_of(path: Path, text: str) -> str:
    parts = {p.lower() for p in path.parts}
    if "kk" in parts or "kaz" in parts:
        return "kk"
    if "ru" in parts or "rus" in parts:
        return "ru"
    return "kk" if len(_KK_LETTERS.findall(text)) > 20 else "ru"


def fallback_parse(path: str | Path) -> Document:
    """Blocks from plain text / markdown: paragraphs, numbered points, TSV and HTML table rows.

    Offsets point into the file's text as read, so quotes stay exact. Lines broken inside a
    sentence (PDF extractions) are joined into one block.
    """
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: cannot read as UTF-8 text: {exc}") from exc
    lang = _lang_of(p, raw)
    text = raw
    blocks: list[Block] = []
    header: list[str] | None = None
    article = point = None

    def add(kind, start, end, path, cells=None, hdr=None):
        seg = text[start:end]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if trail <= lead:
            return
        blocks.append(Block(index=len(blocks), kind=kind, text=text[start + lead:start + trail], path=path,
                            start=start + lead, end=start + trail, lang=lang, cells=cells, header=hdr))

    # HTML tables: one block per <tr>; they are masked out of the line scan below.
    masked = list(text)
    for m in _TR.finditer(text):
        cells = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", c))).strip() for c in _TD.findall(m.group(0))]
        add("table_row", m.start(), m.end(), [x for x in (article, point) if x], cells, None)
        for i in range(m.start(), m.end()):
            masked[i] = " " if text[i] != "\n" else "\n"
    scan = "".join(masked)

    cur_start = cur_end = None
    cur_kind = "paragraph"
    cur_path: list[str] = []

    def flush():
        nonlocal cur_start
        if cur_start is not None:
            add(cur_kind, cur_start, cur_end, cur_path)
        cur_start = None

    pos = 0
    for line in scan.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        s = line.strip()
        if not s or s.startswith("```") or re.fullmatch(r"[<>/a-z ]+", s):
            continue
        if "\t" in line:
            flush()
            cells = [c.strip() for c in line.split("\t")]
            if header is None:
                header = cells
                add("table_row", start, end, ["table"], cells, None)
            else:
                add("table_row", start, end, ["table", f"row {cells[0]}"], cells, header)
            continue
        joins = (
            cur_start is not None
            and not _BULLET.match(line)
            and not _HEADING.match(line)
            and s[0].islower()
            and not re.search(r"[.;:!?»]\s*$", scan[cur_start:cur_end])
        )
        if joins:
            cur_end = end
            continue
        flush()
        if _HEADING.match(line):
            m = _ARTICLE.search(line)
            if m:
                article, point = m.group(1), None
            add("heading", start, end, [x for x in (article,) if x])
            continue
        m_point, m_sub = _POINT.match(line), _SUB.match(line)
        if m_point:
            point = f"п. {m_point.group(1)}"
            cur_path, cur_kind = [x for x in (article, point) if x], "paragraph"
        elif m_sub:
            cur_path, cur_kind = [x for x in (article, point, f"пп. {m_sub.group(1)}") if x], "list_item"
        else:
            cur_path, cur_kind = [x for x in (article, point) if x], "list_item" if _BULLET.match(line) else "paragraph"
        cur_start, cur_end = start, end
    flush()
    blocks.sort(key=lambda b: b.start)
    for i, b in enumerate(blocks):
        b.index = i
    title = next((b.text.lstrip("# ").strip() for b in blocks if b.kind in ("heading", "paragraph")), p.stem)
    years = re.findall(r"\b(19\d\d|20\d\d)\b", title) or re.findall(r"\b(20\d\d)\b", p.stem)
    doc_date = dt.date(int(years[-1]), 1, 1) if years else None
    return Document(id=hashlib.sha256(raw.encode()).hexdigest()[:16], source=str(p), lang=lang, genre="other",
                    title=title[:300], date=doc_date, text=text, blocks=blocks, meta={"parser": "obligations-fallback"})


# --- fallback dates -----------------------------------------------------------------------------

_RU_MONTHS = ["январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр"]
_KK_MONTHS = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"]
_RU_MONTH_WORD = r"(январ[ьяе]|феврал[ьяе]|марта?|марте|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|августа?|августе|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])"
_KK_MONTH_WORD = r"(" + "|".join(_KK_MONTHS) + r")\w*"


def _month_index(word: str, lang: str) -> int | None:
    w = word.lower()
    table = _KK_MONTHS if lang == "kk" else _RU_MONTHS
    for i, stem in enumerate(table):
        if lang != "kk" and stem == "ма":
            if re.fullmatch(r"ма[йяе]", w):
                return 5
            continue
        if w.startswith(stem):
            return i + 1
    return None


def _month_interval(y: int, m: int) -> str:
    return f"{y:04d}-{m:02d}-01/{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"


def fallback_dates(text: str, lang: str, doc_date: dt.date | None) -> list[Entity]:
    out: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def put(m, value, inferred=False):
        if any(m.start() < e and s < m.end() for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        out.append(Entity(type="date", text=m.group(0), start=m.start(), end=m.end(), value=value, lang=lang, inferred=inferred))

    if lang == "kk":
        for m in re.finditer(r"(\d{4})\s+жылғы\s+(\d{1,2})\s+" + _KK_MONTH_WORD, text, re.I):
            mi = _month_index(m.group(3), "kk")
            put(m, f"{int(m.group(1)):04d}-{mi:02d}-{int(m.group(2)):02d}")
        for m in re.finditer(r"(\d{4})\s+жылғы\s+(\d)\s*-?\s*тоқсан", text, re.I):
            q, y = int(m.group(2)), int(m.group(1))
            put(m, f"{y}-{3 * q - 2:02d}-01/{y}-{3 * q:02d}-{calendar.monthrange(y, 3 * q)[1]:02d}")
    else:
        for m in re.finditer(r"(\d{1,2})\s+" + _RU_MONTH_WORD + r"\s+(\d{4})", text, re.I):
            mi = _month_index(m.group(2), "ru")
            put(m, f"{int(m.group(3)):04d}-{mi:02d}-{int(m.group(1)):02d}")
        for m in re.finditer(r"(\d)\s*(?:-?й\s+)?квартал\w*\s+(\d{4})", text, re.I):
            q, y = int(m.group(1)), int(m.group(2))
            put(m, f"{y}-{3 * q - 2:02d}-01/{y}-{3 * q:02d}-{calendar.monthrange(y, 3 * q)[1]:02d}")
    month_word = _KK_MONTH_WORD if lang == "kk" else _RU_MONTH_WORD
    for m in re.finditer(r"\b" + month_word + r"\b", text, re.I):
        if doc_date is None:
            continue
        mi = _month_index(m.group(1), lang)
        if mi:
            put(m, _month_interval(doc_date.year, mi), inferred=True)
    out.sort(key=lambda e: e.start)
    return out
