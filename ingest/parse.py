"""parse_file / parse_bytes: one file to one `ingest.models.Document` (re-exported as `kb.models.Document`).

A file's sidecar (its mirror folder's meta.yaml, a NAME.meta.yaml beside it, or YAML
front matter) gives its act's requisites first; the text fills what the sidecar leaves
out, and contradicts it only in warnings (`Document.warnings`)."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from ingest import metadata, mirror, requisites
from ingest.clean import is_boilerplate, normalize_chars, normalize_quotes, squeeze, take_date_header
from ingest.budget import BudgetExceeded, check, time_budget
from ingest.encoding import BinaryContent, decode_text
from ingest.errors import IngestError
from ingest.langid import KK_SHARE, combine, detect_or_none, kk_letter_share
from ingest.models import Document
from ingest.options import HasMaxFileMb, IngestOptions, as_options
from ingest.pieces import Piece
from ingest.sidecar import Sidecar, find_for, split_front_matter
from ingest.structure import build
from ingest.tables import TableLimit

log = logging.getLogger(__name__)

SHORT_LETTERS = 25
_FORM_START = re.compile(r"_{3,}\s*")
TEXT_FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
                ".html": "html", ".htm": "html"}
BINARY_FORMATS = {".pdf": "pdf", ".docx": "docx"}
SUPPORTED = sorted(TEXT_FORMATS) + sorted(BINARY_FORMATS)


def doc_id(data: bytes) -> str:
    """Content hash of the source bytes: the same file always gets the same id."""
    return hashlib.sha256(data).hexdigest()[:16]


def is_supported(path: str | Path) -> bool:
    return Path(path).suffix.lower() in TEXT_FORMATS or Path(path).suffix.lower() in BINARY_FORMATS


Options = IngestOptions | HasMaxFileMb | None
# Below this similarity a sidecar's title is reported as contradicting the text's.
TITLE_AGREEMENT = 0.6


def parse_file(path: str | Path, settings: Options = None) -> Document:
    """Parse a file; its sidecar (see ingest.sidecar) is looked up beside it."""
    settings = as_options(settings)
    path = Path(path)
    if not is_supported(path):
        raise IngestError(path, _unsupported(path))
    try:
        if not path.is_file():
            raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
        size = path.stat().st_size
        check_size(path, size, settings)
        data = path.read_bytes()
    except IngestError:
        raise
    except OSError as e:
        raise IngestError(path, f"cannot read file ({e.strerror or e})") from e
    sidecar = find_for(path) if settings.sidecars else None
    return parse_bytes(data, path.name, settings, source=str(path), sidecar=sidecar)


def check_size(name: str | Path, size: int, settings: Options) -> None:
    settings = as_options(settings)
    limit = settings.max_file_mb * 1024 * 1024
    if size > limit:
        raise IngestError(
            name, f"file is {size / 1048576:.1f} MB, over the {settings.max_file_mb:g} MB limit"
        )


def parse_bytes(
    data: bytes,
    name: str,
    settings: Options = None,
    source: str | None = None,
    sidecar: Sidecar | None = None,
) -> Document:
    """Parse an uploaded file's bytes; `name` gives the format (by extension) and the source.
    `sidecar`: what the file's sidecar says (`ingest.sidecar.find_for(path)`), if any."""
    settings = as_options(settings)
    where = source or name
    ext = Path(name).suffix.lower()
    if ext not in TEXT_FORMATS and ext not in BINARY_FORMATS:
        raise IngestError(where, _unsupported(Path(name)))
    check_size(where, len(data), settings)
    if not data.strip():
        raise IngestError(where, "empty file")

    try:
        with time_budget(settings.parse_timeout_s):
            return _parse(data, name, ext, where, settings, sidecar)
    except BudgetExceeded as e:
        raise IngestError(where, f"parsing took longer than {e.seconds:g} s (limit KB_PARSE_TIMEOUT_S)") from None


def _parse(
    data: bytes, name: str, ext: str, where: str, settings: IngestOptions, sidecar: Sidecar | None
) -> Document:
    meta: dict[str, str] = {}
    reader_warnings: list[str] = []  # the reader's: problems that left the rest of the file readable
    raw_text = ""
    date = None
    try:
        if ext in TEXT_FORMATS:
            fmt = TEXT_FORMATS[ext]
            try:
                decoded = decode_text(data)
            except BinaryContent as e:
                raise IngestError(where, str(e)) from e
            text = decoded.text
            meta["encoding"] = decoded.encoding
            if decoded.replaced:
                meta["decode_warning"] = (
                    f"{decoded.replaced} invalid UTF-8 byte(s) replaced with U+FFFD"
                )
                log.warning("%s: %s", where, meta["decode_warning"])
            text = normalize_chars(text)
            if fmt == "markdown":  # front matter is never text; it is read when sidecars are
                front, text = split_front_matter(text, where)
                sidecar = _combine_sidecars(sidecar, front) if settings.sidecars else sidecar
            raw_text = text
            text, date = take_date_header(text)
            pieces = _read_text_format(fmt, text, meta)
        else:
            fmt = BINARY_FORMATS[ext]
            pieces = _read_binary_format(fmt, data, meta, where, settings, reader_warnings)
    except (IngestError, BudgetExceeded):
        raise
    except TableLimit as e:
        raise IngestError(where, str(e)) from e
    except Exception as e:  # a reader bug must still name the file
        raise IngestError(where, f"cannot parse {fmt} ({type(e).__name__}: {e})") from e
    meta["format"] = fmt

    pieces = _drop_chrome(pieces)
    if not any(any(ch.isalpha() for ch in p.text) for p in pieces):
        reason = "no extractable text (no text layer, and no page image to OCR)" if fmt == "pdf" else "no text content"
        raise IngestError(where, reason)

    title, title_index = metadata.pick_title(pieces, meta)
    title = metadata.tidy_title(title) or Path(name).stem
    pieces = _drop_repeated_title(pieces, title_index)
    lang = _languages(pieces)
    text, blocks = build(pieces, lang, title_index)

    own_date, number = metadata.self_reference(pieces, title_index)
    if metadata.cues()["title_patterns"] and title_index is not None and not number:
        number = _code_number(title)
    date = date or own_date or _html_date(meta)
    kind = metadata.act_kind(text)
    if kind:
        meta["act_kind"] = kind
    meta = {k: v for k, v in meta.items() if k not in ("html_title", "docx_title", "html_date")}
    if sidecar and sidecar.part:
        meta["act_part"] = sidecar.part  # one part of a code: act_key + act_part name a language pair
    genre = metadata.genre(text, raw_text)
    issuer = metadata.issuer(text)
    from_text = requisites.from_text(
        raw_text or text, title=title, genre=genre, date=date, number=number, issuer=issuer
    )
    warnings = list(sidecar.warnings) if sidecar else []
    warnings += [f"{where}: {w}" for w in reader_warnings]
    reqs = from_text
    if sidecar and sidecar.requisites:
        reqs = requisites.merge(sidecar.requisites, from_text)
        warnings += _contradictions(sidecar, lang, title, where)
    elif sidecar and sidecar.lang and lang in ("kk", "ru") and sidecar.lang != lang:
        warnings += _contradictions(sidecar, lang, title, where)
    has_reqs = reqs is not None and bool(reqs.source_of)
    if has_reqs:
        genre = metadata.genre_for_kind(reqs.kind) or genre
    # A code part's sidecar is the code's: its date and number are the code's, not the chapter's.
    whole = sidecar is None or sidecar.whole_act
    return Document(
        id=doc_id(data),
        source=where,
        lang=lang,
        genre=genre,  # type: ignore[arg-type]
        title=title,
        date=date or (reqs.date if has_reqs and whole else None),
        number=number or (reqs.number if has_reqs and whole else None),
        issuer=issuer or (reqs.issuer if has_reqs else None),
        text=text,
        blocks=blocks,
        pages=int(meta["pages"]) if "pages" in meta else None,
        meta=meta,
        requisites=reqs if has_reqs else None,
        act_key=(sidecar.act_key if sidecar else None) or mirror.act_key(reqs.act_code if reqs else None),
        warnings=warnings,
    )


def _combine_sidecars(found: Sidecar | None, front: Sidecar | None) -> Sidecar | None:
    """A sidecar file wins over front matter, field by field; the warnings of both are kept."""
    if front is None or found is None:
        return found or front
    out = found.model_copy(deep=True)
    out.requisites = requisites.merge(found.requisites, front.requisites)
    out.warnings += front.warnings
    out.lang = out.lang or front.lang
    out.act_key = out.act_key or front.act_key
    return out


def _contradictions(sidecar: Sidecar, lang: str, title: str, where: str) -> list[str]:
    """Where the sidecar and the text disagree: reported, the text's reading kept."""
    out = []
    if sidecar.lang and lang in ("kk", "ru") and sidecar.lang != lang:
        out.append(
            f"{where}: sidecar {sidecar.path} says the file is in {sidecar.lang}, the text reads as {lang}; kept {lang}"
        )
    reqs = sidecar.requisites
    stated = getattr(reqs.title, lang, None) if reqs and lang in ("kk", "ru") else None
    if sidecar.whole_act and stated and _similarity(stated, title) < TITLE_AGREEMENT:
        out.append(f"{where}: sidecar {sidecar.path} field 'title': {stated!r} differs from the text's title {title!r}")
    return out


def _similarity(a: str, b: str) -> float:
    from difflib import SequenceMatcher

    def norm(s: str) -> str:
        return " ".join(re.findall(r"\w+", s.lower()))

    a, b = norm(a), norm(b)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


def _languages(pieces: list[Piece]) -> str:
    """Each piece's language, and the document's from them, weighted by letters.

    A short piece whose only evidence is lingua's guess ("А. Смаилов", "Еркин
    Дуйсенбаев": names read as either language) takes the document's language."""
    weights: dict[str, int] = {}
    for p in pieces:
        check()
        p.lang = detect_or_none(p.text)
        if p.lang:
            weights[p.lang] = weights.get(p.lang, 0) + sum(ch.isalpha() for ch in p.text)
    lang = combine(weights)
    for p in pieces:
        letters = sum(ch.isalpha() for ch in p.text)
        if p.lang and p.lang != lang and letters < SHORT_LETTERS and kk_letter_share(p.text) < KK_SHARE:
            p.lang = None
    return lang


def _read_text_format(fmt: str, text: str, meta: dict[str, str]) -> list[Piece]:
    if fmt == "markdown":
        return _read_markdown_anchored(text)
    if fmt == "html":
        from ingest.read_html import read_html

        pieces, head = read_html(text)
        meta.update(head)
        return pieces
    from ingest.read_text import lines_to_pieces, split_lines

    return lines_to_pieces(split_lines(text), page_furniture=True)


def _read_markdown_anchored(text: str) -> list[Piece]:
    """Markdown read segment by segment between the mirrors' anchor lines, so that the first
    piece after `<a id="st404"></a>` carries "st404" and no anchor reaches the text."""
    from ingest.read_markdown import read_markdown

    pieces: list[Piece] = []
    tables_so_far = 0
    for anchor, segment in mirror.split_anchors(mirror.strip_navigation(text)):
        part = read_markdown(segment)
        if part and anchor:
            part[0].anchor = anchor
        last = tables_so_far
        for p in part:  # each segment numbers its tables from 1: continue the document's count
            if p.table is not None:
                p.table += tables_so_far
                last = max(last, p.table)
        tables_so_far = last
        pieces += part
    return pieces


def _read_binary_format(
    fmt: str, data: bytes, meta: dict[str, str], where: str, settings: IngestOptions,
    warnings: list[str],
) -> list[Piece]:
    if fmt == "pdf":
        from ingest.read_pdf import PdfError, read_pdf

        if not data.lstrip().startswith(b"%PDF"):
            raise IngestError(where, "not a PDF file (no %PDF header)")
        try:
            pieces, head = read_pdf(data, settings, warnings)
        except PdfError as e:
            raise IngestError(where, str(e)) from e
    else:
        from ingest.read_docx import DocxLimit, DocxLimits, read_docx

        if not data.startswith(b"PK"):
            raise IngestError(where, "not a DOCX file (not a ZIP package)")
        limits = DocxLimits(settings.max_unzipped_mb, settings.max_zip_members, settings.max_table_columns)
        try:
            pieces, head = read_docx(data, limits)
        except DocxLimit as e:
            raise IngestError(where, str(e)) from e
        except BudgetExceeded:
            raise
        except Exception as e:
            raise IngestError(where, f"corrupt or unreadable DOCX ({type(e).__name__}: {e})") from e
    meta.update(head)
    return pieces


def _drop_chrome(pieces: list[Piece]) -> list[Piece]:
    """Quotes unified, and web chrome that readers of structured formats pass through dropped."""
    out = []
    for p in pieces:
        check()
        p.text = _strip_form_line(squeeze(normalize_quotes(p.text)))
        if p.kind != "table_row" and not any(ch.isalnum() for ch in p.text):
            continue  # "«", "»;" around amended table rows, "_____" form lines
        if p.cells is not None:
            p.cells = [normalize_quotes(c) for c in p.cells]
        if p.header is not None:
            p.header = [normalize_quotes(c) for c in p.header]
        if p.kind != "table_row" and is_boilerplate(p.text):
            continue
        if p.text:
            out.append(p)
    return out


def _strip_form_line(text: str) -> str:
    """"_____" blanks of a form off both ends (in code: the regex `\\s*_{3,}$` retried
    from every space of a long run of them)."""
    m = _FORM_START.match(text)
    if m:
        text = text[m.end():]
    bare = text.rstrip("_")
    if len(text) - len(bare) >= 3:
        text = bare.rstrip()
    return text


def _drop_repeated_title(pieces: list[Piece], title_index: int | None) -> list[Piece]:
    """Web pages print the headline twice (page title, then article title)."""
    if title_index is None:
        return pieces
    title = pieces[title_index].text
    return [
        p for i, p in enumerate(pieces)
        if i <= title_index or i > title_index + 4 or p.text != title
    ]


def _code_number(title: str) -> str | None:
    m = re.match(r"\s*([A-ZА-ЯЁ]{2,5}[-.]?\d+/\d+)\s*:", title)
    return m.group(1) if m else None


def _html_date(meta: dict[str, str]):
    import datetime as dt

    try:
        return dt.date.fromisoformat(meta["html_date"]) if meta.get("html_date") else None
    except ValueError:
        return None


def _unsupported(path: Path) -> str:
    ext = path.suffix.lower() or "(none)"
    return f"unsupported file type {ext} (supported: {', '.join(SUPPORTED)})"
