"""Entity tagger: dates, gazetteer matching, document references, gold floor, robustness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb.entities import GazetteerError, extract, gazetteer, load_gazetteer, tag_document
from kb.entities.scoring import score_gold
from kb.models import Block, Document

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "entities_gold.yaml"


def ents(text, lang, doc_date=None, type_=None):
    out = extract(text, lang, doc_date)
    return [e for e in out if type_ is None or e.type == type_]


def one(text, lang, type_, doc_date=None):
    found = ents(text, lang, doc_date, type_)
    assert len(found) == 1, found
    return found[0]


# --- dates -------------------------------------------------------------------------------

PLAN_DATE = dt.date(2022, 3, 1)


@pytest.mark.parametrize(
    "text, lang, span, value, inferred",
    [
        ("приказом № 20 от 21 января 2022 года", "ru", "21 января 2022 года", "2022-01-21", False),
        ("датировано 21.01.2022 г.", "ru", "21.01.2022 г.", "2022-01-21", False),
        ("date 2026-01-15 Казахстан", "ru", "2026-01-15", "2026-01-15", False),
        ("Сроки: июль", "ru", "июль", "2022-07-01/2022-07-31", True),
        ("Проведение заседания\t4 квартал 2022 года", "ru", "4 квартал 2022 года", "2022-10-01/2022-12-31", False),
        ("в течение 2025 года", "ru", "2025 года", "2025-01-01/2025-12-31", False),
        ("до 1 декабря 2023 г. представить", "ru", "1 декабря 2023 г.", "2023-12-01", False),
        ("План на 2022 год", "ru", "2022 год", "2022-01-01/2022-12-31", False),
        ("вводится с 1 января 2024 года", "ru", "1 января 2024 года", "2024-01-01", False),
        ("встреча 11 февраля", "ru", "11 февраля", "2022-02-11", True),
        ("Үкіметтің 2022 жылғы 21 қаңтардағы қаулысы", "kk", "2022 жылғы 21 қаңтардағы", "2022-01-21", False),
        ("4 маусымда ұлттық кеңес өтті", "kk", "4 маусымда", "2022-06-04", True),
        ("3 қыркүйекте кездесу өтті", "kk", "3 қыркүйекте", "2022-09-03", True),
        ("жұмыстар 2025 жыл бойы жүргізілді", "kk", "2025 жыл бойы", "2025-01-01/2025-12-31", False),
        ("2022 жылғы 4-тоқсан", "kk", "2022 жылғы 4-тоқсан", "2022-10-01/2022-12-31", False),
        ("2023 жылғы 1 желтоқсанға дейін ұсынсын", "kk", "2023 жылғы 1 желтоқсанға дейін", "2023-12-01", False),
        ("2020 жылғы 23 қаңтардан бастап жариялансын", "kk", "2020 жылғы 23 қаңтардан", "2020-01-23", False),
        ("екі мың жиырмасыншы жылы басталды", "kk", "екі мың жиырмасыншы жылы", "2020-01-01/2020-12-31", False),
        ("10 жұмыс күні ішінде жібереді", "kk", "10 жұмыс күні ішінде", "P10D", False),
        # Spelled-out Russian numbers in durations, in any case form.
        ("по истечении десяти календарных дней после", "ru", "десяти календарных дней", "P10D", False),
        ("в течение двадцати пяти рабочих дней", "ru", "двадцати пяти рабочих дней", "P25D", False),
        ("не позднее трёх месяцев", "ru", "трёх месяцев", "P3M", False),
    ],
)
def test_dates(text, lang, span, value, inferred):
    e = one(text, lang, "date", PLAN_DATE)
    assert (e.text, e.value, e.inferred) == (span, value, inferred)
    assert text[e.start : e.end] == e.text


def test_year_missing_without_document_date():
    # No document date and no earlier year: the mention is kept, its value unknown.
    e = one("4 маусымда кеңес өтті", "kk", "date")
    assert e.value is None and not e.inferred
    # An earlier explicit year in the same text supplies it.
    plan = "План работы на 2022 год\n1\tСеминар\tиюль\tМЧС"
    july = [e for e in ents(plan, "ru", type_="date") if e.text == "июль"][0]
    assert july.value == "2022-07-01/2022-07-31" and july.inferred


def test_invalid_date_is_kept_without_value():
    e = one("31 февраля 2022 года", "ru", "date")
    assert e.value is None


# --- gazetteer matching --------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, lang, type_, id_",
    [
        ("передать Министерству экологии, геологии и природных ресурсов", "ru", "agency", "min-ecology"),
        ("в Министерстве водных ресурсов и ирригации", "ru", "agency", "min-water"),
        ("Сторонам Стокгольмской конвенции о стойких органических загрязнителях", "ru", "convention", "stockholm"),
        ("в рамках Минаматской конвенции", "ru", "convention", "minamata"),
        ("Экология және табиғи ресурстар министрлігімен келісілсін", "kk", "agency", "min-ecology"),
        ("Төтенше жағдайлар министрлігіне жүктелсін", "kk", "agency", "min-emergency"),
        ("Стокгольм конвенциясының аясында", "kk", "convention", "stockholm"),
        ("Ғаламдық экологиялық қордың жобасы", "kk", "agency", "gef"),
        ("Су шаруашылығы комитетінің", "kk", "agency", "cttee-water"),
    ],
)
def test_inflected_forms(text, lang, type_, id_):
    e = one(text, lang, type_)
    assert e.id == id_ and e.lang == lang


def test_line_breaks_inside_names():
    ru = "Главный эксперт Комитета\nпромышленной безопасности Министерства по\nчрезвычайным ситуациям Республики Казахстан"
    found = {(e.id, e.text) for e in ents(ru, "ru", type_="agency")}
    assert ("cttee-industrial-safety", "Комитета\nпромышленной безопасности") in found
    assert ("min-emergency", "Министерства по\nчрезвычайным ситуациям Республики Казахстан") in found
    kk = "Стокгольм\nконвенциясы бойынша"
    assert one(kk, "kk", "convention").id == "stockholm"


def test_sentence_boundary_stops_a_name():
    # "Стокгольмской." then "Конвенции ..." are two sentences, not one name.
    assert ents("Это решение касается Стокгольмской. Конвенции больше нет.", "ru", type_="convention") == []


def test_kk_and_ru_names_share_an_id():
    kk = one("Стокгольм конвенциясы бойынша", "kk", "convention")
    ru = one("Стокгольмская конвенция вступила в силу", "ru", "convention")
    assert kk.id == ru.id == "stockholm"
    assert (kk.lang, ru.lang) == ("kk", "ru")
    entry = gazetteer().get("stockholm")
    assert entry.kind == "convention"
    assert "Стокгольм конвенциясы" in entry.names.kk and "Стокгольмская конвенция" in entry.names.ru
    mchs_kk = one("ТЖМ хабарлады", "kk", "agency")
    mchs_ru = one("Министерство по чрезвычайным ситуациям сообщило", "ru", "agency")
    assert mchs_kk.id == mchs_ru.id == "min-emergency"


def test_former_names_and_abbreviations_link_to_current_body():
    assert one("МЭГПР", "ru", "agency").id == "min-ecology"
    assert one("Экология, геология және табиғи ресурстар министрлігінің", "kk", "agency").id == "min-ecology"


def test_coordinated_conventions():
    ru = ents("центров Базельской и Стокгольмской конвенций", "ru", type_="convention")
    assert [(e.text, e.id) for e in ru] == [("Базельской", "basel"), ("Стокгольмской конвенций", "stockholm")]
    kk = ents("Базель, Роттердам және Стокгольм конвенцияларының хатшылықтары", "kk")
    assert [e.id for e in kk if e.type == "convention"] == ["basel", "rotterdam", "stockholm"]
    assert [e.id for e in kk if e.type == "agency"] == ["secretariat-brs"]


def test_coordinated_agencies_share_a_head():
    # Russian lends the leading head word to the later conjuncts, Kazakh the trailing words to
    # the earlier ones; each conjunct is tagged over its own words with its own id.
    ru = ents("Министерству сельского хозяйства, акиматам Карагандинской области и области Ұлытау до",
              "ru", type_="agency")
    assert [(e.text, e.id) for e in ru][-2:] == [
        ("акиматам Карагандинской области", "akimat-karaganda"), ("области Ұлытау", "akimat-ulytau")]
    kk = ents("Ақмола, Қарағанды және Ұлытау облыстарының әкімдіктері шаралар қабылдасын", "kk", type_="agency")
    assert [(e.text, e.id) for e in kk] == [
        ("Ақмола", "akimat-akmola"), ("Қарағанды", "akimat-karaganda"),
        ("Ұлытау облыстарының әкімдіктері", "akimat-ulytau")]
    # Lending needs a listed name to come out: "области" alone names no akimat.
    assert [e.id for e in ents("акимату города Алматы и области", "ru", type_="agency")] == ["akimat-almaty"]
    other = ents("акимату города Алматы и Министерству экологии, геологии и природных ресурсов", "ru",
                 type_="agency")
    assert [e.id for e in other] == ["akimat-almaty", "min-ecology"]
    assert "akimat" not in {e.id for e in kk}


def test_positions_are_not_agencies():
    # A minister or an akim is a person in office, not the body.
    assert ents("встреча Министра экологии и природных ресурсов", "ru", type_="agency") == []
    assert ents("Нұр-Сұлтан қаласының әкімі ШЕШТІ", "kk", type_="agency") == []


# --- document references ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, lang, span, value",
    [
        ("создана приказом Министра по чрезвычайным ситуациям Республики Казахстан № 20 от 21 января 2022 года.",
         "ru", "приказом Министра по чрезвычайным ситуациям Республики Казахстан № 20 от 21 января 2022 года",
         "order:20:2022-01-21"),
        ("Внести в постановление Правительства Республики Казахстан от 1 июня 2022 года № 351 изменения",
         "ru", "постановление Правительства Республики Казахстан от 1 июня 2022 года № 351", "resolution:351:2022-06-01"),
        ("ҚР Үкіметінің 2022 жылғы 1 маусымдағы № 351 қаулысы", "kk", "2022 жылғы 1 маусымдағы № 351 қаулысы",
         "resolution:351:2022-06-01"),
        ("во исполнение решение МК-1/21", "ru", "решение МК-1/21", "decision:МК-1/21"),
        ("ссылаясь на резолюцию 2/7 Ассамблеи", "ru", "резолюцию 2/7", "un-resolution:2/7"),
        ("ссылаясь на пункт 2 статьи 14 Минаматской конвенции", "ru", "пункт 2 статьи 14", "art:14:2"),
        ("Конвенцияның 14-баптың 2-тармағы", "kk", "14-баптың 2-тармағы", "art:14:2"),
        ("предусмотренных статьей 12 настоящего Кодекса", "ru", "статьей 12 настоящего Кодекса", "art:12"),
    ],
)
def test_doc_refs(text, lang, span, value):
    e = one(text, lang, "doc_ref")
    assert (e.text, e.value) == (span, value)


# --- documents, gold, robustness ----------------------------------------------------------------

def test_tag_document_offsets_point_into_clean_text():
    head = "О некоторых вопросах Министерства по чрезвычайным ситуациям"
    para = "Внести в постановление Правительства Республики Казахстан от 23 октября 2020 года № 701."
    text = head + "\n\n" + para
    doc = Document(
        id="x", source="x.md", lang="ru", genre="order", title=head, text=text,
        blocks=[
            Block(index=0, kind="heading", text=head, start=0, end=len(head), lang="ru"),
            Block(index=1, kind="paragraph", text=para, start=len(head) + 2, end=len(text), lang="ru"),
        ],
    )
    tag_document(doc)
    assert {e.type for e in doc.entities} == {"agency", "date", "doc_ref"}
    for e in doc.entities:
        assert doc.text[e.start : e.end] == e.text
    assert [e.id for e in doc.blocks[0].entities] == ["min-emergency"]
    assert doc.blocks[1].entities and all(e.start >= doc.blocks[1].start for e in doc.blocks[1].entities)
    assert len(doc.entities) == len(doc.blocks[0].entities) + len(doc.blocks[1].entities)


def test_sorted_and_non_overlapping_within_type():
    text = (ROOT / "corpora/seeds/ru/2017-minamata-cop1-decision-mc-1-21.txt").read_text(encoding="utf-8")
    out = extract(text, "ru")
    assert [e.start for e in out] == sorted(e.start for e in out)
    for t in {e.type for e in out}:
        spans = [(e.start, e.end) for e in out if e.type == t]
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), t


def test_gold_floor():
    scores = score_gold(GOLD, ROOT, extract)
    for t in ("convention", "agency", "date"):
        prf = scores["strict"][t]
        assert prf.tp >= 20, t  # the gold file must keep enough mentions to mean something
        assert prf.f1 >= 0.9, (t, prf)


def test_gold_floor_blind_split():
    # Split `blind`: gold written by a second annotator before the tagger ran on these four
    # acts. Measured 2026-11-22 (strict): agency F1 0.907 (39 TP, 5 FP, 3 FN), date F1 0.889
    # (12 TP, 1 FP, 2 FN); the floors sit just below, so a regression shows, tuning is not implied.
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_entities", ROOT / "bench" / "entities.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    assert len(bench.split_files(GOLD, "blind")) == 4
    scores = bench.score_split(GOLD, "blind")["strict"]
    assert scores["agency"].tp >= 35 and scores["agency"].f1 >= 0.87, scores["agency"]
    assert scores["date"].tp >= 10 and scores["date"].f1 >= 0.85, scores["date"]


@pytest.mark.parametrize("text", ["", "   \n\t", "Просто текст без сущностей.", "Жай мәтін."])
def test_nothing_to_find(text):
    assert extract(text, "ru") == [] and extract(text, "kk") == []


def test_mixed_language_text():
    text = "Стокгольм конвенциясы бойынша жоспар; Министерство экологии и природных ресурсов, 21 января 2022 года."
    out = extract(text, "mixed")
    assert {(e.type, e.id, e.lang) for e in out if e.type != "date"} >= {
        ("convention", "stockholm", "kk"), ("agency", "min-ecology", "ru")}
    assert [e.value for e in out if e.type == "date"] == ["2022-01-21"]


def test_very_long_line():
    text = ("Министерство экологии и природных ресурсов 21.01.2022 " * 3000) + "x" * 100_000
    out = extract(text, "ru")
    assert sum(e.type == "agency" for e in out) == 3000


# --- gazetteer validation -----------------------------------------------------------------------

def _write_gazetteer(tmp_path: Path, conventions: str) -> Path:
    (tmp_path / "conventions.yaml").write_text(conventions, encoding="utf-8")
    (tmp_path / "agencies.yaml").write_text(
        "kind: agency\nentries:\n  - id: gov-kz\n    names: {kk: [Үкімет], ru: [Правительство], en: [Government]}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_valid_gazetteer_loads(tmp_path):
    g = load_gazetteer(_write_gazetteer(tmp_path, "kind: convention\nentries:\n"
                                        "  - id: basel\n    names: {kk: [Базель конвенциясы], ru: [Базельская конвенция], en: [Basel Convention]}\n"))
    assert g.get("basel").names.en == ["Basel Convention"] and g.get("gov-kz").kind == "agency"


@pytest.mark.parametrize(
    "entry, reason",
    [
        ("  - id: bad-one\n    names: {kk: [Базель конвенциясы], en: [Basel]}\n", "ru"),
        ("  - id: bad-one\n    names: {kk: [Базель], ru: [Базельская], en: [Basel]}\n    colour: red\n", "colour"),
        ("  - id: bad-one\n    names: {kk: [Базель], ru: [''], en: [Basel]}\n", "non-empty"),
        ("  - id: bad-one\n    names: {kk: [Базель], ru: [Базельская], en: [Basel]}\n    parent: nowhere\n", "nowhere"),
    ],
)
def test_malformed_entry_names_file_and_entry(tmp_path, entry, reason):
    good = "  - id: basel\n    names: {kk: [Базель конвенциясы], ru: [Базельская конвенция], en: [Basel Convention]}\n"
    path = _write_gazetteer(tmp_path, "kind: convention\nentries:\n" + good + entry)
    with pytest.raises(GazetteerError) as err:
        load_gazetteer(path)
    msg = str(err.value)
    assert reason in msg and "bad-one" in msg
    if reason != "nowhere":  # a dangling link is reported for the whole gazetteer folder
        assert "conventions.yaml" in msg and "entry #2" in msg


def test_duplicate_id_is_an_error(tmp_path):
    e = "  - id: basel\n    names: {kk: [Базель], ru: [Базельская], en: [Basel]}\n"
    with pytest.raises(GazetteerError, match=r"conventions\.yaml.*duplicate id 'basel'"):
        load_gazetteer(_write_gazetteer(tmp_path, "kind: convention\nentries:\n" + e + e))


def test_shipped_gazetteer_is_complete():
    g = gazetteer()
    wanted = {"stockholm", "basel", "rotterdam", "minamata", "unece-industrial-accidents", "aarhus", "espoo",
              "unece-water", "cbd", "nagoya", "cartagena", "montreal", "kigali", "vienna-ozone", "unfccc", "kyoto",
              "paris", "ramsar", "cites", "cms", "unccd", "saicm"}
    assert wanted <= {e.id for e in g.conventions}
    for e in g.entries:
        for lang in ("kk", "ru", "en"):
            # A name split at a comma by an unquoted YAML flow list ([Министерство экологии,
            # геологии ...]) leaves a fragment that starts in lower case after a capitalised name.
            names = e.all_names(lang)
            if names[0][0].isupper():
                assert all(n[0].isupper() or n[0] in "«\"" for n in names), (e.id, lang, names)


def test_spacy_component():
    from kb.entities.spacy_component import entity_pipeline

    doc = entity_pipeline("kk")("Стокгольм конвенциясы 2022 жылғы 4-тоқсанда")
    assert [e.type for e in doc._.kb_entities] == ["convention", "date"]
    assert [s.label_ for s in doc.spans["kb_entities"]] == ["convention", "date"]
