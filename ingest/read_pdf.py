"""PDFs: text per page read with PDFium (pypdfium2, fast), tables with pdfplumber on the pages
that have ruling lines, and pages without a text layer (scans) read by OCR (ingest.ocr).
Running headers/footers are dropped, and a table that runs onto the next page is merged
back into one (its repeated header skipped, a row split by the page break rejoined)."""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from ingest.budget import BudgetExceeded, check, paused
from ingest.clean import is_boilerplate, join_all, join_lines, normalize_chars, squeeze
from ingest.options import IngestOptions
from ingest.pieces import Piece
from ingest.read_text import Line, lines_to_pieces, table_pieces

# PDFium is not thread-safe (pypdfium2's documentation): the API parses uploads in threads.
_PDFIUM = threading.Lock()
# A page with at least this many path objects (lines, rectangles) may hold a ruled table:
# only such pages go through pdfplumber's table finder.
TABLE_PATHS = 4
# A page rendered for OCR has at most this many pixels, whatever its size and the DPI.
MAX_OCR_PIXELS = 40_000_000
# PDFium marks a hyphen it removed at a line end with one of these: the line break comes back.
_SOFT_HYPHENS = ("\x02", "\ufffe")


class PdfError(ValueError):
    pass


@dataclass
class _Table:
    rows: list[list[str]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)


def _cell(value: str | None) -> str:
    if not value:
        return ""
    parts = normalize_chars(value).split("\n")
    while parts and not parts[0].strip():
        parts.pop(0)  # the first line with text opens the cell, as join_lines did
    return squeeze(join_all([parts[0].strip()] + parts[1:])) if parts else ""


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", squeeze(text).lower())


def read_pdf(
    data: bytes, options: IngestOptions | None = None, warnings: list[str] | None = None
) -> tuple[list[Piece], dict[str, str]]:
    """Pieces and metadata of a PDF. Problems that leave the rest of the file readable (OCR
    failing on some pages) are appended to `warnings`, one line each."""
    import pypdfium2 as pdfium

    opts = options or IngestOptions()
    warnings = warnings if warnings is not None else []
    with _PDFIUM:
        try:
            doc = pdfium.PdfDocument(data)
            pages = len(doc)
        except Exception as e:  # PdfiumError for broken or locked files
            raise PdfError(_reason(e)) from e
    ocr = _Ocr(opts)
    plumber = None
    pages_entries: list[list[object]] = []  # per page: Lines and raw table rows, top to bottom
    try:
        for number in range(1, pages + 1):
            check()
            with _PDFIUM:
                text, paths, images = _page_layer(doc, number)
            if not text.strip() and images:
                entries = ocr.page(doc, number)
            elif paths >= TABLE_PATHS and text.strip():
                if plumber is None:
                    plumber = _open_plumber(data)
                entries = _plumber_page(plumber, number) or _text_lines(text, number)
            else:
                entries = _text_lines(text, number)
            pages_entries.append(entries)
    except (PdfError, BudgetExceeded):
        raise
    except Exception as e:
        raise PdfError(_reason(e)) from e
    finally:
        if plumber is not None:
            plumber.close()
        with _PDFIUM:
            doc.close()
    head = {"pages": str(pages)}
    ocr.report(head, warnings, any(pages_entries))

    repeated = _running_lines(
        [[e.text for e in entries if isinstance(e, Line)] for entries in pages_entries]
    )
    items: list[Line | _Table] = []
    seen: set[str] = set()
    for number, entries in enumerate(pages_entries, start=1):
        content_before = False  # on this page, before the current entry
        for entry in entries:
            if isinstance(entry, Line):
                key = _furniture_key(entry.text)
                if is_boilerplate(entry.text, ("page",)):
                    continue
                if key in repeated:
                    if number == 1 and not content_before and key not in seen:
                        seen.add(key)  # a running title at the top of page 1 is its title there
                        items.append(entry)
                    continue
                if entry.text.strip():
                    items.append(entry)
                    content_before = True
                continue
            rows = entry  # type: ignore[assignment]
            prev = items[-1] if items and isinstance(items[-1], _Table) else None
            if not content_before and prev is not None and len(prev.rows[0]) == len(rows[0]):
                _continue_table(prev, rows, number)
            else:
                items.append(_Table(rows, [number] * len(rows)))
            content_before = True

    out: list[Line | Piece] = []
    table_no = 0
    for it in items:
        if isinstance(it, _Table):
            table_no += 1
            out.extend(table_pieces(it.rows, table_no, it.pages))  # type: ignore[arg-type]
        else:
            out.append(it)
    pieces = lines_to_pieces(out, page_furniture=True)
    for p in pieces:
        p.ocr = p.page in ocr.done
    return pieces, head


def _page_layer(doc, number: int) -> tuple[str, int, int]:
    """(the page's text layer, its path objects up to TABLE_PATHS, its image objects up to 1)."""
    import pypdfium2.raw as raw

    try:
        page = doc[number - 1]
    except Exception as e:
        raise PdfError(f"corrupt or unreadable PDF (page {number}: {str(e)[:120] or type(e).__name__})") from e
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded() if textpage.count_chars() > 0 else ""
        finally:
            textpage.close()
        paths = images = 0
        for obj in page.get_objects():
            if obj.type == raw.FPDF_PAGEOBJ_PATH:
                paths += 1
            elif obj.type == raw.FPDF_PAGEOBJ_IMAGE:
                images += 1
            if paths >= TABLE_PATHS and images:
                break  # enough to decide both ways
        return text, paths, images
    finally:
        page.close()


def _text_lines(text: str, number: int) -> list[object]:
    for mark in _SOFT_HYPHENS:
        text = text.replace(mark, "-\n")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [Line(normalize_chars(ln), number) for ln in lines if ln.strip()]


def _open_plumber(data: bytes):
    import pdfplumber

    try:
        return pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # pdfminer raises many types for broken files
        raise PdfError(_reason(e)) from e


def _plumber_page(pdf, number: int) -> list[object]:
    """The page's lines and tables from pdfplumber, top to bottom; [] when it finds no table
    (the page's text then comes from PDFium)."""
    page = pdf.pages[number - 1]
    found = page.find_tables()
    if not found:
        return []
    boxes = [t.bbox for t in found]

    def outside(obj, boxes=boxes):
        x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    lines = page.filter(outside).extract_text_lines(return_chars=False)
    entries: list[tuple[float, object]] = [
        (ln["top"], Line(normalize_chars(ln["text"]), number)) for ln in lines
    ]
    for t in found:
        rows = [[_cell(c) for c in row] for row in t.extract()]
        rows = [r for r in rows if any(r)]
        if rows:
            entries.append((t.bbox[1], rows))
    entries.sort(key=lambda e: e[0])
    return [e for _, e in entries]


class _Ocr:
    """OCR of the pages without a text layer: which were read, which failed and why."""

    def __init__(self, opts: IngestOptions):
        self.opts = opts
        self.done: set[int] = set()
        self.failed: dict[int, str] = {}
        self.skipped: list[int] = []  # over KB_OCR_MAX_PAGES
        self.unavailable: str | None = None
        self.missing_langs: list[str] = []
        self.langs: str | None = None
        self.wanted: list[int] = []
        self.empty: list[int] = []  # OCR'd, no text found

    def page(self, doc, number: int) -> list[object]:
        from ingest import ocr

        self.wanted.append(number)
        if self.unavailable is not None:
            return []
        if self.langs is None:
            try:
                self.langs, self.missing_langs = ocr.languages(self.opts.ocr_langs)
            except ocr.OcrUnavailable as e:
                self.unavailable = str(e)
                return []
        if len(self.done) + len(self.failed) >= self.opts.ocr_max_pages:
            self.skipped.append(number)
            return []
        try:
            with _PDFIUM:
                png = _render_png(doc, number, self.opts.ocr_dpi)
            with paused():  # each page has its own timeout; the file's budget waits
                text = ocr.ocr_png(png, self.langs, self.opts.ocr_page_timeout_s, self.opts.ocr_dpi)
        except ocr.OcrFailed as e:
            self.failed[number] = str(e)
            return []
        except BudgetExceeded:
            raise
        except Exception as e:  # a corrupt image layer: this page fails, the file goes on
            self.failed[number] = f"cannot render the page image ({type(e).__name__}: {str(e)[:120]})"
            return []
        self.done.add(number)
        lines = [Line(normalize_chars(ln), number) for ln in text.split("\n") if ln.strip()]
        if not lines:
            self.empty.append(number)  # a blank sheet, or an image too damaged to read
        return lines

    def report(self, head: dict[str, str], warnings: list[str], any_text: bool) -> None:
        """OCR's pages into the metadata, its problems into warnings; a scan nothing could
        read is an error that says why."""
        if self.unavailable and not any_text:
            raise PdfError(f"scanned PDF (no text layer on {_pages(self.wanted)}): {self.unavailable}")
        if self.failed and not any_text:
            raise PdfError("scanned PDF: OCR failed on " + _failures(self.failed))
        if self.empty and not any_text:
            raise PdfError(f"scanned PDF: OCR found no text on {_pages(self.empty)}")
        if self.unavailable:
            warnings.append(f"{_pages(self.wanted)} not read (no text layer): {self.unavailable}")
        if self.done:
            head["ocr_pages"] = ",".join(str(n) for n in sorted(self.done))
            head["ocr_langs"] = self.langs or ""
        if self.empty:
            head["ocr_empty_pages"] = ",".join(str(n) for n in self.empty)
        if self.failed:
            head["ocr_failed_pages"] = ",".join(str(n) for n in sorted(self.failed))
            warnings.append("OCR failed on " + _failures(self.failed) + "; the other pages are stored")
        if self.skipped:
            warnings.append(
                f"{_pages(self.skipped)} not read: over the {self.opts.ocr_max_pages} pages OCR'd per file "
                "(KB_OCR_MAX_PAGES)"
            )
        if self.done and self.missing_langs:
            warnings.append(
                "OCR ran without Tesseract's language data for "
                + ", ".join(self.missing_langs) + " (install tesseract-ocr-" + ", tesseract-ocr-".join(self.missing_langs) + ")"
            )


def _render_png(doc, number: int, dpi: int) -> bytes:
    page = doc[number - 1]
    try:
        w, h = page.get_size()
        scale = dpi / 72
        if w * h * scale * scale > MAX_OCR_PIXELS:
            scale = (MAX_OCR_PIXELS / max(w * h, 1.0)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        image = bitmap.to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()
    finally:
        page.close()


def _pages(numbers: list[int]) -> str:
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(str(n) for n in numbers)


def _failures(failed: dict[int, str]) -> str:
    return _pages(sorted(failed)) + " (" + "; ".join(f"page {n}: {why}" for n, why in sorted(failed.items())) + ")"


def _continue_table(prev: _Table, rows: list[list[str]], page: int) -> None:
    if rows and rows[0] == prev.rows[0]:
        rows = rows[1:]  # the header repeated at the top of the new page
    if rows and not rows[0][0] and prev.rows and any(rows[0][1:]):
        # no row number: the rest of the previous page's last row
        last = prev.rows[-1]
        prev.rows[-1] = [join_lines(a, b) if a and b else a or b for a, b in zip(last, rows[0])]
        rows = rows[1:]
    prev.rows.extend(rows)
    prev.pages.extend([page] * len(rows))


def _running_lines(page_lines: list[list[str]]) -> set[str]:
    """Lines at the top or bottom of most pages (running headers, footers, page numbers)."""
    if len(page_lines) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in page_lines:
        edge = {_furniture_key(t) for t in lines[:2] + lines[-2:] if t.strip()}
        counts.update(edge)
    need = max(2, (len(page_lines) + 1) // 2)
    return {k for k, n in counts.items() if n >= need}


def _reason(e: Exception) -> str:
    # pdfplumber wraps pdfminer's error: the cause is in args
    causes = [e, *(a for a in e.args if isinstance(a, Exception))]
    names = " ".join(type(c).__name__ + " " + str(c) for c in causes).lower()
    if "password" in names or "encrypt" in names:
        return "encrypted PDF (a password is required)"
    inner = causes[-1]
    return f"corrupt or unreadable PDF ({type(inner).__name__}: {str(inner)[:120] or 'no details'})"
