"""Requisites: every shipped act's official requisite line parsed alone (its sidecar hidden),
checked against meta.yaml's other fields and a hand-read gold file; and the Kazakh lines,
clauses, symbols and datelines the parser must read from texts. Target: all right."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from ingest import parse_bytes
from ingest.requisites import find_requisite_line, from_text, parse_requisite

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
FORMS = yaml.safe_load((ROOT / "tests/data/requisites_forms.yaml").read_text(encoding="utf-8"))
GOLD = yaml.safe_load((ROOT / "tests/data/requisites_gold.yaml").read_text(encoding="utf-8"))
METAS = sorted(CORPORA.rglob("meta.yaml"))
FIELDS = ("kind", "date", "number", "issuer", "status")


def expected_from_meta(meta: dict) -> dict:
    """What meta.yaml says apart from its requisite line; number/issuer/status from the gold
    file when the act has a row, else read plainly off the line (first "№", "Утратил")."""
    codes = [meta.get("form"), *(meta.get("type_codes") or [])]
    kind = next((FORMS["forms"][c] for c in codes if c in FORMS["forms"]), None)
    bodies = [b["body"] for code in meta.get("approved_by") or [] for b in FORMS["approved_by"]
              if re.match(b["pattern"], str(code))]
    if kind is None:
        kind = next((FORMS["by_body"].get(c, {}).get(b) for c in codes for b in bodies
                     if FORMS["by_body"].get(c, {}).get(b)), None)
    approved = meta["approved_on"]
    out = {"kind": kind, "date": approved if isinstance(approved, dt.date) else dt.date.fromisoformat(approved)}
    gold = GOLD.get(str(meta["act_code"]))
    if gold:
        out.update(number=str(gold["number"]), issuer=gold["issuer"], status=gold["status"])
        out["gold"] = gold
    else:
        line = meta["requisite"]
        first = line.split(". ")[0]
        # "№ 204.Утратило силу ..." (no space after the full stop): the number ends at the stop
        out["number"] = re.sub(r"\.[А-ЯЁ].*$", "", re.search(r"№\s*(\S+(?:\s+ЗРК)?)", first).group(1))
        out["issuer"] = FORMS["issuers"].get(bodies[0]) if bodies else None
        out["status"] = "repealed" if re.search(r"Утратил\w*\s+силу", line) else "in_force"
    return out


def test_the_corpus_has_acts_with_sidecars():
    assert len(METAS) >= 16  # 15 acts and the Environmental Code (5 parts): 20 act pairs


@pytest.mark.parametrize("meta_path", METAS, ids=lambda p: p.parent.name[-6:])
def test_requisite_line_alone_gives_kind_date_number_issuer_status(meta_path):
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    want = expected_from_meta(meta)
    got = parse_requisite(meta["requisite"])
    for field in FIELDS:
        assert getattr(got, field) == want[field], f"{meta_path.parent.name}: {field}"
    gold = want.get("gold") or {}
    if "repealed_on" in gold:
        assert got.repealed_on == gold["repealed_on"] and got.repealed_by
    if "registration" in gold:
        assert got.registration.date == gold["registration"]["date"]
        assert got.registration.number == str(gold["registration"]["number"])
    if got.status == "in_force":
        assert got.repealed_by is None and got.repealed_on is None


def test_every_shipped_act_has_a_gold_row_or_a_plain_reading():
    # acts added later are checked by the plain reading; the 20 original pairs have gold rows
    assert {"151312", "178481", "133026", "139112", "162294"} <= set(GOLD)


KAZAKH = [
    ("Қазақстан Республикасы Үкіметінің 2023 жылғы 1 ақпандағы № 69 қаулысы",
     {"kind": "government_resolution", "date": dt.date(2023, 2, 1), "number": "69",
      "issuer": "Қазақстан Республикасы Үкіметінің", "status": "in_force"}),
    ("Нұр-Сұлтан қаласы мәслихатының 2019 жылғы 27 маусымдағы № 395/52-VI шешімі. Нұр-Сұлтан қаласының "
     "Әділет департаментінде 2019 жылғы 3 шілдеде № 1235 болып тіркелді. Күші жойылды - Астана қаласы "
     "мәслихатының 2026 жылғы 30 маусымдағы № 434/56-VIII шешімімен (алғашқы ресми жарияланған күнінен "
     "кейін күнтізбелік он күн өткен соң қолданысқа енгізіледі)",
     {"kind": "maslikhat_decision", "date": dt.date(2019, 6, 27), "number": "395/52-VI",
      "issuer": "Нұр-Сұлтан қаласы мәслихатының", "status": "repealed", "repealed_on": dt.date(2026, 6, 30)}),
    ("Нұр-Сұлтан қаласы әкімінің 2020 жылғы 28 қаңтардағы № 01-2 шешімі",
     {"kind": "akimat_resolution", "number": "01-2", "issuer": "Нұр-Сұлтан қаласы әкімінің"}),
    ("Қазақстан Республикасы Экология және табиғи ресурстар министрінің 2023 жылғы 28 қыркүйектегі № 299 бұйрығы. "
     "Қазақстан Республикасының Әділет министрлігінде 2023 жылғы 2 қазанда № 33493 болып тіркелді",
     {"kind": "ministerial_order", "date": dt.date(2023, 9, 28), "number": "299"}),
    ("Қазақстан Республикасының 2021 жылғы 2 қаңтардағы № 400-VI ҚРЗ Экология Кодексі",
     {"kind": "code", "number": "400-VI ҚРЗ", "issuer": None}),
]


@pytest.mark.parametrize(("line", "want"), KAZAKH, ids=range(len(KAZAKH)))
def test_kazakh_requisite_lines(line, want):
    got = parse_requisite(line)
    for field, value in want.items():
        assert getattr(got, field) == value, field


def test_kazakh_registration_clause():
    got = parse_requisite(KAZAKH[3][0])
    assert got.registration.date == dt.date(2023, 10, 2) and got.registration.number == "33493"


def test_russian_order_with_registration_and_law():
    got = parse_requisite("Приказ Министра экологии и природных ресурсов Республики Казахстан от 28 сентября "
                          "2023 года № 299. Зарегистрирован в Министерстве юстиции Республики Казахстан "
                          "2 октября 2023 года № 33493")
    assert (got.kind, got.number, got.issuer) == (
        "ministerial_order", "299", "Министра экологии и природных ресурсов Республики Казахстан")
    assert got.registration.number == "33493" and got.registration.body == "Министерстве юстиции Республики Казахстан"
    law = parse_requisite("Закон Республики Казахстан от 27 декабря 2021 года № 87-VII ЗРК")
    assert (law.kind, law.number, law.issuer, law.date) == ("law", "87-VII ЗРК", None, dt.date(2021, 12, 27))


def test_a_requisite_found_in_a_text_proves_nothing_by_omission():
    assert parse_requisite("Постановление Правительства Республики Казахстан от 1 февраля 2023 года № 69",
                           official=False).status == "unknown"


def test_text_requisite_line_and_repeal_note():
    text = ("Постановление Правительства Республики Казахстан от 1 февраля 2023 года № 69\n\n"
            "> *Сноска. Утратило силу постановлением Правительства РК от 22.09.2023 № 830.*\n\n"
            "# Об уменьшении площади заказника\n\nВ соответствии с Законом Республики Казахстан от 7 июля "
            "2006 года № 175 Правительство Республики Казахстан ПОСТАНОВЛЯЕТ:\n\n1. Уменьшить.\n")
    assert find_requisite_line(text).startswith("Постановление Правительства")
    got = from_text(text)
    assert (got.kind, got.number, got.date) == ("government_resolution", "69", dt.date(2023, 2, 1))
    assert got.status == "repealed" and got.repealed_on == dt.date(2023, 9, 22)
    assert set(got.source_of.values()) == {"text"}


def test_references_to_other_acts_are_not_the_acts_own_requisites():
    text = ("# О внесении изменения\n\n2. «Тізбесін бекіту туралы» Қазақстан Республикасы Үкіметінің "
            "2017 жылғы 26 қыркүйектегі № 593 қаулысына мынадай өзгерістер енгізілсін:\n\n"
            "3. Внести в постановление Правительства Республики Казахстан от 26 сентября 2017 года № 593 изменение.\n")
    assert find_requisite_line(text) is None
    assert from_text(text).number is None


def test_cop_symbol_and_press_dateline():
    cop = from_text("Решение SC-1/12: Программа работы\n\nКонференция Сторон,\n\nссылаясь на ...",
                    title="SC-1/12: Программа работы")
    assert (cop.kind, cop.number) == ("cop_decision", "SC-1/12")
    ru = from_text("Министерство экологии сообщает\n\nАстана, 15 января 2026 года — Министерство провело совещание.",
                   genre="press_release")
    assert (ru.kind, ru.date) == ("press_release", dt.date(2026, 1, 15))
    kk = from_text("Баспасөз хабарламасы\n\n2025 жылғы 3 қыркүйек\n\nАстанада кеңес өтті.", genre="press_release")
    assert kk.date == dt.date(2025, 9, 3)
    assert from_text("Кеңес өтті. 2025 жыл бойы жұмыс жүргізілді.", genre="press_release").date is None


def test_text_alone_of_a_shipped_act_gives_kind_and_issuer_not_foreign_numbers():
    path = next(CORPORA.rglob("0601-ob-umenshenii-territorii-vostochnogo-gosudarstvennogo-prirodnogo-168356/rus.md"))
    doc = parse_bytes(path.read_bytes(), path.name)  # no sidecar
    r = doc.requisites
    assert r.kind == "government_resolution" and r.issuer == "Правительство Республики Казахстан"
    assert r.number is None and r.date is None and r.status == "unknown"


def test_an_articles_repeal_note_deep_in_the_text_is_not_the_acts():
    body = "\n\n".join(f"{i}. Пункт номер {i} о порядке." for i in range(1, 15))
    text = f"# Глава 21. Охрана озонового слоя\n\n{body}\n\nУтратила силу Законом РК от 27.12.2021 № 87-VII.\n"
    assert from_text(text).status == "unknown"
    assert from_text("# Глава\n\nУтратила силу Законом РК от 27.12.2021 № 87-VII.\n").status == "repealed"
