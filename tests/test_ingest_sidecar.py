"""Sidecars (meta.yaml, NAME.meta.yaml, front matter): read first, never trusted blindly, never fatal."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ingest import parse_bytes, parse_file
from ingest.sidecar import find_for, read

ROOT = Path(__file__).resolve().parents[1]
ACT = ROOT / "corpora/kazakhstan-law/local-astana/08-local-decisions/150-goroda-nur-sultan/15000000-goroda-nur-sultan/2019/0627-ob-utverzhdenii-stavok-platy-za-negativnoe-vozdeistvie-na-okruzh-133026"
SEED = ROOT / "corpora/seeds/ru/2017-minamata-cop1-decision-mc-1-21.txt"


@pytest.fixture
def act(tmp_path) -> Path:
    target = tmp_path / "local-astana" / "2019" / ACT.name
    shutil.copytree(ACT, target)
    return target


def _warnings_about(doc, needle: str) -> list[str]:
    return [w for w in doc.warnings if needle in w]


def test_mirror_sidecar_gives_the_acts_requisites(act):
    doc = parse_file(act / "rus.md")
    r = doc.requisites
    assert (r.kind, r.number, r.date) == ("maslikhat_decision", "395/52-VI", dt.date(2019, 6, 27))
    assert r.issuer == "маслихата города Нур-Султана"
    assert r.registration.number == "1235" and r.registration.date == dt.date(2019, 7, 3)
    assert r.status == "repealed" and r.repealed_on == dt.date(2026, 6, 30)
    assert r.repealed_by.startswith("решением маслихата города Астаны") and r.repealed_by.endswith("№ 434/56-VIII")
    assert r.amended_by[0].relation == "repealed" and r.amended_by[0].number == "434/56-VIII"
    assert r.act_code == "133026" and r.edition_date == dt.date(2019, 6, 27)
    assert all(src == "sidecar" for f, src in r.source_of.items() if f != "issuer")
    assert doc.date == dt.date(2019, 6, 27) and doc.number == "395/52-VI"
    assert doc.warnings == []


def test_bad_yaml_is_one_warning_and_the_text_still_parses(act):
    (act / "meta.yaml").write_text("act_code: '133026'\nrequisite: [unclosed\ntitle: x\n", encoding="utf-8")
    doc = parse_file(act / "rus.md")
    [w] = doc.warnings
    assert str(act / "meta.yaml") in w and "bad YAML" in w
    assert doc.blocks and doc.act_key == "kzlaw-133026"  # the folder still names the act
    assert doc.requisites.source_of and set(doc.requisites.source_of.values()) == {"text"}


def test_unknown_date_format_names_the_file_and_the_field(act):
    meta = (act / "meta.yaml").read_text(encoding="utf-8")
    meta = meta.replace("approved_on: 2019-06-27", "approved_on: 27/06/2019")
    meta = meta.replace("  kaz: 2019-06-27\n  rus: 2019-06-27", "  kaz: 2019-06-27\n  rus: sometime in June")
    (act / "meta.yaml").write_text(meta, encoding="utf-8")
    doc = parse_file(act / "rus.md")
    assert len(_warnings_about(doc, "field 'approved_on': unknown date format '27/06/2019'")) == 1
    assert len(_warnings_about(doc, "field 'version_date.rus': unknown date format")) == 1
    assert all(str(act / "meta.yaml") in w for w in doc.warnings)
    assert doc.requisites.date == dt.date(2019, 6, 27)  # the requisite line still gives it
    assert doc.requisites.edition_date is None


def test_missing_fields_are_reported_one_line_each(act):
    (act / "meta.yaml").write_text("act_code: '133026'\napproved_on: 2019-06-27\n", encoding="utf-8")
    doc = parse_file(act / "rus.md")
    assert sorted(w.split("field ")[1] for w in doc.warnings) == ["'requisite': missing", "'title': missing"]
    assert doc.requisites.date == dt.date(2019, 6, 27) and doc.requisites.source_of["date"] == "sidecar"
    assert doc.requisites.status == "unknown"  # no requisite line: no claim about repeal either way


def test_sidecar_title_contradicting_the_text_is_reported(act):
    meta = (act / "meta.yaml").read_text(encoding="utf-8")
    meta = meta.replace("rus: Об утверждении ставок платы", "rus: О порядке выпаса скота и ставок платы")
    meta = meta.replace("окружающую среду по городу Астане", "пастбища")
    (act / "meta.yaml").write_text(meta, encoding="utf-8")
    doc = parse_file(act / "rus.md")
    [w] = _warnings_about(doc, "field 'title'")
    assert "differs from the text's title" in w and doc.title.startswith("Об утверждении ставок платы за эмиссии")


def test_seed_sidecar_beside_the_file(tmp_path):
    seed = tmp_path / SEED.name
    shutil.copy(SEED, seed)
    assert find_for(seed) is None
    doc = parse_file(seed)
    assert doc.requisites.source_of == {"kind": "text", "number": "text"}  # the COP symbol in its title
    shutil.copy(SEED.with_name(SEED.stem + ".meta.yaml"), tmp_path)
    doc = parse_file(seed)
    r = doc.requisites
    assert (r.kind, r.number, r.issuer) == ("cop_decision", "МК-1/21", "Конференция Сторон Минаматской конвенции о ртути")
    assert r.source_of["issuer"] == "sidecar" and doc.warnings == []


def test_plain_sidecar_with_bad_values(tmp_path):
    f = tmp_path / "note.txt"
    f.write_text("Пресс-релиз о заседании рабочей группы по отходам.\n\nТекст новости.\n", encoding="utf-8")
    (tmp_path / "note.meta.yaml").write_text(
        "kind: bulletin\nstatus: alive\ndate: 2025-13-01\nlang: ru\ntitel: x\nissuer: Министерство экологии\n",
        encoding="utf-8",
    )
    doc = parse_file(f)
    fields = sorted(w.split("field ")[1].split(":")[0] for w in doc.warnings)
    assert fields == ["'date'", "'kind'", "'status'", "'titel'"]
    assert doc.requisites.issuer == "Министерство экологии" and doc.requisites.date is None


def test_sidecar_language_contradicting_the_text(tmp_path):
    f = tmp_path / "note.txt"
    f.write_text("Астанада Стокгольм конвенциясы бойынша жаңартылған Ұлттық жоспар ұсынылды.\n", encoding="utf-8")
    (tmp_path / "note.meta.yaml").write_text("lang: ru\nkind: press_release\n", encoding="utf-8")
    doc = parse_file(f)
    assert doc.lang == "kk"
    assert any("says the file is in ru" in w for w in doc.warnings), doc.warnings


def test_front_matter_is_a_sidecar_and_leaves_the_text():
    md = (
        "---\nkind: ministerial_order\nissuer: Министр экологии\ndate: 2021-08-02\nnumber: '286'\n---\n"
        "# Об утверждении Правил\n\n1. Утвердить прилагаемые Правила.\n"
    ).encode()
    doc = parse_bytes(md, "order.md")
    assert doc.title == "Об утверждении Правил" and "---" not in doc.text and "kind:" not in doc.text
    r = doc.requisites
    assert (r.kind, r.number, r.date) == ("ministerial_order", "286", dt.date(2021, 8, 2))
    assert r.source_of["number"] == "sidecar"
    bad = parse_bytes(b"---\nkind: [x\n---\n# \xd0\x97\xd0\xb0\xd0\xb3\n\n\xd0\xa2\xd0\xb5\xd0\xba\xd1\x81\xd1\x82.\n", "bad.md")
    assert len(bad.warnings) == 1 and "front matter" in bad.warnings[0] and "bad YAML" in bad.warnings[0]


def test_read_never_raises(tmp_path):
    for content in ("", "- a list\n- not a mapping\n", "\x00\x01binary", "title: 5\nsource: just text\n"):
        f = tmp_path / "meta.yaml"
        f.write_text(content, encoding="utf-8")
        side = read(f)
        assert all(str(f) in w for w in side.warnings)
