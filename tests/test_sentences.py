"""One sentence splitter (kb/lang/sentences.py) for extraction, answers and chunking, and the
Kazakh cues of the extractor as data (kb/data/kk_cues.yaml)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import kb.answers
import kb.chunking
from kb.answers import sentences
from kb.chunking import _split_long
from kb.lang import sentences as S
from kb.models import DocumentRef, Hit
from kb.obligations import extract
from kb.obligations.adapters import parse_file, tag
from kb.obligations.cues import kk_cues

EXTRACT = importlib.import_module("kb.obligations.extract")  # the module (the package exports the function)


def _texts(text: str, **kw) -> list[str]:
    return [text[a:b].strip() for a, b in S.split(text, **kw)]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = "Согласно ст. 12 Кодекса и п. 3 Правил оператор обязан. Секретарь А.К. Қайсағалиев подписал. 2022 ж. Бірақ т.б. Келесі."
    assert _texts(text) == [
        "Согласно ст. 12 Кодекса и п. 3 Правил оператор обязан.",
        "Секретарь А.К. Қайсағалиев подписал.",
        "2022 ж. Бірақ т.б. Келесі.",
    ]


def test_each_caller_chooses_its_punctuation():
    text = "Первое; второе. Третье: Четвертое\nпятое"
    assert _texts(text, ends=".!?", always=";") == ["Первое;", "второе.", "Третье: Четвертое\nпятое"]
    assert _texts(text, ends=".!?;") == ["Первое; второе.", "Третье: Четвертое\nпятое"]
    assert _texts(text, ends=".!?;:", newlines=True) == ["Первое; второе.", "Третье:", "Четвертое", "пятое"]
    assert S.split("") == [(0, 0)]


def test_the_three_callers_share_the_splitter():
    assert kb.chunking.sentence_boundaries is S.boundaries
    assert kb.answers.sentence_boundaries is S.boundaries
    assert EXTRACT.split_sentences is S.split
    for mod in (kb.chunking, kb.answers, EXTRACT):
        src = inspect.getsource(mod)
        assert "(?<=[.!?" not in src, f"{mod.__name__} has a sentence regex of its own"


def test_extraction_keeps_an_article_reference_in_its_sentence(tmp_path: Path):
    folder = tmp_path / "ru"
    folder.mkdir()
    p = folder / "law.txt"
    p.write_text("Закон\n\n1. Оператор в соответствии со ст. 12 Кодекса обязан представить отчет. "
                 "Акимат обязан обеспечить контроль; Министерство обязано утвердить план.\n", encoding="utf-8")
    doc = tag(parse_file(p))
    items = extract(doc)
    assert [o.quote.text for o in items] == [
        "Оператор в соответствии со ст. 12 Кодекса обязан представить отчет.",
        "Акимат обязан обеспечить контроль;",
        "Министерство обязано утвердить план.",
    ]


def test_answers_keep_an_article_reference_in_its_unit_and_rows_whole():
    text = "Согласно п. 3 ст. 5 Закона оператор представляет отчет. Срок: Ежегодно\n7 | Проведение заседания. Итоги | МЧС"
    hit = Hit(score=1, text=text, snippet="", passage_id="p", start=10, end=10 + len(text),
              document=DocumentRef(id="d", source="s", title="t", lang="ru", genre="law"))
    units = [u[2] for u in sentences(hit)]
    # units under 12 characters ("Срок:", "Ежегодно") are not answers; a table row is one unit
    assert units == ["Согласно п. 3 ст. 5 Закона оператор представляет отчет.", "7 | Проведение заседания. Итоги | МЧС"]


def test_chunking_cuts_between_sentences_not_after_abbreviations():
    sentence = "Оператор согласно ст. 12 Кодекса представляет отчет уполномоченному органу. "
    text = sentence * 6
    spans = _split_long(text, 0, budget=30, count=lambda s: len(s.split()))
    pieces = [text[a:b] for a, b in spans]
    assert len(pieces) > 1
    assert all(p.rstrip().endswith("органу.") for p in pieces)
    assert not any(p.rstrip().endswith("ст.") for p in pieces)


def test_kazakh_cues_come_from_the_data_file():
    cues = kk_cues()
    assert cues["participle"].match(" бекіткен") and cues["object"].search("есепті")
    assert cues["connect"].search("және") and cues["modifier"].search("облысының")
    src = inspect.getsource(EXTRACT)
    for literal in ("ған|ген", "ның|нің", "ды|ді", "және|мен", "[әғқңөұүһі]", "г|гг|ст"):
        assert literal not in src, f"{literal!r} should live in kb/data, not in extract.py"
