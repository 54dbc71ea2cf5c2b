"""Deadlines as data (kb/obligations/deadlines.py): absolute dates and intervals, relative
deadlines with their anchor, recurring ones as RFC 5545 rules, the next due date as of a day,
and "never a wrong date" for what cannot be read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr

from kb.models import Deadline
from kb.obligations import deadlines as D
from kb.obligations import extract
from kb.obligations.adapters import parse_file, tag

ACT_DATE = dt.date(2022, 5, 1)
D_ = dt.date


# (text, lang, expected fields)
CASES = [
    # absolute and interval
    ("до 1 декабря 2022 года", "ru", dict(kind="absolute", value="2022-12-01", date=D_(2022, 12, 1), inferred=False)),
    ("2023 жылғы 1 шілдеге дейін", "kk", dict(kind="absolute", value="2023-07-01", date=D_(2023, 7, 1))),
    ("4 квартал 2022 года", "ru", dict(kind="interval", start=D_(2022, 10, 1), end=D_(2022, 12, 31))),
    ("с 1 января по 31 марта 2024 года", "ru",
     dict(kind="interval", value="2024-01-01/2024-03-31", start=D_(2024, 1, 1), end=D_(2024, 3, 31))),
    ("не позднее 1 апреля", "ru", dict(kind="absolute", value="2022-04-01", inferred=True)),
    # relative: duration + anchor
    ("в течение пяти рабочих дней со дня получения", "ru",
     dict(kind="relative", value=None, duration="P5D", business_days=True, direction="within",
          anchor="со дня получения")),
    ("не позднее чем за 15 рабочих дней до начала отопительного сезона", "ru",
     dict(kind="relative", value=None, duration="P15D", business_days=True, direction="before",
          anchor="до начала отопительного сезона")),
    ("в течение десяти календарных дней", "ru", dict(kind="relative", duration="P10D", business_days=False,
                                                   anchor=None)),
    ("в срок не более двух часов с момента обнаружения аварийной ситуации", "ru",
     dict(kind="relative", duration="PT2H", anchor="с момента обнаружения аварийной ситуации")),
    ("хабарламаны алған күннен бастап бес жұмыс күні ішінде", "kk",
     dict(kind="relative", value=None, duration="P5D", business_days=True, anchor="хабарламаны алған күннен бастап")),
    ("он жұмыс күні ішінде", "kk", dict(kind="relative", duration="P10D", business_days=True)),
    # recurring
    ("ежегодно до 1 марта года, следующего за отчетным", "ru",
     dict(kind="recurring", value=None, rrule="FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", inferred=False)),
    ("жыл сайын 1 наурызға дейін", "kk", dict(kind="recurring", value=None, rrule="FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1")),
    ("ежемесячно до 10 числа", "ru", dict(kind="recurring", rrule="FREQ=MONTHLY;BYMONTHDAY=10")),
    ("ай сайын, есепті айдан кейінгі айдың 10-ына дейін", "kk", dict(kind="recurring", rrule="FREQ=MONTHLY;BYMONTHDAY=10")),
    ("ежеквартально не позднее 15 числа месяца, следующего за отчетным кварталом", "ru",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=15", inferred=False)),
    ("ежеквартально", "ru", dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1", inferred=True)),
    ("тоқсан сайын", "kk", dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1")),
    ("ежегодно", "ru", dict(kind="recurring", rrule="FREQ=YEARLY", inferred=True)),
    ("жыл сайын", "kk", dict(kind="recurring", rrule="FREQ=YEARLY", inferred=True)),
    # issue 12 follow-up (helper O2): spelled-out and ordinal days, the month of a quarter,
    # "не позднее N дней до ..." counted back, singular "рабочего дня", Kazakh "кешіктірмей"
    ("ежеквартально, до первого числа второго месяца квартала, следующего за отчетным", "ru",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=2,5,8,11;BYMONTHDAY=1", inferred=False)),
    ("тоқсан сайын тоқсанның екінші айының бірінші күніне дейін", "kk",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=2,5,8,11;BYMONTHDAY=1")),
    ("ежемесячно, до двадцать пятого числа", "ru", dict(kind="recurring", rrule="FREQ=MONTHLY;BYMONTHDAY=25")),
    ("ай сайын жиырма бесінші күніне дейін", "kk", dict(kind="recurring", rrule="FREQ=MONTHLY;BYMONTHDAY=25")),
    ("не позднее 15-го февраля", "ru", dict(kind="absolute", date=D_(2022, 2, 15))),
    ("ақпанның 15-інен кешіктірмей", "kk", dict(kind="absolute", date=D_(2022, 2, 15))),
    ("в течение одного рабочего дня", "ru", dict(kind="relative", duration="P1D", business_days=True)),
    # a reporting period implies recurrence without a cue word; "не реже одного раза в ..." is one
    ("до 25 числа месяца, следующего за отчетным", "ru", dict(kind="recurring", rrule="FREQ=MONTHLY;BYMONTHDAY=25")),
    ("не позднее 1 марта года, следующего за отчетным", "ru",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1")),
    ("до 20 числа месяца, следующего за отчетным кварталом", "ru",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=20")),
    ("есепті тоқсаннан кейінгі айдың 20-сына дейін", "kk",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=20")),
    ("не реже одного раза в год", "ru", dict(kind="recurring", rrule="FREQ=YEARLY", inferred=True)),
    ("жылына кемінде бір рет", "kk", dict(kind="recurring", rrule="FREQ=YEARLY", inferred=True)),
    ("в срок, не превышающий одного рабочего дня", "ru", dict(kind="relative", duration="P1D", business_days=True)),
    ("в течении пяти рабочих дней со дня установления факта нарушения", "ru",
     dict(kind="relative", duration="P5D", anchor="со дня установления факта нарушения")),
    ("не позднее трех рабочих дней до наступления срока направления", "ru",
     dict(kind="relative", duration="P3D", direction="before", anchor="до наступления срока направления")),
    ("Комиссия отырысы өткізілетін күнге дейін үш жұмыс күнінен кешіктірмей", "kk",
     dict(kind="relative", duration="P3D", business_days=True, direction="before",
          anchor="Комиссия отырысы өткізілетін күнге дейін")),
    ("акт қабылданатын күнге дейін кемінде күнтізбелік он бес күн бұрын", "kk",
     dict(kind="relative", duration="P15D", business_days=False, direction="before",
          anchor="акт қабылданатын күнге дейін")),
    # nothing to read: the text stays, no value, a reason
    ("на ее втором совещании", "ru", dict(kind="unparsed", value=None)),
    ("в установленные сроки", "ru", dict(kind="unparsed", value=None)),
    # session 3 (helper O3): a day of the month in the dative, the n-th month after the period
    ("ежемесячно, к 5-му числу месяца, следующего за отчетным периодом", "ru",
     dict(kind="recurring", rrule="FREQ=MONTHLY;BYMONTHDAY=5")),
    ("ежеквартально, к 1-му числу второго месяца, следующего за отчетным периодом", "ru",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=2,5,8,11;BYMONTHDAY=1")),
    ("есепті алған күннен бастап 5 (бес) айдан асырмай", "kk", dict(kind="relative", duration="P5M")),
    ("тоқсан сайын, есепті кезеңнен кейінгі екінші айдың 1-күніне", "kk",
     dict(kind="recurring", rrule="FREQ=YEARLY;BYMONTH=2,5,8,11;BYMONTHDAY=1")),
]


@pytest.mark.parametrize("text, lang, want", CASES, ids=[c[0][:40] for c in CASES])
def test_deadline_text_becomes_data(text, lang, want):
    d = D.parse_deadline(text, lang, ACT_DATE)
    assert d.text == text
    for key, value in want.items():
        assert getattr(d, key) == value, (key, d.model_dump(exclude_none=True))
    if d.kind in ("unparsed", "relative"):
        assert d.value is None and d.reason, "no date is made up: the reason says why"
    if d.kind == "recurring":
        # a bare "ежегодно" is counted from the last day of the act's year
        assert d.value is None and d.dtstart == (D_(2022, 12, 31) if d.rrule == "FREQ=YEARLY" else ACT_DATE)
        rrulestr(d.rrule, dtstart=dt.datetime(2022, 1, 1))  # a rule RFC 5545 tools accept


@pytest.mark.parametrize("text, lang, as_of, expected", [
    ("ежегодно до 1 марта года, следующего за отчетным", "ru", D_(2026, 12, 7), D_(2027, 3, 1)),
    ("ежегодно до 1 марта года, следующего за отчетным", "ru", D_(2027, 3, 1), D_(2027, 3, 1)),
    ("жыл сайын 1 наурызға дейін", "kk", D_(2026, 2, 1), D_(2026, 3, 1)),
    ("ежемесячно до 10 числа", "ru", D_(2026, 12, 11), D_(2027, 1, 10)),
    ("ежеквартально не позднее 15 числа месяца, следующего за отчетным кварталом", "ru", D_(2026, 4, 16),
     D_(2026, 7, 15)),
    ("ежеквартально", "ru", D_(2026, 12, 7), D_(2026, 12, 31)),
    ("ежегодно", "ru", D_(2026, 12, 7), D_(2026, 12, 31)),
    ("ежегодно", "ru", D_(2020, 1, 1), D_(2022, 12, 31)),
    ("ежегодно до 1 марта", "ru", D_(2020, 1, 1), D_(2023, 3, 1)),  # not before the act (dated 2022-05-01)
    ("до 1 декабря 2022 года", "ru", D_(2022, 11, 1), D_(2022, 12, 1)),
    ("до 1 декабря 2022 года", "ru", D_(2022, 12, 2), None),  # passed: nothing ahead
    ("4 квартал 2022 года", "ru", D_(2022, 12, 31), D_(2022, 12, 31)),
    ("в течение пяти рабочих дней со дня получения", "ru", D_(2026, 1, 1), None),
])
def test_next_due_as_of_a_day(text, lang, as_of, expected):
    assert D.next_due(D.parse_deadline(text, lang, ACT_DATE), as_of) == expected


def test_occurrences_of_a_rule_start_at_the_act():
    d = D.parse_deadline("ежегодно до 1 марта", "ru", ACT_DATE)
    days = D.occurrences(d, end=D_(2026, 12, 31))
    assert days == [D_(2023, 3, 1), D_(2024, 3, 1), D_(2025, 3, 1), D_(2026, 3, 1)]
    assert D.occurrences(D.parse_deadline("до 1 декабря 2022 года", "ru", ACT_DATE)) == []


def test_due_date_of_one_off_deadlines():
    assert D.due_date(D.parse_deadline("4 квартал 2022 года", "ru", ACT_DATE)) == D_(2022, 12, 31)
    assert D.due_date(D.parse_deadline("до 1 декабря 2022 года", "ru", ACT_DATE)) == D_(2022, 12, 1)
    assert D.due_date(D.parse_deadline("ежегодно", "ru", ACT_DATE)) is None
    assert D.due_date(None) is None


def test_records_stored_before_parsing_get_their_kind_from_the_value():
    assert Deadline(text="июнь", value="2022-06-01/2022-06-30").kind == "interval"
    assert Deadline(text="до 1 декабря", value="2022-12-01").kind == "absolute"
    assert Deadline(text="на совещании").kind == "unparsed"
    assert D.due_date(Deadline(text="x", value="2022-12-01")) == D_(2022, 12, 1)


def test_extraction_carries_deadlines_as_data(tmp_path: Path):
    folder = tmp_path / "ru"
    folder.mkdir()
    p = folder / "rules.txt"
    p.write_text(
        "Правила представления отчетности\n\n"
        "1. Министерству экологии ежегодно до 1 марта года, следующего за отчетным, направлять отчет в Правительство.\n\n"
        "2. Министерству по чрезвычайным ситуациям в течение пяти рабочих дней со дня получения запроса "
        "представить информацию.\n\n"
        "3. Акимату Алматинской области до 1 декабря 2022 года принять меры.\n", encoding="utf-8")
    doc = tag(parse_file(p))
    items = extract(doc)
    by_kind = {o.deadline.kind: o for o in items if o.deadline}
    assert set(by_kind) == {"recurring", "relative", "absolute"}, [o.deadline for o in items]
    assert by_kind["recurring"].deadline.rrule == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1"
    assert by_kind["recurring"].deadline.text == "ежегодно до 1 марта года, следующего за отчетным"
    assert by_kind["recurring"].deadline.value is None  # not 1 March of the act's year
    rel = by_kind["relative"].deadline
    assert (rel.duration, rel.business_days, rel.value) == ("P5D", True, None)
    assert rel.anchor.startswith("со дня получения")
    assert by_kind["absolute"].deadline.value == "2022-12-01"
    # the JSON contract keeps its keys, the new ones are added
    rec = by_kind["recurring"].model_dump(mode="json")
    assert {"actor", "action", "deadline", "condition", "modality", "quote", "lang"} <= set(rec)
    assert {"text", "value", "inferred", "kind", "rrule", "duration", "anchor", "reason"} <= set(rec["deadline"])


def test_kazakh_recurring_deadline_is_extracted(tmp_path: Path):
    folder = tmp_path / "kk"
    folder.mkdir()
    p = folder / "rules.txt"
    p.write_text("Қағидалар\n\n1. Экология министрлігі жыл сайын 1 наурызға дейін есепті Үкіметке ұсынсын.\n",
                 encoding="utf-8")
    (o,) = extract(tag(parse_file(p)))
    assert o.deadline.text == "жыл сайын 1 наурызға дейін"
    assert o.deadline.kind == "recurring" and o.deadline.rrule == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1"


def test_a_bad_grammar_file_names_the_entry(monkeypatch):
    monkeypatch.setattr(D, "load_yaml", lambda name: {"recurring": {"ru": [{"re": "(", "freq": "YEARLY"}]}})
    D.grammar.cache_clear()
    try:
        with pytest.raises(D.DeadlineGrammarError, match=r"deadlines\.yaml: recurring\.ru\[0\]: bad regex"):
            D.grammar()
        monkeypatch.setattr(D, "load_yaml", lambda name: {"recurring": {"ru": [{"re": "x", "freq": "HOURLY"}]}})
        D.grammar.cache_clear()
        with pytest.raises(D.DeadlineGrammarError, match="freq 'HOURLY'"):
            D.grammar()
    finally:
        monkeypatch.undo()
        D.grammar.cache_clear()


def test_kk_monthly_deadline_by_a_dative_day_is_read_whole(tmp_path: Path):
    folder = tmp_path / "kk"
    folder.mkdir()
    p = folder / "rules.txt"
    p.write_text("Есептілікті ұсыну қағидалары\n\n2. Орталық атқарушы органдар есептілікті уәкілетті органға ай сайын, "
                 "есепті кезеңнен кейінгі айдың 5-күніне ұсынады.\n", encoding="utf-8")
    (o,) = extract(tag(parse_file(p)))
    assert o.deadline.text == "ай сайын, есепті кезеңнен кейінгі айдың 5-күніне"
    assert o.deadline.rrule == "FREQ=MONTHLY;BYMONTHDAY=5"
