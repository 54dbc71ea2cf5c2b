"""Extractive Q&A over the real small knowledge base (tests/conftest.py: corpus_kb).

Every answered question is checked for the expected span and for citations that quote
the cited document exactly at the cited offsets.
"""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from kb.answers import NO_ANSWER, UNSUPPORTED_LANG, question_type, sentences
from kb.models import AskRequest, DocumentRef, Hit


@pytest.fixture(scope="module")
def kb(corpus_kb):
    # Table headers and heading skips need the documents: the service must wire them.
    assert corpus_kb.answerer.documents is not None
    return corpus_kb


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("«", '"').replace("»", '"')).strip().lower()


def _check_citations(kb, ans) -> None:
    assert ans.citations, "an answer must cite its source"
    for c in ans.citations:
        doc = kb.get_document(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote, c
        assert c.title == doc.title and c.source == doc.source


ANSWERED = [
    # (question, expected span, question type)
    ("Когда была создана рабочая группа по безопасности хвостохранилищ?", "21 января 2022 года", "when"),
    ("Аңдасай қаумалын кеңейтуге байланысты шараларды министрліктер мен әкімдіктер қай мерзімге дейін "
     "қабылдауы тиіс?", "2022 жылғы 1 желтоқсанға дейін", "when"),
    ("Кому Конференция Сторон поручает собирать информацию о работе региональных центров?",
     "секретариату", "who"),
    ("Ұлттық жоспарды жаңартуға қандай халықаралық серіктес қолдау көрсетті?", "RECETOX", "who"),
    ("На сколько гектаров расширяется Андасайский заказник?", "2 415 806,40", "amount"),
    ("Что юрлица обязаны соблюдать в отношении лимитов потребления озоноразрушающих веществ?",
     "не превышать установленные лимиты", "obligation"),
    ("Заңды тұлғалар жиналған озонды бұзатын заттарды қандай ыдыста сақтауға міндетті?",
     "герметикалық ыдыста", "obligation"),
]


@pytest.mark.parametrize(("question", "span", "qtype"), ANSWERED, ids=[q[:40] for q, _, _ in ANSWERED])
def test_answers_with_expected_span_and_exact_citations(kb, question, span, qtype):
    assert question_type(question) == qtype
    ans = kb.ask(AskRequest(question=question))
    assert ans.answered, (ans.reason, ans.answer)
    assert _norm(span) in _norm(ans.answer), ans.answer
    _check_citations(kb, ans)
    assert 0.0 < ans.confidence <= 1.0
    assert ans.passages
    # Concise: a sentence, row or list item with its lead-in, not a whole passage.
    assert len(ans.answer) < 600


def test_when_question_names_the_date(kb):
    ans = kb.ask(AskRequest(question="Когда была создана рабочая группа по безопасности хвостохранилищ?"))
    assert ans.focus and "2022" in ans.focus


def test_kazakh_question_answered_from_russian_only_source_is_marked(kb):
    # The plan exists only in Russian: the row is quoted as it is and marked.
    ans = kb.ask(AskRequest(question="Жұмыс тобының екінші отырысы қай тоқсанда өтеді?"))
    assert ans.answered, (ans.reason, ans.answer)
    assert "4 квартал 2022 года" in ans.answer
    assert ans.answer_lang == "ru" and ans.source_lang_marked
    assert "орыс" in ans.answer  # the note, in the question's language
    _check_citations(kb, ans)
    assert ans.citations[0].quote.startswith("7 | Проведение второго заседания")


def test_question_language_version_preferred_when_both_exist(kb):
    ans = kb.ask(AskRequest(question="Аңдасай қаумалының аумағы неше гектарға кеңейтіледі?"))
    assert ans.answered and ans.answer_lang == "kk" and not ans.source_lang_marked
    _check_citations(kb, ans)


@pytest.mark.parametrize(
    ("question", "lang"),
    [("Кто стал чемпионом мира по шахматам в 2021 году?", "ru"),
     ("Футболдан Қазақстан құрамасының бас бапкері кім?", "kk")],
)
def test_no_answer_is_said_plainly(kb, question, lang):
    ans = kb.ask(AskRequest(question=question))
    assert not ans.answered
    assert ans.answer == NO_ANSWER[lang] and ans.answer_lang == lang
    assert ans.citations == [] and "threshold" in ans.reason


@pytest.mark.parametrize("question", ["When does the working group meet for the second time?", "第二次工作组会议什么时候举行？"])
def test_other_language_gets_kk_ru_only_response(kb, question):
    ans = kb.ask(AskRequest(question=question))
    assert not ans.answered and ans.answer == UNSUPPORTED_LANG
    assert "kk/ru only" in ans.reason and ans.citations == []


@pytest.mark.parametrize("question", ["", "   \n\t"])
def test_empty_question_is_rejected_by_the_model(question):
    with pytest.raises(ValidationError) as exc:
        AskRequest(question=question)
    assert exc.value.errors()[0]["loc"] == ("question",)


def test_filters_reach_retrieval(kb):
    ans = kb.ask(AskRequest(question="Когда была создана рабочая группа?", genre=["order"]))
    assert all(h.document.genre == "order" for h in ans.passages)
    assert "21 января 2022 года" not in ans.answer


def test_question_types_from_data_file():
    assert question_type("Қашан жұмыс тобының екінші отырысы өтеді?") == "when"
    assert question_type("Кімге тапсырылды?") == "who"
    assert question_type("Какие обязанности у оператора?") == "obligation"
    assert question_type("Қанша гектар?") == "amount"
    assert question_type("Что такое НДТ?") == "what"


def test_table_row_is_one_candidate():
    text = "7 | Проведение второго заседания. Итоги | 4 квартал 2022 года | МЧС, МЭГПР\nДругая строка текста здесь."
    hit = Hit(score=1, text=text, snippet="", passage_id="p", start=100, end=100 + len(text),
              document=DocumentRef(id="d", source="s", title="t", lang="ru", genre="plan"))
    units = sentences(hit)
    assert [u[2] for u in units] == text.split("\n")
    assert units[0][0] == 100 and units[1][0] == 100 + text.index("Другая")


def _hit(score: float, lang: str = "ru") -> Hit:
    doc = DocumentRef(id=f"d{score}", source="x.md", title="t", lang=lang, genre="order")
    return Hit(score=score, text="текст", snippet="текст", document=doc, passage_id="p", start=0, end=5)


def test_support_scales_own_search_hits_and_spares_other_language_ones():
    from kb.answers import _support

    hits = [_hit(2.0), _hit(1.0), _hit(0.5), _hit(0.3, lang="kk"), _hit(0.1, lang="kk")]
    # the first three came from the question's own search, the last two from the other language
    assert _support(hits, n_main=3) == [1.0, 0.5, 0.25, 1.0, 1.0]
    assert _support(hits, n_main=0) == [1.0] * 5
    assert _support([_hit(-1.0), _hit(0.0)], n_main=2) == [1.0, 1.0]  # no positive best: no scaling
