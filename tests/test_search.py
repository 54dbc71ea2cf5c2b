"""Search over a real knowledge base: cross-lingual hits, filters, hit contents, index upkeep.

Most tests share the session's `corpus_kb` (SMALL_CORPUS ingested once) and only
read from it. Tests that add, change or delete documents use their own small
knowledge base (`scratch_kb`) so the shared one stays as every test expects it.
"""

from __future__ import annotations

import html
import random
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bench.evaldata import doc_key, load_queries
from conftest import SMALL_CORPUS
from kb.highlight import snippet
from kb.lang import query_terms
from kb.index.base import IndexPoint, SparseVec
from kb.models import SearchRequest
from kb.service import KnowledgeBase

ANDASAI = "kzlaw-169752"  # gov-2022-andasai-zakaznik-expansion
OZONE = "ecocode-2021-ch21-ozone-layer.md"
NURA = "kzlaw-179095"  # gov-2023-mchs-nura-district-emergency-department
MINAMATA = "2017-minamata-cop1-decision-mc-1-21.txt"  # a COP decision, in Russian only


def search(kb: KnowledgeBase, q: str, **kw):
    return kb.search(SearchRequest(q=q, **kw))


def name(source: str) -> str:
    """A file's name, or for an act's rus.md/kaz.md the act: its folder ends with the act code."""
    path = Path(source)
    return f"kzlaw-{path.parent.name.rsplit('-', 1)[-1]}" if path.stem in ("rus", "kaz") else path.name


def names(resp) -> list[str]:
    return [name(h.document.source) for h in resp.hits]


# ------------------------------------------------------------------ cross-lingual


def test_kazakh_query_finds_the_russian_act(corpus_kb):
    resp = search(corpus_kb, "Аңдасай қаумалының аумағын кеңейту туралы қаулы", cross_lingual=True, top_k=5)
    assert resp.query_lang == "kk"
    assert resp.hits and all(h.document.lang == "ru" for h in resp.hits)
    assert names(resp)[0] == ANDASAI


def test_russian_query_finds_the_kazakh_act(corpus_kb):
    resp = search(corpus_kb, "государственный кадастр озоноразрушающих веществ", cross_lingual=True, top_k=5)
    assert resp.query_lang == "ru"
    assert resp.hits and all(h.document.lang == "kk" for h in resp.hits)
    assert names(resp)[0] == OZONE


def test_without_cross_lingual_both_language_versions_are_found(corpus_kb):
    resp = search(corpus_kb, "Нұра ауданында төтенше жағдайлар бөлімін құру", one_per_doc=True, top_k=10)
    ranked = [(name(h.document.source), h.document.lang) for h in resp.hits]
    # The query's own language ranks first; the Russian version leads the Russian documents.
    assert ranked[0] == (NURA, "kk")
    assert next(r for r in ranked if r[1] == "ru") == (NURA, "ru")


# ------------------------------------------------------------------ acts, the default


def test_kazakh_question_finds_a_russian_only_act_without_filter(corpus_kb):
    # The README's example: the Minamata decision exists only in Russian, and Kazakh
    # documents share the question's words; no language filter.
    resp = search(corpus_kb, "Минамата конвенциясы бойынша хатшылыққа не тапсырылды", top_k=5)
    assert resp.query_lang == "kk"
    assert names(resp)[0] == MINAMATA and resp.hits[0].document.lang == "ru"
    assert resp.hits[0].other_lang is None  # no Kazakh version to show


def test_default_search_gives_one_result_per_act(corpus_kb):
    q = "Аңдасай қаумалының аумағын кеңейту туралы қаулы"
    resp = search(corpus_kb, q, top_k=10)
    acts = [h.act_id for h in resp.hits]
    assert acts[0] == ANDASAI and len(acts) == len(set(acts)) == resp.total
    # Both language versions and every passage of the act fold into that one result.
    passages = search(corpus_kb, q, top_k=30, group="passage")
    andasai = [h for h in passages.hits if h.act_id == ANDASAI]
    assert len(andasai) > 1 and {h.document.lang for h in andasai} == {"kk", "ru"}
    assert resp.hits[0].passage_id == andasai[0].passage_id  # the act shows its best passage


def test_act_result_carries_the_matching_passage_in_the_other_language(corpus_kb):
    hit = search(corpus_kb, "Аңдасай қаумалы қанша гектарға кеңейтілді", top_k=3).hits[0]
    assert hit.act_id == ANDASAI and hit.document.lang == "kk"
    other = hit.other_lang
    assert other is not None and other.lang == "ru" and other.doc_id != hit.document.id
    doc = corpus_kb.get_document(other.doc_id)
    assert doc.lang == "ru" and doc.act_key == ANDASAI
    assert doc.text[other.start : other.end] == other.text
    # The matching point (the area), not just any passage of the Russian version.
    assert "2 415 806,40" in hit.text and "2 415 806,40" in other.text


def test_language_filter_narrows_act_results(corpus_kb):
    resp = search(corpus_kb, "Аңдасай қаумалының аумағын кеңейту туралы қаулы", lang=["ru"], top_k=10)
    assert resp.hits and {h.document.lang for h in resp.hits} == {"ru"}
    assert resp.hits[0].act_id == ANDASAI
    # The filter leaves the Kazakh versions out, also as attached passages.
    assert all(h.other_lang is None for h in resp.hits)
    assert MINAMATA not in names(search(corpus_kb, "Минамата конвенциясы бойынша хатшылыққа не тапсырылды",
                                        lang=["kk"], top_k=10))


def test_one_per_doc_still_gives_each_language_version(corpus_kb):
    resp = search(corpus_kb, "Аңдасай қаумалының аумағын кеңейту туралы қаулы", one_per_doc=True, top_k=10)
    ids = [h.document.id for h in resp.hits]
    assert len(ids) == len(set(ids))
    assert {h.document.lang for h in resp.hits if h.act_id == ANDASAI} == {"kk", "ru"}
    assert all(h.other_lang is None for h in resp.hits)


# ------------------------------------------------------------------ modes


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_each_mode_finds_the_act(corpus_kb, mode):
    resp = search(corpus_kb, "расширение территории Андасайского заказника", mode=mode, lang=["ru"], top_k=3)
    assert names(resp)[0] == ANDASAI
    scores = [h.score for h in resp.hits]
    assert scores == sorted(scores, reverse=True)


def test_lexical_mode_needs_shared_words(corpus_kb):
    # No word of this query occurs in the corpus: lexical finds nothing, dense still ranks.
    q = "квазиэкзотермический гиперболоид"
    assert search(corpus_kb, q, mode="lexical").hits == []
    assert search(corpus_kb, q, mode="dense").hits


def test_lexical_hits_say_which_terms_matched(corpus_kb):
    hit = search(corpus_kb, "озоноразрушающие вещества", mode="lexical", lang=["ru"], top_k=1).hits[0]
    assert hit.match.startswith("terms:") and "озоноразрушающий" in hit.match


# ------------------------------------------------------------------ filters


def test_lang_filter(corpus_kb):
    for lang in ("kk", "ru"):
        resp = search(corpus_kb, "озон қабаты озоновый слой", lang=[lang], top_k=20)
        assert resp.hits and {h.document.lang for h in resp.hits} == {lang}


def test_genre_filter(corpus_kb):
    resp = search(corpus_kb, "конвенция", genre=["press_release"], top_k=20)
    assert resp.hits and {h.document.genre for h in resp.hits} == {"press_release"}
    resp = search(corpus_kb, "конвенция", genre=["law", "decision"], top_k=50)
    assert {h.document.genre for h in resp.hits} == {"law", "decision"}


def test_convention_filter(corpus_kb):
    resp = search(corpus_kb, "ртуть", convention=["minamata"], top_k=20)
    assert resp.hits
    assert {Path(h.document.source).name for h in resp.hits} == {"2017-minamata-cop1-decision-mc-1-21.txt"}


def test_agency_filter(corpus_kb):
    resp = search(corpus_kb, "чрезвычайные ситуации", agency=["min-emergency"], top_k=50, one_per_doc=True)
    found = set(names(resp))
    assert found == {NURA, "2022-tailings-working-group-plan.txt"}


def test_date_range_filter(corpus_kb):
    # Dated in this slice: the news item (its header) and the two resolutions (their meta.yaml);
    # undated documents (the other seeds, the Code chapter) drop out of date filters.
    resp = search(corpus_kb, "отходы", date_from="2026-01-01", date_to="2026-12-31", top_k=20)
    assert resp.hits and {h.document.date.isoformat() for h in resp.hits} == {"2026-01-15"}
    resp = search(corpus_kb, "отходы", date_to="2025-12-31", top_k=50, one_per_doc=True)
    assert {h.document.date.isoformat() for h in resp.hits} == {"2022-07-11", "2023-03-03"}
    assert search(corpus_kb, "отходы", date_to="2021-12-31").hits == []


def test_doc_id_filter(corpus_kb):
    doc_id = search(corpus_kb, "озоновый слой", lang=["ru"], top_k=1).hits[0].document.id
    resp = search(corpus_kb, "Министерство", doc_id=[doc_id], top_k=50)
    assert resp.hits and {h.document.id for h in resp.hits} == {doc_id}


def test_filters_combine(corpus_kb):
    resp = search(corpus_kb, "бөлім отдел", agency=["min-emergency"], lang=["kk"], top_k=50)
    assert resp.hits and {(h.document.lang, name(h.document.source)) for h in resp.hits} == {("kk", NURA)}


@pytest.mark.parametrize(
    "filters", [{"convention": ["no-such-convention"]}, {"agency": ["nobody"]}, {"doc_id": ["0" * 64]}]
)
def test_unknown_filter_values_give_no_hits(corpus_kb, filters):
    resp = search(corpus_kb, "озоновый слой", **filters)
    assert resp.hits == [] and resp.total == 0


# ------------------------------------------------------------------ results


def test_one_per_doc(corpus_kb):
    many = search(corpus_kb, "озоноразрушающие вещества", lang=["ru"], top_k=10, group="passage")
    assert len({h.document.id for h in many.hits}) < len(many.hits)  # the chapter fills the list
    one = search(corpus_kb, "озоноразрушающие вещества", lang=["ru"], top_k=10, one_per_doc=True)
    ids = [h.document.id for h in one.hits]
    assert len(ids) == len(set(ids)) and len(ids) > 1
    assert one.hits[0].passage_id == many.hits[0].passage_id


def test_paging_with_offset(corpus_kb):
    full = search(corpus_kb, "министрлік", top_k=8)
    page = search(corpus_kb, "министрлік", top_k=3, offset=2)
    assert [h.passage_id for h in page.hits] == [h.passage_id for h in full.hits[2:5]]
    assert page.total >= 5


def test_hit_carries_document_passage_and_entities(corpus_kb):
    q = "Экология, геология және табиғи ресурстар министрлігі Аңдасай қаумалы бойынша шаралар қабылдасын"
    hit = search(corpus_kb, q, lang=["kk"], top_k=1).hits[0]
    doc = corpus_kb.get_document(hit.document.id)
    assert isinstance(hit.score, float) and hit.score > 0
    assert hit.document.id == doc.id and hit.document.source == doc.source and hit.document.title == doc.title
    assert (hit.document.lang, hit.document.genre, hit.document.date) == (doc.lang, doc.genre, doc.date)
    assert hit.text == doc.text[hit.start : hit.end]
    assert hit.block_path  # a numbered point of the resolution
    first_block = next(b for b in doc.blocks if b.start >= hit.start)
    assert hit.page == first_block.page  # None for a Markdown act; PDFs carry page numbers
    inside = [(e.type, e.start, e.end) for e in doc.entities if hit.start <= e.start and e.end <= hit.end]
    assert inside and [(e.type, e.start, e.end) for e in hit.entities] == inside


def test_snippet_marks_inflected_forms(corpus_kb):
    hit = search(corpus_kb, "озоновый слой", lang=["ru"], mode="lexical", top_k=1).hits[0]
    marked = {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", hit.snippet)}
    assert marked & {"озонового", "озоновому", "озоновым", "озоновом"}
    assert marked & {"слоя", "слою", "слоем", "слое"}
    kk = search(corpus_kb, "озон қабаты", lang=["kk"], mode="lexical", top_k=1).hits[0]
    assert re.search(r"<mark>қабат\w+</mark>", kk.snippet, flags=re.I)


def test_snippet_escapes_passage_html():
    text = 'Статья 1. <script>alert("x")</script> Отходы & <b>вещества</b> подлежат учету.'
    snip, matched = snippet(text, query_terms("отходов", "ru"), "ru")
    assert "<script>" not in snip and "<b>" not in snip
    assert "&lt;script&gt;" in snip and "&amp;" in snip
    assert "<mark>Отходы</mark>" in snip and matched == ["отход"]
    assert html.unescape(re.sub(r"</?mark>", "", snip)) == text


def test_snippet_of_long_passage_is_centred_on_matches():
    text = "Вступление. " * 60 + "Здесь говорится о ртути и ртутных отходах. " + "Заключение. " * 60
    snip, _ = snippet(text, query_terms("ртуть", "ru"), "ru", width=200)
    assert "<mark>ртути</mark>" in snip and snip.startswith("…") and snip.endswith("…")
    assert len(html.unescape(re.sub(r"</?mark>", "", snip))) < 260


# ------------------------------------------------------------------ bad input


def test_blank_query_is_rejected():
    with pytest.raises(ValidationError) as e:
        SearchRequest(q="   \n\t ")
    assert e.value.errors()[0]["loc"] == ("q",)


def test_overlong_query_is_rejected():
    with pytest.raises(ValidationError) as e:
        SearchRequest(q="озон " * 2000)
    assert e.value.errors()[0]["loc"] == ("q",)


@pytest.mark.parametrize("bad", [{"top_k": 0}, {"top_k": 101}, {"offset": -1}, {"mode": "fuzzy"}, {"lang": ["en"]}])
def test_bad_parameters_are_rejected(bad):
    with pytest.raises(ValidationError) as e:
        SearchRequest(q="озон", **bad)
    assert e.value.errors()[0]["loc"][0] == next(iter(bad))


def test_stop_word_query_does_not_fail(corpus_kb):
    resp = search(corpus_kb, "и в на", mode="lexical")
    assert resp.hits == []
    assert search(corpus_kb, "и в на").hits  # hybrid falls back to meaning


# ------------------------------------------------------------------ quality floor


def test_quality_floor_on_the_small_corpus(corpus_kb):
    """Eval queries whose relevant documents all lie in SMALL_CORPUS: the answer is near the top."""
    in_slice = {doc_key(rel) for rel in SMALL_CORPUS}
    queries = [q for q in load_queries() if set(q.grades()) <= in_slice]
    assert len(queries) >= 8
    recall, rr = [], []
    for q in queries:
        resp = search(corpus_kb, q.text, top_k=5, one_per_doc=True)
        keys = list(dict.fromkeys(doc_key(h.document.source) for h in resp.hits))
        best = [k for k, g in q.grades().items() if g == 2]
        recall.append(any(k in keys[:5] for k in best))
        rank = next((i for i, k in enumerate(keys) if k in best), None)
        rr.append(0 if rank is None else 1 / (rank + 1))
    assert sum(recall) / len(recall) >= 0.9, recall
    assert sum(rr) / len(rr) >= 0.8, rr


# ------------------------------------------------------------------ index upkeep


def _write_act(path: Path, points: int) -> Path:
    lines = ["# О порядке учета отходов на полигонах", ""]
    for i in range(1, points + 1):
        lines += [f"{i}. Оператор полигона номер {i} ведет журнал учета отходов и представляет отчет акимату.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def scratch_kb(kb_settings, tmp_path):
    settings = kb_settings.model_copy(update={"data_dir": tmp_path / "kb"})
    kb = KnowledgeBase(settings)
    yield kb
    kb.close()


def _points_of(kb: KnowledgeBase, doc_id: str) -> int:
    return len(search(kb, "отходы", doc_id=[doc_id], top_k=100, mode="dense", group="passage").hits)


def test_reingest_change_and_delete(scratch_kb, tmp_path):
    kb = scratch_kb
    act = _write_act(tmp_path / "act.md", points=3)
    first = kb.ingest([act])
    assert first.count("added") == 1
    old_id, n = first.files[0].doc_id, kb.index.count()
    assert n >= 2 and _points_of(kb, old_id) == n

    again = kb.ingest([act])
    assert again.count("unchanged") == 1 and kb.index.count() == n

    _write_act(act, points=40)  # large enough to need more passages
    changed = kb.ingest([act])
    new_id = changed.files[0].doc_id
    assert changed.count("updated") == 1 and new_id != old_id
    assert kb.index.document_ids() == {new_id}
    assert _points_of(kb, old_id) == 0 and kb.index.count() == _points_of(kb, new_id) > n

    assert kb.delete_document(new_id)
    assert kb.index.count() == 0 and search(kb, "отходы").hits == []


def test_reconcile_repairs_an_inconsistent_index(scratch_kb, tmp_path):
    kb = scratch_kb
    a = _write_act(tmp_path / "a.md", points=3)
    b = tmp_path / "b.md"
    b.write_text("# Об охране озонового слоя\n\n1. Ввоз озоноразрушающих веществ запрещается.\n", encoding="utf-8")
    report = kb.ingest([a, b])
    a_id, b_id = (f.doc_id for f in report.files)
    total = kb.index.count()

    # A crash between the store and the index: a's points lost, points of a deleted document left.
    kb.index.delete_document(a_id)
    rng = random.Random(0)
    vec = [rng.gauss(0, 1) for _ in range(kb.embedder.dim)]
    orphan = IndexPoint(
        id="00000000-0000-4000-8000-000000000001", dense=vec, sparse=SparseVec([1], [1.0]),
        payload={"doc_id": "gone" * 16, "text": "x", "lang": "ru"},
    )
    kb.index.upsert([orphan])
    assert kb.index.document_ids() == {b_id, "gone" * 16}
    kb.close()

    fresh = KnowledgeBase(kb.settings)
    try:
        assert fresh.reconcile() == (1, 1)
        assert fresh.index.document_ids() == {a_id, b_id} and fresh.index.count() == total
        hit = search(fresh, "журнал учета отходов на полигоне", top_k=1).hits[0]
        assert hit.document.id == a_id
        assert fresh.indexer.reconcile(fresh.docs.ids(), fresh.docs.get) == (0, 0)  # nothing left to repair
    finally:
        fresh.close()


def test_pool_merge_lifts_acts_only_the_other_language_reaches():
    """x weight for acts the own-language pool does not reach; `other_pool_top` limits it to the
    other pool's first ones; an act both pools reach keeps its scores."""
    from kb.index.base import ScoredPoint
    from kb.retrieval import Retriever

    def pt(pid, act, score, lang):
        return ScoredPoint(pid, score, {"doc_id": pid, "act_id": act, "lang": lang})

    own = [pt("a-kk", "A", 1.0, "kk"), pt("b-kk", "B", 0.8, "kk")]
    other = [pt("c-ru", "C", 0.7, "ru"), pt("b-ru", "B", 0.6, "ru"), pt("d-ru", "D", 0.5, "ru")]
    lists = [(own, False), (other, False)]

    every = Retriever(store=None, embedder=None)
    scores = {p.id: p.score for p in every._merged(lists, weight=2.0)}
    assert scores == {"a-kk": 1.0, "b-kk": 0.8, "c-ru": 1.4, "b-ru": 0.6, "d-ru": 1.0}

    first = Retriever(store=None, embedder=None, other_pool_top=1)
    merged = first._merged(lists, weight=2.0)
    assert [p.id for p in merged] == ["c-ru", "a-kk", "b-kk", "b-ru", "d-ru"]
    assert {p.id: p.score for p in merged}["d-ru"] == 0.5
