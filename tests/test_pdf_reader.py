"""PDF text from PDFium; pdfplumber only on the pages that may hold a ruled table."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ingest import parse_bytes
from ingest_samples import PLAN_HEADER, font_path, make_pdf


def text_pdf(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", font_path())
    pdf.set_font("DejaVu", size=12)
    subjects = ["атмосферного воздуха", "водных ресурсов", "почв и недр", "лесов", "животного мира"]
    for n in range(1, pages + 1):
        pdf.add_page()
        # different text on every page: lines repeated at page edges are running headers
        pdf.cell(0, 8, f"Статья {n}. Охрана {subjects[n % 5]}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 8, f"Уполномоченный орган по охране {subjects[n % 5]} представляет доклад.",
                 new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_text_pages_never_open_pdfplumber(monkeypatch):
    from ingest import read_pdf

    def no_plumber(data):
        raise AssertionError("pdfplumber opened for a PDF without tables")

    monkeypatch.setattr(read_pdf, "_open_plumber", no_plumber)
    doc = parse_bytes(text_pdf(3), "law.pdf")
    assert doc.pages == 3
    headings = [b for b in doc.blocks if b.text.startswith("Статья")]
    assert [b.page for b in headings] == [1, 2, 3]
    assert "по охране почв и недр представляет доклад" in doc.text and not any(b.ocr for b in doc.blocks)


def test_table_pages_go_through_pdfplumber(monkeypatch):
    from ingest import read_pdf

    opened = []
    real = read_pdf._open_plumber
    monkeypatch.setattr(read_pdf, "_open_plumber", lambda data: opened.append(1) or real(data))
    doc = parse_bytes(make_pdf(rows=40), "plan.pdf")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert opened == [1] and len(rows) == 40 and rows[0].header == PLAN_HEADER


def test_pdfs_parse_in_threads_alike():
    """PDFium is not thread-safe: the reader serialises its calls (the API parses in threads)."""
    files = [text_pdf(4), make_pdf(rows=12)] * 4
    alone = [parse_bytes(d, f"f{i}.pdf") for i, d in enumerate(files)]
    with ThreadPoolExecutor(4) as ex:
        together = list(ex.map(lambda a: parse_bytes(a[1], f"f{a[0]}.pdf"), enumerate(files)))
    assert [d.text for d in together] == [d.text for d in alone]


def test_encrypted_pdf_is_named():
    from fpdf import FPDF

    from ingest import IngestError

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "secret")
    pdf.set_encryption(owner_password="owner", user_password="user")
    with pytest.raises(IngestError, match="locked.pdf: encrypted PDF"):
        parse_bytes(bytes(pdf.output()), "locked.pdf")
