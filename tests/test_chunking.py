"""Passages follow the document's structure and are exact slices of its clean text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import parse_file
from kb.chunking import MAX_TOKENS, PROSE_TOKENS, approx_tokens, chunk_document, passage_id
from kb.models import Block, Document

CORPORA = Path(__file__).resolve().parents[1] / "corpora"


@pytest.fixture(scope="module")
def ozone_ru() -> Document:
    return parse_file(CORPORA / "kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/rus/ecocode-2021-ch21-ozone-layer.md")


@pytest.fixture(scope="module")
def plan_ru() -> Document:
    return parse_file(CORPORA / "seeds/ru/2022-tailings-working-group-plan.txt")


@pytest.fixture(scope="module")
def andasai_kk() -> Document:
    return parse_file(CORPORA / "kazakhstan-law/government/06-government/103-pravitelstvo/2022/0711-o-rasshirenii-territorii-andasaiskogo-gosudarstvennogo-prirodnog-169752/kaz.md")


def _doc(blocks: list[tuple[str, list[str], str]], title: str = "Тест", lang: str = "ru") -> Document:
    """A document from (kind, path, text) blocks, joined by blank lines as ingestion does."""
    text, out = "", []
    for i, (kind, path, body) in enumerate(blocks):
        if text:
            text += "\n\n"
        start = len(text)
        text += body
        out.append(Block(index=i, kind=kind, text=body, path=path, start=start, end=len(text), lang=lang))
    return Document(id="d" * 64, source="test.md", lang=lang, genre="law", title=title, text=text, blocks=out)


@pytest.mark.parametrize(
    "rel",
    [
        "kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/rus/ecocode-2021-ch21-ozone-layer.md",
        "kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/kaz/ecocode-2021-sec20-special-requirements-accidents-subsoil-pops.md",
        "kazakhstan-law/government/06-government/103-pravitelstvo/2022/0525-o-sozdanii-ashchiozekskogo-gosudarstvennogo-prirodnogo-zakaznika-168134/kaz.md",
        "seeds/ru/2022-tailings-working-group-plan.txt",
        "seeds/kk/2025-stockholm-nip-press-release.txt",
    ],
)
def test_offsets_slice_the_clean_text(rel):
    doc = parse_file(CORPORA / rel)
    passages = chunk_document(doc)
    assert passages
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.text.strip()
        assert p.doc_id == doc.id and p.id == passage_id(doc.id, p.number)
    assert [p.number for p in passages] == list(range(len(passages)))
    assert len({p.id for p in passages}) == len(passages)
    # Passages do not overlap and come in document order.
    for a, b in zip(passages, passages[1:]):
        assert a.end <= b.start


def test_passage_never_crosses_an_article(ozone_ru):
    for p in chunk_document(ozone_ru):
        articles = re.findall(r"^Статья (\d+)\.", p.text, flags=re.M)
        assert len(articles) <= 1, (p.block_path, articles)
        if p.block_path:
            article = p.block_path.split(" › ")[0]
            # Every block inside the passage belongs to the passage's article.
            inside = [b for b in ozone_ru.blocks if b.start >= p.start and b.end <= p.end and b.path]
            assert all(b.path[0] == article for b in inside), p.block_path


def test_small_article_stays_whole(ozone_ru):
    passages = chunk_document(ozone_ru)
    art305 = [p for p in passages if p.block_path.startswith("Статья 305")]
    assert len(art305) == 1
    p = art305[0]
    assert "Статья 305. Озоновый слой и его охрана" in p.text
    assert "1. Озоновый слой означает" in p.text and "2. Под охраной озонового слоя" in p.text
    # The context names the document and the article; it is embedded, not shown.
    assert p.context.splitlines() == [ozone_ru.title, "Статья 305"]
    assert ozone_ru.title not in p.text


def test_long_article_is_cut_between_points_under_budget(ozone_ru):
    passages = chunk_document(ozone_ru)
    art310 = [p for p in passages if p.block_path.startswith("Статья 310")]
    assert len(art310) > 1
    blocks = {(b.start, b.end) for b in ozone_ru.blocks}
    for p in art310:
        assert approx_tokens(p.text) <= MAX_TOKENS
        # Cut on block boundaries: each passage starts where a block starts and ends where one ends.
        assert any(s == p.start for s, _ in blocks) and any(e == p.end for _, e in blocks)


def test_resolution_points_are_separate_passages(andasai_kk):
    paths = [p.block_path for p in chunk_document(andasai_kk)]
    for point in ("1-тармақ", "2-тармақ", "4-тармақ"):
        assert point in paths, paths


def test_table_row_is_one_passage_with_header_in_context(plan_ru):
    rows = [p for p in chunk_document(plan_ru) if "row" in p.block_path]
    assert len(rows) == 7
    row7 = next(p for p in rows if p.block_path.endswith("row 7"))
    assert row7.text.startswith("7 | Проведение второго заседания")
    assert "Сроки исполнения" in row7.context and "Ответственные органы" in row7.context
    assert plan_ru.title in row7.context
    assert "Сроки исполнения" not in row7.text
    for p in rows:
        assert p.text.count(" | ") >= 3 and p.text.count("\n") <= 2  # one row (with at most its heading)


def test_over_long_block_is_split_between_sentences():
    sentence = "Оператор обязан представить отчет об обращении с отходами в уполномоченный орган. "
    long_text = (sentence * 60).strip()
    doc = _doc([("heading", ["Статья 1"], "Статья 1. Отчеты"), ("paragraph", ["Статья 1", "п. 1"], long_text)])
    passages = chunk_document(doc)
    assert len(passages) > 2
    # The article heading opens the first piece instead of standing alone.
    assert passages[0].text.startswith("Статья 1. Отчеты\n\nОператор")
    for p in passages:
        assert approx_tokens(p.text) <= MAX_TOKENS
        assert doc.text[p.start : p.end] == p.text
        assert p.text.endswith(".")  # cut after a sentence, never mid-word
    covered = "".join(doc.text[p.start : p.end] for p in passages)
    assert re.sub(r"\s+", "", covered) == re.sub(r"\s+", "", doc.text)


def test_unstructured_prose_is_grouped_by_size():
    paras = [("paragraph", [], f"Абзац {i}. " + "Министерство провело встречу с общественностью. " * 6) for i in range(12)]
    doc = _doc(paras, lang="ru")
    passages = chunk_document(doc)
    assert 1 < len(passages) < len(paras)  # grouped, but not one huge passage
    for p in passages:
        assert approx_tokens(p.text) <= PROSE_TOKENS
        assert p.block_path == ""


def test_custom_token_counter_is_used():
    doc = _doc([("paragraph", ["п. 1"], "Один. Два. Три."), ("paragraph", ["п. 1", "пп. 1)"], "Четыре. Пять.")])
    assert len(chunk_document(doc)) == 1
    # A counter that says every block is huge forces sentence splits.
    assert len(chunk_document(doc, count=lambda t: 1000 if len(t) > 6 else 1)) > 2


def test_passage_language_and_entities_come_from_its_blocks(andasai_kk):
    for p in chunk_document(andasai_kk):
        assert p.lang == "kk"
        assert all(p.start <= e.start and e.end <= p.end for e in p.entities)
