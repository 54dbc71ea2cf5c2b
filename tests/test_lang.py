"""Language tools: Kazakh stemmer, Russian lemmas, spaCy pipelines, terms()."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from kb.lang import normalize, ru_lemma, terms
from kb.lang.kk_stemmer import KazakhStemmer, parse_table, stem
from kb.lang.script import load_yaml

DATA = Path(__file__).parent / "data" / "kk_stems.tsv"
HELDOUT = Path(__file__).parent / "data" / "kk_stems_heldout.tsv"
# Measured 0.996 (238/239) on the shipped list, which was written while the
# rules were developed; a blind sample of 140 corpus words scored ~0.94 before
# the last round of fixes. The floor leaves room for rule changes.
STEM_ACCURACY_FLOOR = 0.95


def _rows(path: Path = DATA):
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("word\t"):
            continue
        word, expected, *rest = line.split("\t")
        rows.append((word, expected, rest[0] if rest else ""))
    return rows


def test_word_list_is_big_enough():
    rows = _rows()
    assert len(rows) >= 150
    assert {c for _, _, c in rows} >= {"protect", "verb-imperative", "participle+passive", "plural+poss+case"}


def test_stemmer_accuracy_on_word_list():
    rows = _rows()
    failures = [(w, stem(w), e) for w, e, _ in rows if stem(w) != e]
    accuracy = 1 - len(failures) / len(rows)
    print(f"\nKazakh stemmer: {accuracy:.3f} on {len(rows)} words")
    for word, got, expected in failures:
        print(f"  {word}: got {got!r}, expected {expected!r}")
    assert accuracy >= STEM_ACCURACY_FLOOR, failures


def test_stemmer_accuracy_on_heldout_list():
    # 94/98 when first run blind; see the file's header
    rows = _rows(HELDOUT)
    failures = [(w, stem(w), e) for w, e, _ in rows if stem(w) != e]
    accuracy = 1 - len(failures) / len(rows)
    print(f"\nKazakh stemmer, held-out list: {accuracy:.3f} on {len(rows)} words; misses: {failures}")
    assert len(rows) >= 90
    assert accuracy >= 0.93, failures


@pytest.mark.parametrize(
    "word,expected",
    [
        ("конвенциясы", "конвенция"),
        ("министрлігі", "министрлік"),
        ("министрлігінің", "министрлік"),
        ("Стокгольм", "стокгольм"),
        ("жоспарларды", "жоспар"),
        ("әкімдігі", "әкімдік"),
        ("қаулысымен", "қаулы"),
        ("қабылдасын", "қабылда"),
        ("орындау", "орында"),
        ("жөнiндегi", "жөн"),  # Latin i typed for Kazakh і
    ],
)
def test_stemmer_brief_examples(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize(
    "forms",
    [
        ["министрлік", "министрлігі", "министрлігінің", "министрліктер", "министрліктің", "министрлігімен"],
        ["жоспар", "жоспары", "жоспарды", "жоспарлар", "жоспарларды", "жоспарының"],
        ["қаулы", "қаулысы", "қаулының", "қаулымен", "қаулысына", "қаулыдан"],
        ["бекіту", "бекітілген", "бекітілсін", "бекітеді", "бекітуге"],
        ["аумақ", "аумағы", "аумағында", "аумақтардың", "аумақты"],
        ["облыс", "облысы", "облысының", "облыстардың", "облыстарының"],
        ["пайдалану", "пайдаланылған", "пайдалануға", "пайдаланылатын"],
        ["талап", "талабы", "талаптар", "талаптарына"],
    ],
)
def test_inflected_forms_share_a_stem(forms):
    stems = {stem(f) for f in forms}
    assert len(stems) == 1, dict(zip(forms, map(stem, forms)))


def test_protected_words_and_no_passive_on_nouns():
    for word in ["Қазақстан", "туралы", "ауыл", "жасыл", "су", "Жезқазған", "қызылорда"]:
        assert stem(word) == word.lower()


def test_suffix_table_errors_name_the_file_and_field():
    raw = load_yaml("kk_suffixes.yaml")
    raw["slots"][1]["forms"][0]["after"] = ["no_such_class"]
    with pytest.raises(ValueError, match=r"kk_suffixes.yaml.*unknown letter class"):
        parse_table(raw)


def test_stemmer_from_a_modified_table():
    raw = load_yaml("kk_suffixes.yaml")
    raw["protect"].append("жоспар")
    raw["protect"].remove("қаулы")
    stemmer = KazakhStemmer(parse_table(raw))
    assert stemmer.stem("жоспарлары") == "жоспар"
    assert stemmer.stem("қаулы") == "қаул"  # without protection the -ы is taken as a possessive


@pytest.mark.parametrize(
    "word,lemma",
    [
        ("конвенции", "конвенция"),
        ("министерства", "министерство"),
        ("обязаны", "обязанный"),
        ("обязан", "обязанный"),
        ("утверждённого", "утвердить"),
        ("Республики", "республика"),
        ("данные", "данные"),
    ],
)
def test_russian_lemmas(word, lemma):
    assert ru_lemma(word) == lemma
    assert normalize(word, "ru") == lemma


def test_mixed_picks_analyser_per_word():
    assert normalize("конвенциясы", "mixed") == "конвенция"  # unknown to pymorphy3 -> Kazakh
    assert normalize("жоспарды", "mixed") == "жоспар"
    assert normalize("министерства", "mixed") == "министерство"
    assert normalize("министрлігі", "mixed") == "министрлік"  # Kazakh letter
    assert normalize("Қарағанды", "ru") == "қарағанды"  # Kazakh letter in Russian text
    assert normalize("RECETOX", "ru") == "recetox"
    assert normalize("алу", "mixed") == "ал"  # pymorphy3 knows "алу" (алый): listed homograph
    assert normalize("озоноразрушающих", "mixed") == "озоноразрушающий"  # unknown, Russian ending


def test_kazakh_blank_tokenizer():
    import kb.lang.kazakh  # noqa: F401

    nlp = spacy.blank("kk")
    assert nlp.lang == "kk"
    words = lambda text: [t.text for t in nlp(text)]  # noqa: E731
    assert words("14-баптың талаптары") == ["14", "-", "баптың", "талаптары"]
    assert words("2022 жылғы 1 желтоқсан") == ["2022", "жылғы", "1", "желтоқсан"]
    assert words("№ 351 және №351") == ["№", "351", "және", "№", "351"]
    assert words("«Жасыл даму» АҚ") == ["«", "Жасыл", "даму", "»", "АҚ"]
    assert words("ҚР, БҰҰ т.б. ұйымдар.") == ["ҚР", ",", "БҰҰ", "т.б.", "ұйымдар", "."]
    doc = nlp("бір мың 1-ші және")
    assert [t.like_num for t in doc] == [True, True, True, False]
    assert doc[3].is_stop


def test_get_nlp_components_extensions_and_sentences():
    from kb.lang.pipeline import get_nlp

    nlp = get_nlp("kk")
    assert get_nlp("kk") is nlp
    assert nlp.pipe_names == ["kb_list_markers", "sentencizer", "kb_normalizer"]
    doc = nlp("1. Министрлігінің қаулысы бекітілсін. 2. Әкімдіктері мынадай:\n1) жоспарды;\n2) т.б. шараларды.")
    assert [t._.norm_form for t in doc if t.text in ("Министрлігінің", "бекітілсін", "шараларды")] == [
        "министрлік",
        "бекіт",
        "шара",
    ]
    sents = [s.text.strip() for s in doc.sents]
    assert sents == ["1. Министрлігінің қаулысы бекітілсін.", "2. Әкімдіктері мынадай:", "1) жоспарды;", "2) т.б. шараларды."]

    ru = get_nlp("ru")
    doc = ru("1. Органы обязаны утвердить план согласно пп. 2 ч. 1 ст. 12. 2. Министерства утверждают.")
    assert [s.text.strip() for s in doc.sents] == [
        "1. Органы обязаны утвердить план согласно пп. 2 ч. 1 ст. 12.",
        "2. Министерства утверждают.",
    ]
    assert [t._.norm_form for t in doc if t.text in ("обязаны", "Министерства")] == ["обязанный", "министерство"]


def test_terms_kazakh_sentence():
    text = "Қазақстан Республикасы Экология министрлігі 2022 жылғы 1 желтоқсанға дейін осы қаулыдан туындайтын шараларды қабылдасын."
    assert terms(text, "kk") == [
        "қазақстан", "республика", "экология", "министрлік", "2022", "жыл", "1", "желтоқсан",
        "қаулы", "туында", "шара", "қабылда",
    ]  # fmt: skip


def test_terms_russian_sentence():
    text = "Министерство обязано утвердить план по решению MC-1/21 № 351 и т.д."
    got = terms(text, "ru")
    assert got == ["министерство", "обязанный", "утвердить", "план", "решение", "mc-1/21", "351"]


def test_terms_mixed_and_hyphens():
    got = terms("Стокгольм конвенциясы және Стокгольмская конвенция; БҰҰ-ның 14-бабының, 2022-ге", "mixed")
    assert got == ["стокгольм", "конвенция", "стокгольмский", "конвенция", "бұұ", "14", "бап", "2022"]
    assert terms("", "kk") == []
    assert terms("— «» ... ;", "ru") == []
