"""The kazakhstan-law mirrors' layout: act and code folders, anchors as block ids, the ingester's walk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest import mirror, parse_file

ROOT = Path(__file__).resolve().parents[1]
MIRRORS = ROOT / "corpora" / "kazakhstan-law"
CODE = MIRRORS / "codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312"
ANDASAI = MIRRORS / (
    "government/06-government/103-pravitelstvo/2022/"
    "0711-o-rasshirenii-territorii-andasaiskogo-gosudarstvennogo-prirodnog-169752"
)

# As the mirrors publish an act: an anchor line before each point, a table inside point 3.
ANCHORED = """# О расширении территории Андасайского заказника

Правительство Республики Казахстан ПОСТАНОВЛЯЕТ:

<a id="p1"></a>

1. Расширить территорию заказника на 2 415 806,40 гектар.

<a id="p2"></a>

2. Министерству экологии до 1 декабря 2022 года принять меры.

<a id="p3"></a>

3. Внести следующее изменение:

<table>
<tr><td>55</td><td>Андасайский заказник</td></tr>
</table>

<a id="p4"></a>

4. Настоящее постановление вводится в действие.

<table>
<tr><td>1</td><td>Вторая таблица</td></tr>
</table>
"""

CODE_PART = """↑ [Вся редакция](../rus.md)

## РАЗДЕЛ 21. ЗОНЫ ЧРЕЗВЫЧАЙНОЙ ЭКОЛОГИЧЕСКОЙ СИТУАЦИИ

<a id="st404"></a>

**Статья 404. Чрезвычайная экологическая ситуация**

1. Чрезвычайная экологическая ситуация – экологическая обстановка на участке территории.

<a id="st405"></a>
<a id="st405p1"></a>

1. В целях изучения территории создается комиссия <a id="inline"></a>по обращениям.
"""


def test_discover_finds_every_act_and_code_part_of_the_corpus():
    acts = list(mirror.discover(MIRRORS))
    parts = [a for a in acts if a.part]
    whole = [a for a in acts if not a.part]
    assert len(parts) == 5 and {a.folder for a in parts} == {CODE}
    assert len(whole) >= 15
    for a in acts:
        assert set(a.files) == {"kk", "ru"}, a.folder
        assert a.sidecar is not None and a.sidecar.name == "meta.yaml"
        assert a.act_code and a.key.startswith(f"kzlaw-{a.act_code}")
    ozone = next(a for a in parts if a.part == "ecocode-2021-ch21-ozone-layer")
    assert ozone.key == "kzlaw-151312/ecocode-2021-ch21-ozone-layer"
    assert ozone.files["kk"] == CODE / "kaz" / "ecocode-2021-ch21-ozone-layer.md"


def test_place_gives_language_and_sidecar():
    p = mirror.place(ANDASAI / "kaz.md")
    assert p and p.lang == "kk" and p.whole_act and p.sidecar == ANDASAI / "meta.yaml"
    p = mirror.place(CODE / "rus" / "ecocode-2021-ch21-ozone-layer.md")
    assert p and p.lang == "ru" and not p.whole_act and p.part == "ecocode-2021-ch21-ozone-layer"
    assert mirror.place(ROOT / "corpora/seeds/ru/almaty-bat-press-release.txt") is None
    assert mirror.place(ROOT / "README.md") is None


def test_mirror_files_get_act_key_language_and_requisites():
    ru, kk = parse_file(ANDASAI / "rus.md"), parse_file(ANDASAI / "kaz.md")
    assert ru.act_key == kk.act_key == "kzlaw-169752"
    assert (ru.lang, kk.lang) == ("ru", "kk")
    for doc in (ru, kk):
        r = doc.requisites
        assert r.kind == "government_resolution" and r.number == "470" and r.date.isoformat() == "2022-07-11"
        assert r.title.kk.startswith("Республикалық маңызы бар Аңдасай") and r.urls.ru.endswith("/rus/11.07.2022")
        assert r.status == "in_force" and r.source_of["number"] == "sidecar"
        assert not doc.warnings, doc.warnings
    part = parse_file(CODE / "kaz" / "ecocode-2021-ch21-ozone-layer.md")
    assert part.act_key == "kzlaw-151312" and part.requisites.kind == "code"
    assert part.meta["act_part"] == "ecocode-2021-ch21-ozone-layer"
    assert part.requisites.number == "400-VI ЗРК"
    # the Code's date and number are not the chapter's own
    assert part.number is None and part.title.startswith("21-тарау")
    assert part.requisites.amended_by[0].act_code == "162446"
    assert part.requisites.amended_by[0].relation == "amended"


def test_anchors_become_block_ids_and_never_reach_the_text(tmp_path):
    act = tmp_path / "government" / "2022" / "0711-o-rasshirenii-169752"
    act.mkdir(parents=True)
    (act / "rus.md").write_text(ANCHORED, encoding="utf-8")
    doc = parse_file(act / "rus.md")
    assert "<a" not in doc.text and "id=" not in doc.text
    by_anchor = {b.anchor: b for b in doc.blocks if b.anchor}
    assert list(by_anchor) == ["p1", "p2", "p3", "p4"]
    assert by_anchor["p3"].path == ["п. 3"] and by_anchor["p3"].text.startswith("3. Внести")
    tables = [b for b in doc.blocks if b.kind == "table_row"]
    # each anchor segment is read on its own: table numbers still run through the document
    assert [b.path[-2] for b in tables] == ["Table 1", "Table 2"]
    assert doc.act_key == "kzlaw-169752" and doc.requisites is not None  # from the text alone


def test_code_part_navigation_and_stacked_anchors(tmp_path):
    code = tmp_path / "codes" / "2021" / "0102-kodeks-151312"
    for lang in ("rus", "kaz"):
        (code / lang).mkdir(parents=True)
    (code / "rus" / "part002-sec021.md").write_text(CODE_PART, encoding="utf-8")
    (code / "kaz" / "part002-sec021.md").write_text("## 21-БӨЛІМ\n\n1. Мәтін.\n", encoding="utf-8")
    doc = parse_file(code / "rus" / "part002-sec021.md")
    assert "Вся редакция" not in doc.text and "<a" not in doc.text
    anchors = {b.anchor: b for b in doc.blocks if b.anchor}
    assert anchors["st404"].path == ["Статья 404"] and anchors["st404"].kind == "heading"
    assert "st405p1" in anchors and "st405" not in anchors  # the nearest of stacked anchors labels the block
    assert "комиссия по обращениям" in anchors["st405p1"].text
    assert doc.lang == "ru" and doc.act_key == "kzlaw-151312"  # no sidecar: the folder name gives the code
    [found] = list(mirror.discover(tmp_path))
    assert found.part == "part002-sec021" and set(found.files) == {"kk", "ru"}


def test_layout_language_contradicting_the_text_is_reported(tmp_path):
    act = tmp_path / "government" / "2023" / "0201-x-178481"
    shutil.copytree(MIRRORS / "government/06-government/103-pravitelstvo/2023/"
                    "0201-ob-umenshenii-ploshchadi-gosudarstvennogo-prirodnogo-kompleksnog-178481", act)
    # the Kazakh text filed as rus.md
    (act / "rus.md").write_bytes((act / "kaz.md").read_bytes())
    doc = parse_file(act / "rus.md")
    assert doc.lang == "kk"  # the text's reading is kept
    assert any("says the file is in ru" in w and "reads as kk" in w for w in doc.warnings), doc.warnings


def test_pipeline_walk_skips_sidecars_and_parses_mirror_acts(tmp_path, monkeypatch):
    from kb.config import Settings
    from kb.pipeline import Hooks, ingest_paths, walk

    skipped = {item.path.name: item.skip for item in walk([ANDASAI]) if item.skip}
    assert skipped == {"meta.yaml": "sidecar (requisites of the act beside it)"}
    target = tmp_path / "acts" / ANDASAI.name
    shutil.copytree(ANDASAI, target)
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    stored = []
    report = ingest_paths([tmp_path / "acts"], Settings(data_dir=tmp_path / "data"), hooks=Hooks(on_stored=[stored.append]))
    assert report.ok and report.count("added") == 2 and report.count("skipped") == 1
    assert {d.lang for d in stored} == {"kk", "ru"}
    assert {d.act_key for d in stored} == {"kzlaw-169752"}
    assert all(d.requisites and d.requisites.source_of["date"] == "sidecar" for d in stored)


@pytest.mark.parametrize("title", ["# Заголовок", "## Заголовок ##", "# # Заголовок"])
def test_a_title_never_keeps_a_markdown_hash(tmp_path, title):
    f = tmp_path / "doc.txt"
    f.write_text(f"{title}\n\nПервый абзац текста документа о чём-то важном.\n", encoding="utf-8")
    assert parse_file(f).title == "Заголовок"
