"""Small documents generated for the ingestion tests: PDFs (fpdf2) and DOCX (python-docx)
with Cyrillic and Kazakh text, and a table that runs over a page break."""

from __future__ import annotations

import io

FONT = None


def font_path() -> str:
    import matplotlib

    return matplotlib.get_data_path() + "/fonts/ttf/DejaVuSans.ttf"


PLAN_HEADER = ["№", "Іс-шара / Мероприятие", "Мерзімі", "Жауапты орган"]


LONG_MEASURE = ("Тұрақты органикалық ластағыштардың қорларын түгендеу және қоршаған ортаға "
                "шығарындыларды бақылау жүйесін жетілдіру")


def plan_rows(n: int) -> list[list[str]]:
    rows = [
        [str(i), f"Қалдықтарды басқару жөніндегі іс-шара {i}: мониторинг өткізу", "2025 жылғы желтоқсан",
         "ЭТРМ, Қазгидромет"]
        for i in range(1, n + 1)
    ]
    rows[2][1] = LONG_MEASURE  # wraps over several lines inside its cell
    return rows


def make_pdf(rows: int = 40, *, footer: bool = True) -> bytes:
    """Two+ pages: a Russian/Kazakh heading and paragraph, hard-wrapped text with a
    hyphenated word, then a bordered table long enough to continue on page 2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", font_path())
    pdf.add_font("DejaVu", "B", font_path().replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    pdf.set_font("DejaVu", size=11)
    if footer:
        pdf.set_auto_page_break(True, margin=20)

        def footer_fn(self=pdf):
            self.set_y(-15)
            self.set_font("DejaVu", size=8)
            self.cell(0, 10, f"Стр. {self.page_no()}", align="C")

        pdf.footer = footer_fn  # type: ignore[method-assign]
    pdf.add_page()
    pdf.set_font("DejaVu", size=14)
    pdf.cell(0, 10, "Қалдықтарды басқару жөніндегі жоспар", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=11)
    # explicit hard line breaks, as a PDF's text layer has them; one word hyphenated
    for line in [
        "Министрлік тұрақты органикалық ластағыштарды бақылау жөніндегі",
        "ұлттық жоспарды іске асыру үшін жыл сайын есеп дайындайды және оны",
        "үкіметке ұсынады. Есеп қоршаған ортаны қорғау саласындағы уәкі-",
        "летті органның сайтында жарияланады.",
    ]:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table(col_widths=(10, 90, 45, 45), first_row_as_headings=True, repeat_headings=1) as table:
        for cells in [PLAN_HEADER, *plan_rows(rows)]:
            r = table.row()
            for c in cells:
                r.cell(c)
    return bytes(pdf.output())


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("О мерах по охране озонового слоя", level=0)
    d.add_heading("Статья 1. Общие положения", level=1)
    d.add_paragraph("1. Уполномоченный орган обязан вести учет озоноразрушающих веществ.")
    d.add_paragraph("Қазақстан Республикасының Үкіметі осы қаулыны орындауды қамтамасыз етсін.")
    t = d.add_table(rows=3, cols=3)
    for i, row in enumerate([["№", "Вещество", "Лимит, тонн"], ["1", "Хлорфторуглероды", "12,5"],
                             ["2", "Галоны", "0,3"]]):
        for j, text in enumerate(row):
            t.cell(i, j).text = text
    d.add_paragraph("Список веществ:", style="List Bullet")
    d.add_paragraph("Статья 2 вступает в силу со дня подписания.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
