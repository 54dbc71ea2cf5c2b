"""Scanned PDFs: pages without a text layer are read by Tesseract (Kazakh and Russian).

The scans are made here: a text page (fpdf2, a Cyrillic TTF) rendered to an image with
pypdfium2 and wrapped back into a PDF that holds only that image."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from ingest import IngestError, parse_bytes
from ingest.options import IngestOptions

KK_LINES = [
    "Қазақстан Республикасы Экология министрлігінің бұйрығы",
    "1. Министрлік қалдықтарды басқару жөніндегі жоспарды бекітеді.",
    "2. Уәкілетті орган жыл сайын есеп дайындайды және оны үкіметке ұсынады.",
]
RU_LINES = [
    "Приказ Министра экологии Республики Казахстан",
    "1. Министерство утверждает план по управлению отходами.",
    "2. Уполномоченный орган ежегодно готовит отчет и представляет его правительству.",
]
KK_WORDS = ["Қазақстан", "министрлігінің", "қалдықтарды", "үкіметке"]
RU_WORDS = ["Казахстан", "Министерство", "отходами", "правительству"]


def _font() -> str:
    candidates = [
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        *sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf")),
    ]
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf")
    except ImportError:
        pass
    for c in candidates:
        if c.is_file():
            return str(c)
    pytest.skip("no Cyrillic-capable TTF (DejaVuSans.ttf) found to draw the test page")


def _tesseract_langs() -> set[str]:
    binary = shutil.which("tesseract")
    if binary is None:
        return set()
    out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=False)
    return {ln.strip() for ln in out.stdout.splitlines()[1:] if ln.strip()}


needs_tesseract = pytest.mark.skipif(
    not {"kaz", "rus"} <= _tesseract_langs(),
    reason="OCR tests need tesseract-ocr with kaz and rus data (make tesseract)",
)


def text_pdf(pages: list[list[str]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", _font())
    pdf.set_font("DejaVu", size=13)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 9, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def make_scan(pages: list[list[str]], dpi: int = 200, keep_text: set[int] = frozenset()) -> bytes:
    """Each page drawn as text, rendered to an image and put back as an image-only page
    (pages in `keep_text`, 1-based, keep their text layer: a scan with born-digital pages)."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    out = FPDF()
    out.add_font("DejaVu", "", _font())
    out.set_font("DejaVu", size=13)
    for number, lines in enumerate(pages, start=1):
        out.add_page()
        if number in keep_text:
            for line in lines:
                out.multi_cell(0, 9, line, new_x="LMARGIN", new_y="NEXT")
                out.ln(3)
            continue
        page = pdfium.PdfDocument(text_pdf([lines]))[0]
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        out.image(buf, x=0, y=0, w=out.w, h=out.h)
    return bytes(out.output())


def _has_words(text: str, words: list[str], at_least: int) -> bool:
    low = text.lower()
    return sum(w.lower() in low for w in words) >= at_least


@needs_tesseract
@pytest.mark.parametrize("lang, lines, words", [("kk", KK_LINES, KK_WORDS), ("ru", RU_LINES, RU_WORDS)])
def test_scanned_page_is_read_by_ocr(lang, lines, words):
    data = make_scan([lines])
    doc = parse_bytes(data, f"scan-{lang}.pdf")
    # OCR noise is allowed: most of the distinctive words must come through
    assert _has_words(doc.text, words, at_least=3), doc.text
    assert doc.lang == lang
    assert doc.blocks and all(b.ocr and b.page == 1 for b in doc.blocks)
    assert doc.meta["ocr_pages"] == "1"
    assert "kaz" in doc.meta["ocr_langs"] and "rus" in doc.meta["ocr_langs"]
    assert doc.warnings == []


@needs_tesseract
def test_mixed_pdf_marks_only_the_scanned_pages():
    data = make_scan([RU_LINES, KK_LINES], keep_text={1})
    doc = parse_bytes(data, "mixed.pdf")
    assert doc.pages == 2 and doc.meta["ocr_pages"] == "2"
    page1 = [b for b in doc.blocks if b.page == 1]
    page2 = [b for b in doc.blocks if b.page == 2]
    assert page1 and not any(b.ocr for b in page1)
    assert page2 and all(b.ocr for b in page2)
    assert _has_words(" ".join(b.text for b in page2), KK_WORDS, at_least=3)


@needs_tesseract
def test_ocr_timeout_keeps_the_other_pages(monkeypatch):
    """A page whose OCR times out is named in a warning; the pages that worked are stored."""
    from ingest import ocr

    real = ocr.ocr_png
    calls = {"n": 0}

    def second_page_hangs(png, langs, timeout_s, dpi):
        calls["n"] += 1
        if calls["n"] == 2:
            return real(png, langs, 0.001, dpi)  # a real tesseract run killed by its timeout
        return real(png, langs, timeout_s, dpi)

    monkeypatch.setattr(ocr, "ocr_png", second_page_hangs)
    last = ["3. Настоящий приказ вводится в действие со дня его первого официального опубликования."]
    data = make_scan([RU_LINES, KK_LINES, last])
    doc = parse_bytes(data, "slow.pdf", IngestOptions(ocr_page_timeout_s=30))
    assert doc.meta["ocr_pages"] == "1,3" and doc.meta["ocr_failed_pages"] == "2"
    (warning,) = doc.warnings
    assert "slow.pdf" in warning and "page 2" in warning and "timed out" in warning
    assert {b.page for b in doc.blocks} == {1, 3} and all(b.ocr for b in doc.blocks)
    assert "опубликования" in doc.text


@needs_tesseract
def test_ocr_failing_on_every_page_is_a_clear_error(monkeypatch):
    from ingest import ocr

    def broken(png, langs, timeout_s, dpi):
        raise ocr.OcrFailed("tesseract exit 1: Error in pixReadMem")

    monkeypatch.setattr(ocr, "ocr_png", broken)
    with pytest.raises(IngestError, match=r"scan\.pdf: scanned PDF: OCR failed on page 1 .*pixReadMem"):
        parse_bytes(make_scan([RU_LINES]), "scan.pdf")


def test_corrupt_image_layer_does_not_stop_the_file(monkeypatch):
    """An image stream that cannot be decoded: that page is reported, the text page stays."""
    from fpdf import FPDF

    from ingest import read_pdf

    pdf = FPDF()
    pdf.add_font("DejaVu", "", _font())
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "\n".join(RU_LINES))
    pdf.add_page()
    pdf.image(_tiny_png(), x=10, y=10, w=100)
    data = bytes(pdf.output())

    def render_fails(doc, number, dpi):
        raise OSError("broken data stream when reading image file")

    monkeypatch.setattr(read_pdf, "_render_png", render_fails)
    monkeypatch.setattr("ingest.ocr.languages", lambda wanted: ("kaz+rus", []))
    doc = parse_bytes(data, "damaged.pdf")
    assert "Министерство" in doc.text
    (warning,) = doc.warnings
    assert "damaged.pdf" in warning and "page 2" in warning and "cannot render" in warning


def test_scan_without_tesseract_names_the_packages(monkeypatch):
    from ingest import ocr

    monkeypatch.setattr(ocr, "_binary", lambda: None)
    data = make_scan([RU_LINES], dpi=100)
    with pytest.raises(IngestError) as err:
        parse_bytes(data, "scan.pdf")
    msg = str(err.value)
    assert msg.startswith("scan.pdf: scanned PDF")
    assert "tesseract-ocr" in msg and "tesseract-ocr-kaz" in msg and "tesseract-ocr-rus" in msg


def _tiny_png() -> io.BytesIO:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (40, 20), 255).save(buf, format="PNG")
    buf.seek(0)
    return buf


@needs_tesseract
def test_damaged_jpeg_page_is_stored_empty_and_the_rest_kept():
    """A real corrupt image stream (JPEG bytes scrambled): no exception, the text page is kept."""
    from fpdf import FPDF
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (400, 200), 255).save(buf, format="JPEG")
    jpg = buf.getvalue()
    pdf = FPDF()
    pdf.add_font("DejaVu", "", _font())
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "\n".join(RU_LINES))
    pdf.add_page()
    pdf.image(io.BytesIO(jpg), x=10, y=10, w=150)
    data = bytes(pdf.output())
    at = data.index(jpg[:64])
    scrambled = bytes((b * 7 + 3) % 256 for b in data[at + 20:at + len(jpg) - 10])
    data = data[:at + 20] + scrambled + data[at + len(jpg) - 10:]
    doc = parse_bytes(data, "damaged.pdf")
    assert "Министерство утверждает план" in doc.text
    assert doc.meta["ocr_empty_pages"] == "2" and all(not b.ocr for b in doc.blocks)


@needs_tesseract
def test_blank_scan_says_ocr_found_nothing():
    with pytest.raises(IngestError, match=r"blank\.pdf: scanned PDF: OCR found no text on page 1"):
        parse_bytes(make_scan([[" "]], dpi=100), "blank.pdf")


def test_ocr_time_does_not_spend_the_file_budget(monkeypatch):
    """Each OCR'd page has its own limit (KB_OCR_PAGE_TIMEOUT_S); the file's parse budget
    (KB_PARSE_TIMEOUT_S, here 1 s) pauses meanwhile, its timer signal included."""
    import time

    from ingest import ocr

    def slow_ocr(png, langs, timeout_s, dpi):
        time.sleep(0.8)
        return "Министерство утверждает план по управлению отходами.\n"

    monkeypatch.setattr(ocr, "ocr_png", slow_ocr)
    monkeypatch.setattr(ocr, "languages", lambda wanted: ("kaz+rus", []))
    parse_bytes("Прогрев языковой модели.".encode(), "warm.txt")
    data = make_scan([["a"], ["b"]], dpi=50)
    doc = parse_bytes(data, "slow.pdf", IngestOptions(parse_timeout_s=1.0))
    assert doc.meta["ocr_pages"] == "1,2" and "отходами" in doc.text


def test_ocr_settings_reach_the_reader(monkeypatch):
    from kb.config import Settings

    monkeypatch.setenv("KB_OCR_PAGE_TIMEOUT_S", "12.5")
    monkeypatch.setenv("KB_OCR_DPI", "200")
    options = Settings().ingest_options()
    assert options.ocr_page_timeout_s == 12.5 and options.ocr_dpi == 200 and options.ocr_langs == "kaz+rus"
