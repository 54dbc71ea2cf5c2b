"""The scale benchmark's pure parts (bench/scale.py): generation, fusion, nDCG. Not its timings."""

from __future__ import annotations

import pytest
from ranx import Qrels, Run, evaluate

from bench.scale import Baseline, first_unique, generate_doc, ndcg_at, rrf, source_key, split_sentences

UNITS = {"kk": list(range(0, 40)), "ru": list(range(40, 90))}
SOURCE_OF = [i % 7 for i in range(90)]  # seven source documents


def test_generation_is_deterministic_and_per_index():
    a = generate_doc(5, UNITS, SOURCE_OF, seed=13)
    b = generate_doc(5, UNITS, SOURCE_OF, seed=13)
    assert a == b
    assert generate_doc(6, UNITS, SOURCE_OF, seed=13) != a
    assert generate_doc(5, UNITS, SOURCE_OF, seed=14) != a


def test_generated_passages_stay_in_one_language_and_mix_sources():
    for index in range(20):
        doc = generate_doc(index, UNITS, SOURCE_OF, seed=13, passages=(5, 5), per_passage=(3, 6))
        assert doc.lang == ("kk" if index % 2 else "ru")
        assert len(doc.passages) == 5
        for passage in doc.passages:
            assert 3 <= len(passage) <= 6
            assert set(passage) <= set(UNITS[doc.lang])
            # drawn from different source documents (seven are available, at most six needed)
            assert len({SOURCE_OF[u] for u in passage}) == len(passage)


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([["a", "b", "c"], ["c", "a", "d"]], k=60)
    # a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62; d: 1/63
    assert fused == ["a", "c", "b", "d"]
    assert rrf([["x", "y"], []]) == ["x", "y"]
    assert rrf([]) == []


def test_first_unique_folds_passages_into_documents():
    assert first_unique(["d1", "d1", "d2", "d3", "d2", "d4"], 3) == ["d1", "d2", "d3"]
    assert first_unique(["d1"], 10) == ["d1"]


@pytest.mark.parametrize("ranked", [
    ["r2", "x", "r1"],
    ["x", "y", "r1", "r2"],
    ["r1", "r2"],
    ["x", "y", "z"],
    [f"x{i}" for i in range(9)] + ["r2"],
])
def test_ndcg_matches_ranx(ranked):
    grades = {"r2": 2, "r1": 1}
    ours = ndcg_at(ranked, grades, 10)
    run = {r: float(100 - i) for i, r in enumerate(ranked)}
    theirs = evaluate(Qrels({"q": grades}), Run({"q": run}), "ndcg@10")
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_ndcg_bounds():
    assert ndcg_at(["r2", "r1"], {"r2": 2, "r1": 1}) == pytest.approx(1.0)
    assert ndcg_at(["x"], {"r2": 2}) == 0.0
    assert ndcg_at(["r1", "r2"], {"r2": 2, "r1": 1}) < 1.0


def test_source_key_maps_corpus_files_and_leaves_generated_ones_apart():
    src = "corpora/kazakhstan-law/government/06-government/103-pravitelstvo/2022/0711-o-r-169752/kaz.md"
    assert source_key(src) == "kzlaw-169752"
    assert source_key("generated/kk/gen-00001.md") == "gen:generated/kk/gen-00001.md"


def test_split_sentences_keeps_running_text_only():
    text = "Статья 1.\nНастоящие правила определяют порядок выдачи разрешений на эмиссии в окружающую среду. Да."
    assert split_sentences(text) == ["Настоящие правила определяют порядок выдачи разрешений на эмиссии в окружающую среду."]


def test_baseline_stems_russian_only():
    pytest.importorskip("Stemmer")
    b = Baseline()
    assert b.tokens("отходов отходы", "ru")[0] == b.tokens("отходов отходы", "ru")[1]
    # Snowball has no Kazakh stemmer: Kazakh words are kept as written (lower-cased)
    assert b.tokens("Қалдықтарды қалдықтар", "kk") == ["қалдықтарды", "қалдықтар"]
