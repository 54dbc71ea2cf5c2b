"""Readers: generated PDF and DOCX, HTML, encodings, cleaning rules."""

from __future__ import annotations

import pytest

from ingest import parse_bytes
from ingest.clean import normalize_quotes
from ingest.encoding import decode
from ingest_samples import LONG_MEASURE, PLAN_HEADER, make_docx, make_pdf


@pytest.fixture(scope="module")
def pdf_doc():
    return parse_bytes(make_pdf(rows=40), "plan.pdf")


def test_pdf_text_pages_and_hyphenation(pdf_doc):
    doc = pdf_doc
    assert doc.pages == 3 and doc.meta["format"] == "pdf"
    assert doc.title == "Қалдықтарды басқару жөніндегі жоспар"
    assert doc.lang == "kk"
    para = next(b for b in doc.blocks if b.kind == "paragraph")
    # four hard-wrapped lines make one paragraph; "уәкі-" + "летті" is one word again
    assert para.text.startswith("Министрлік тұрақты органикалық") and para.text.endswith("жарияланады.")
    assert "уәкілетті органның" in para.text and "\n" not in para.text
    assert para.page == 1
    assert "Стр." not in doc.text  # page footers are furniture


def test_pdf_table_continues_across_pages_with_header(pdf_doc):
    rows = [b for b in pdf_doc.blocks if b.kind == "table_row"]
    assert len(rows) == 40
    assert {b.path[-2] for b in rows} == {"Table 1"}  # one table, not one per page
    assert [b.cells[0] for b in rows] == [str(i) for i in range(1, 41)]
    assert all(b.header == PLAN_HEADER for b in rows)  # header repeated on page 2 not a row
    assert {b.page for b in rows} >= {1, 2}
    assert rows[-1].path[-1] == "row 40"
    assert all(len(b.cells) == 4 and "\n" not in b.text for b in rows)
    assert rows[2].cells[1] == LONG_MEASURE  # a cell broken over lines is one string again
    assert pdf_doc.text[rows[5].start:rows[5].end] == rows[5].text


def test_pdf_row_split_by_a_page_break_is_rejoined():
    from ingest.read_pdf import _Table, _continue_table

    table = _Table([PLAN_HEADER, ["1", "Мониторинг атмосферного", "июнь", "МЭПР"]], [1, 1])
    _continue_table(table, [PLAN_HEADER, ["", "воздуха в городах", "", "акиматы"], ["2", "Отчет", "июль", "МЭПР"]], 2)
    assert table.rows == [
        PLAN_HEADER,
        ["1", "Мониторинг атмосферного воздуха в городах", "июнь", "МЭПР акиматы"],
        ["2", "Отчет", "июль", "МЭПР"],
    ]
    assert table.pages == [1, 1, 2]


def test_docx_paragraphs_and_tables_in_order():
    doc = parse_bytes(make_docx(), "act.docx")
    kinds = [(b.kind, b.text[:20]) for b in doc.blocks]
    assert doc.title == "О мерах по охране озонового слоя"
    assert kinds[1] == ("heading", "Статья 1. Общие поло")
    table = [b for b in doc.blocks if b.kind == "table_row"]
    assert [b.cells for b in table] == [["1", "Хлорфторуглероды", "12,5"], ["2", "Галоны", "0,3"]]
    assert table[0].header == ["№", "Вещество", "Лимит, тонн"]
    assert table[0].path == ["Статья 1", "п. 1", "Table 1", "row 1"]
    # the table sits between the two paragraphs it was between in the document
    idx = [b.index for b in doc.blocks]
    kk_para = next(b for b in doc.blocks if b.text.startswith("Қазақстан"))
    assert kk_para.index < table[0].index < next(b for b in doc.blocks if b.kind == "list_item").index
    assert kk_para.lang == "kk" and doc.blocks[2].lang == "ru"
    assert idx == list(range(len(idx)))


def test_html_page_without_chrome():
    html = """<html><head><title>Новости | Министерство</title>
    <meta name="date" content="2024-03-05"><script>var x = "1";</script></head>
    <body><nav><a href="/">Главная</a></nav><header>Меню</header>
    <h1>Утверждён план по сокращению выбросов</h1>
    <p>Министерство экологии утвердило <b>план</b> мероприятий на 2024 год.</p>
    <ul><li>провести аудит;</li><li>обновить реестр.</li></ul>
    <table><tr><th>№</th><th>Мероприятие</th><th>Срок</th></tr>
    <tr><td>1</td><td>Аудит</td><td>май</td></tr></table>
    <p>Поделиться</p><footer>© 2024 Министерство</footer></body></html>"""
    doc = parse_bytes(html.encode("utf-8"), "news.html")
    assert doc.title == "Утверждён план по сокращению выбросов"
    assert doc.date.isoformat() == "2024-03-05"
    assert "Главная" not in doc.text and "Меню" not in doc.text and "var x" not in doc.text
    assert "Поделиться" not in doc.text and "©" not in doc.text
    assert "Министерство экологии утвердило план мероприятий на 2024 год." in doc.text
    assert [b.text for b in doc.blocks if b.kind == "list_item"] == ["провести аудит;", "обновить реестр."]
    row = next(b for b in doc.blocks if b.kind == "table_row")
    assert row.header == ["№", "Мероприятие", "Срок"] and row.cells == ["1", "Аудит", "май"]


KK = "Қазақстан Республикасының Үкіметі қаулы етеді: жоспар бекітілсін."
RU = "Правительство Республики Казахстан постановляет: утвердить план мероприятий."


@pytest.mark.parametrize("text, encoding, expected", [
    (RU, "cp1251", "cp1251"),
    ("Решение принято.", "cp1251", "cp1251"),  # short cp1251 text
    ("Да", "cp1251", "cp1251"),
    (RU, "koi8_r", "koi8_r"),
    (KK, "utf-16", "utf-16"),
    (RU, "utf-16", "utf-16"),
    (KK, "utf-8-sig", "utf-8-sig"),
    (KK, "utf-8", "utf-8"),
    (RU, "utf-16-le", "utf-16"),  # no BOM
])
def test_encodings(text, encoding, expected):
    decoded, found = decode(text.encode(encoding))
    assert decoded == text
    assert found == expected


@pytest.mark.parametrize("encoding", ["cp1251", "utf-16"])
def test_text_file_in_legacy_encodings(tmp_path, encoding):
    body = "План работы на 2022 год\n\nМинистерство обеспечивает «зелёную» экономику.\n"
    f = tmp_path / f"plan-{encoding}.txt"
    f.write_bytes(body.encode(encoding))
    from ingest import parse_file

    doc = parse_file(f)
    assert doc.meta["encoding"] == encoding
    assert doc.title == "План работы на 2022 год"
    assert "Министерство обеспечивает «зелёную» экономику." in doc.text


def test_kazakh_text_in_utf16_file(tmp_path):
    from ingest import parse_file

    f = tmp_path / "kk.txt"
    f.write_text("Жоспар\n\n" + KK + "\n", encoding="utf-16")
    doc = parse_file(f)
    assert doc.lang == "kk" and KK in doc.text


def test_hyphenation_and_wrapping_in_plain_text():
    text = (
        "Уполномоченный орган в области охраны окружающей среды обеспечивает организа-\n"
        "цию мониторинга и ежегодно публикует отчет о состоянии\n"
        "окружающей среды на своем интернет-ресурсе.\n\n"
        "Второй абзац.\n"
    )
    doc = parse_bytes(text.encode(), "x.txt")
    para = next(b for b in doc.blocks if "организацию" in b.text)
    assert para.text == ("Уполномоченный орган в области охраны окружающей среды обеспечивает организацию "
                         "мониторинга и ежегодно публикует отчет о состоянии окружающей среды на своем "
                         "интернет-ресурсе.")


def test_quotes_normalised_without_touching_words():
    assert normalize_quotes('Закон "Об охране" и “Таза Қазақстан”') == "Закон «Об охране» и «Таза Қазақстан»"
    doc = parse_bytes('Заголовок документа\n\nПрограмма "Жасыл даму" принята.\n'.encode(), "q.txt")
    assert "Программа «Жасыл даму» принята." in doc.text


def test_document_statement_of_number_and_date_outside_corpus():
    text = (
        "Постановление Правительства Республики Казахстан от 1 июня 2022 года № 351\n\n"
        "Об уменьшении территории заказника\n\n"
        "В соответствии с Законом Республики Казахстан от 7 июля 2006 года № 175 "
        "Правительство Республики Казахстан ПОСТАНОВЛЯЕТ:\n\n"
        "1. Уменьшить территорию заказника.\n\n2. Настоящее постановление вводится в действие.\n"
    )
    doc = parse_bytes(text.encode(), "act.txt")
    assert doc.title == "Об уменьшении территории заказника"
    assert doc.genre == "order" and doc.number == "351" and doc.date.isoformat() == "2022-06-01"
    assert doc.issuer == "Правительство Республики Казахстан"
    kk = (
        "ҚР Үкіметінің 2022 жылғы 1 маусымдағы № 351 қаулысы\n\n"
        "Қазақстан Республикасының Үкіметі ҚАУЛЫ ЕТЕДІ:\n\n1. Қаумалдың аумағы азайтылсын.\n"
    )
    doc = parse_bytes(kk.encode(), "act-kk.txt")
    assert doc.lang == "kk" and doc.genre == "order"
    assert doc.number == "351" and doc.date.isoformat() == "2022-06-01"
    assert [b.path for b in doc.blocks if b.text.startswith("1.")] == [["1-тармақ"]]


def test_law_in_plain_text_structure():
    text = (
        "ЗАКОН РЕСПУБЛИКИ КАЗАХСТАН\n\nОб охране атмосферного воздуха\n\n"
        "Глава 1. ОБЩИЕ ПОЛОЖЕНИЯ\n\nСтатья 1. Основные понятия\n\n"
        "1. В настоящем Законе используются следующие понятия:\n"
        "1) атмосферный воздух – жизненно важный компонент окружающей среды;\n"
        "2) выброс – поступление загрязняющих веществ в атмосферный воздух.\n"
        "2. Действие настоящего Закона распространяется на всех лиц.\n\n"
        "Статья 2. Законодательство\n\nЗаконодательство основывается на Конституции.\n"
    )
    doc = parse_bytes(text.encode("cp1251"), "law.txt")
    assert doc.title == "Об охране атмосферного воздуха"
    assert doc.genre == "law" and doc.meta["act_kind"] == "закон" and doc.meta["encoding"] == "cp1251"
    paths = {b.text[:12]: b.path for b in doc.blocks}
    assert paths["2) выброс – "] == ["Глава 1", "Статья 1", "п. 1", "пп. 2)"]
    assert paths["2. Действие "] == ["Глава 1", "Статья 1", "п. 2"]
    assert paths["Законодатель"] == ["Глава 1", "Статья 2"]


def test_bilingual_document_is_mixed_with_languages_per_block():
    text = (
        "Бірлескен мәлімдеме / Совместное заявление\n\n"
        "Қазақстан Республикасының Экология министрлігі қоршаған ортаны қорғау саласындағы "
        "ынтымақтастықты дамыту жөніндегі жоспарды бекітті.\n\n"
        "Министерство экологии Республики Казахстан утвердило план по развитию сотрудничества "
        "в области охраны окружающей среды.\n"
    )
    doc = parse_bytes(text.encode(), "joint.txt")
    assert doc.lang == "mixed"
    assert [b.lang for b in doc.blocks[1:]] == ["kk", "ru"]
