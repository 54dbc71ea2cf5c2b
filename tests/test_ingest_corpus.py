"""The shipped corpus parses as the manifest says: seeds and all acts (40+ files)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from ingest import parse_bytes, parse_file

ROOT = Path(__file__).resolve().parents[1] / "corpora"
MANIFEST = list(csv.DictReader(open(ROOT / "manifest.tsv", encoding="utf-8"), delimiter="\t"))
SEEDS = [r for r in MANIFEST if r["file"].startswith("seeds/")]
ACTS = [r for r in MANIFEST if r["file"].startswith("kazakhstan-law/")]
CODE = "kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312"
MIRROR_DIR = {"kk": "kaz", "ru": "rus"}


@pytest.fixture(scope="module")
def parsed():
    cache = {}

    def get(rel: str):
        if rel not in cache:
            cache[rel] = parse_file(ROOT / rel)
        return cache[rel]

    return get


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def test_manifest_lists_every_corpus_file():
    files = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.suffix in (".txt", ".md")}
    files.discard("kazakhstan-law/README.md")
    assert files == {r["file"] for r in MANIFEST}
    assert len(SEEDS) == 5 and len(ACTS) >= 40 and len(ACTS) % 2 == 0


@pytest.mark.parametrize("row", SEEDS, ids=lambda r: r["file"])
def test_seed_language_genre_title(parsed, row):
    doc = parsed(row["file"])
    assert doc.lang == row["language"]
    assert doc.genre == row["genre"]
    assert doc.title == row["title"]


@pytest.mark.parametrize("row", MANIFEST, ids=lambda r: r["file"])
def test_offsets_and_block_invariants(parsed, row):
    doc = parsed(row["file"])
    assert doc.blocks, "no blocks"
    assert [b.index for b in doc.blocks] == list(range(len(doc.blocks)))
    for b in doc.blocks:
        assert doc.text[b.start:b.end] == b.text
        assert b.text == b.text.strip() and b.text
        if b.kind == "table_row":
            assert b.cells and b.path[-2].startswith("Table ") and b.path[-1].startswith("row ")
        else:
            assert b.cells is None and b.header is None
    assert re.fullmatch(r"[0-9a-f]{16}", doc.id)


@pytest.mark.parametrize("row", ACTS, ids=lambda r: r["file"])
def test_act_language_genre_title(parsed, row):
    doc = parsed(row["file"])
    assert doc.lang == row["language"]
    assert doc.genre == row["genre"]
    # The title is the act's own title heading. The manifest's titles paraphrase it
    # (abbreviations, editorial notes like "(постановление Правительства РК, 2022)"),
    # so against them only the distinctive words are checked.
    heading = re.search(r"^#+\s+(.*?)\s*$", (ROOT / row["file"]).read_text(encoding="utf-8"), re.M)
    assert doc.title.lower() == heading.group(1).lower()
    long_words = {w for w in words(doc.title) & words(row["title"]) if len(w) >= 5}
    assert len(long_words) >= 3, doc.title
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].path == []


def test_seed_plan_table_has_seven_rows_of_four_cells(parsed):
    doc = parsed("seeds/ru/2022-tailings-working-group-plan.txt")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert len(rows) == 7
    assert all(len(b.cells) == 4 for b in rows)
    assert rows[0].header == ["№", "Наименование мероприятий", "Сроки исполнения", "Ответственные органы"]
    assert rows[6].cells == ["7", "Проведение второго заседания Рабочей группы", "4 квартал 2022 года", "МЧС, МЭГПР"]
    assert rows[6].text == " | ".join(rows[6].cells)
    assert rows[3].path[-2:] == ["Table 1", "row 4"]


def test_seed_kk_press_release_boilerplate_and_repeated_title_removed(parsed):
    doc = parsed("seeds/kk/2025-stockholm-nip-press-release.txt")
    assert "Баспасөз орталығына оралу" not in doc.text
    assert doc.text.count("Астанада Стокгольм конвенциясы бойынша жаңартылған Ұлттық жоспар ұсынылды") == 1
    assert doc.blocks[0].kind == "heading"
    assert all(b.lang == "kk" for b in doc.blocks)


def test_seed_ru_press_release_title_not_repeated(parsed):
    doc = parsed("seeds/ru/almaty-bat-press-release.txt")
    assert doc.text.count(doc.title) == 1
    bullets = [b for b in doc.blocks if b.kind == "list_item"]
    assert len(bullets) == 3 and bullets[0].text.startswith("«Производство пищевых")


def test_seed_news_date_header_becomes_metadata_and_footer_goes(parsed):
    doc = parsed("seeds/ru/2026-waste-management-reform-news.txt")
    assert doc.date.isoformat() == "2026-01-15"
    assert "date 2026" not in doc.text
    assert "Комментари" not in doc.text
    assert doc.text.startswith("Казахстан готовится к масштабной трансформации")
    items = [b.text for b in doc.blocks if b.kind == "list_item"]
    assert "Переработка" in items and "вести учет всех видов отходов;" in items


def test_seed_pdf_extraction_lines_joined_into_paragraphs(parsed):
    doc = parsed("seeds/ru/2017-minamata-cop1-decision-mc-1-21.txt")
    assert doc.number == "МК-1/21"
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    # 82 source lines (with blank lines between all of them) make a handful of paragraphs
    assert 4 <= len(paragraphs) <= 8
    assert any(p.startswith("ссылаясь также на резолюцию 2/7") and p.endswith("в которых они работают;")
               for p in paragraphs)
    assert "в которой Ассамблея по окружающей среде, среди прочего, подчеркнула" in doc.text
    assert "\n\nокружающей" not in doc.text and "  " not in doc.text
    assert paragraphs[-1].startswith("поручает секретариату") and paragraphs[-1].endswith("на ее втором совещании.")


@pytest.mark.parametrize("lang, article", [("ru", "Статья 305"), ("kk", "305-бап")])
def test_code_chapter_numbering_paths(parsed, lang, article):
    doc = parsed(f"{CODE}/{MIRROR_DIR[lang]}/ecocode-2021-ch21-ozone-layer.md")
    paths = [b.path for b in doc.blocks]
    assert [article] in paths  # the article heading
    point = "п. 2" if lang == "ru" else "2-тармақ"
    sub = "пп. 3)" if lang == "ru" else "3) тармақша"
    art308 = "Статья 308" if lang == "ru" else "308-бап"
    assert [art308, point, sub] in paths
    # articles set in fenced blocks in the source are headings too
    art310 = "Статья 310" if lang == "ru" else "310-бап"
    heading = next(b for b in doc.blocks if b.path == [art310])
    assert heading.kind == "heading" and "```" not in doc.text


def test_code_section_has_chapters_and_articles(parsed):
    doc = parsed("kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/kaz/ecocode-2021-sec20-special-requirements-accidents-subsoil-pops.md")
    labels = {label for b in doc.blocks for label in b.path}
    assert "395-бап" in labels and "403-бап" in labels


def test_act_tables_with_spanned_header_rows(parsed):
    doc = parsed("kazakhstan-law/government/06-government/103-pravitelstvo/2022/0525-o-sozdanii-ashchiozekskogo-gosudarstvennogo-prirodnogo-zakaznika-168134/rus.md")
    rows = [b for b in doc.blocks if b.kind == "table_row" and b.path[-2] == "Table 1"]
    assert rows[0].path[0] == "Приложение"
    assert rows[0].header[:2] == ["№ п/п", "Название сельских округов"]
    assert rows[0].header[4] == "В том числе: / озера и пруды"
    assert not any(b.text.startswith("1 | 2 | 3") for b in rows)  # column-number rows dropped
    assert any(b.text == "Участок «Аралсор»" for b in rows)
    masin = next(b for b in rows if "Масин" in b.text)
    assert len(masin.cells) == 12 and masin.cells[2] == "50 321,2"


def test_act_own_date_number_and_issuer(parsed):
    ru = parsed("kazakhstan-law/local-east-kazakhstan/08-local-decisions/157-vostochno-kazakhstanskoi-oblasti/15700000-vostochno-kazakhstanskoi-oblasti/2021/1214-o-razmere-platy-za-odin-kubicheskii-metr-podannoi-pitevoi-vody-n-162294/rus.md")
    kk = parsed("kazakhstan-law/local-east-kazakhstan/08-local-decisions/157-vostochno-kazakhstanskoi-oblasti/15700000-vostochno-kazakhstanskoi-oblasti/2021/1214-o-razmere-platy-za-odin-kubicheskii-metr-podannoi-pitevoi-vody-n-162294/kaz.md")
    for doc in (ru, kk):
        assert doc.date.isoformat() == "2021-12-14" and doc.number == "12/111-VII"
    assert ru.issuer == "Восточно-Казахстанский областной маслихат"
    assert kk.issuer == "Шығыс Қазақстан облыстық мәслихаты"
    assert ru.meta["act_kind"] == "решение" and kk.meta["act_kind"] == "шешім"
    gov = parsed("kazakhstan-law/government/06-government/103-pravitelstvo/2022/0601-ob-umenshenii-territorii-vostochnogo-gosudarstvennogo-prirodnogo-168356/rus.md")
    # from the sidecar (meta.yaml): the act's own requisites
    assert gov.number == "351" and gov.date.isoformat() == "2022-06-01"
    assert gov.requisites.source_of["number"] == "sidecar"
    # from the text alone, cited acts ("от 26 сентября 2017 года № 593") are not the document's own
    path = ROOT / "kazakhstan-law/government/06-government/103-pravitelstvo/2022/0601-ob-umenshenii-territorii-vostochnogo-gosudarstvennogo-prirodnogo-168356/rus.md"
    alone = parse_bytes(path.read_bytes(), path.name)
    assert alone.number is None and alone.date is None
    assert gov.issuer == "Правительство Республики Казахстан"
    assert gov.meta["act_kind"] == "постановление"
    assert parsed("kazakhstan-law/government/06-government/103-pravitelstvo/2022/0601-ob-umenshenii-territorii-vostochnogo-gosudarstvennogo-prirodnogo-168356/kaz.md").issuer == "Қазақстан Республикасының Үкіметі"


def test_points_of_a_resolution(parsed):
    doc = parsed("kazakhstan-law/government/06-government/103-pravitelstvo/2022/0601-ob-umenshenii-territorii-vostochnogo-gosudarstvennogo-prirodnogo-168356/kaz.md")
    assert any(b.path == ["1-тармақ"] for b in doc.blocks)
    table = [b for b in doc.blocks if b.kind == "table_row"]
    assert table and table[0].path[0] == "2-тармақ"


def test_block_languages_follow_the_document(parsed):
    for rel in ("kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/kaz/ecocode-2021-ch22-climate-adaptation.md", "kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/rus/ecocode-2021-ch22-climate-adaptation.md"):
        doc = parsed(rel)
        same = sum(b.lang == doc.lang for b in doc.blocks) / len(doc.blocks)
        assert same >= 0.95
