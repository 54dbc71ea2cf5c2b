"""One obligation, two languages (issue 12, item 5): the Kazakh and Russian records of the same
duty share a pair key even where the versions' headings differ, and the register (API
`view=paired`, the CLI table, `--view paired --json`) shows the pair once with both quotes, while
the flat contract stays as it was."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from kb import db
from kb.acts.pairing import signature
from kb.config import Settings, get_settings
from kb.models import Actor, Document, Obligation, ObligationRow, Quote
from kb.obligations.paired import pair_rows
from kb.obligations.pairing import pair_path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 12, 7)
V1 = "/api/v1"


def test_pair_path_ignores_headings_that_only_one_version_numbers():
    # act 91378: "2. Правила и требования по оснащению КПУ" / "ЕБА-мен жарақтандыру ... талаптар"
    assert pair_path(["Приложение", "2. Правила и требования по оснащению КПУ", "п. 2"]) == \
        pair_path(["Қосымша", "ЕБА-мен жарақтандыру бойынша қағидалар және талаптар", "2-тармақ"]) == "app/p2"
    assert pair_path(["Глава 3", "Статья 12", "п. 2"]) == pair_path(["12-бап", "2-тармақ"]) == "a12/p2"
    assert pair_path(["Приложение 2", "1. Общие", "п. 4", "пп. 1)"]) == "app2/p4/sp1"
    assert pair_path(["Приложение", "Раздел"]) == "app/?"  # no point: the headings are all there is


def test_the_same_duty_of_act_91378_is_paired_across_versions():
    act = next((ROOT / "corpora" / "kazakhstan-law" / "government").rglob("*-91378"))
    from kb.obligations import obligations_for_file

    ru = {o.pair_key: o for o in obligations_for_file(act / "rus.md")}
    kk = {o.pair_key: o for o in obligations_for_file(act / "kaz.md")}
    shared = set(ru) & set(kk)
    assert any("производител" in ru[k].quote.text and "өндіруш" in kk[k].quote.text for k in shared), (ru, kk)


def _ob(doc_id, lang, key, start, actor, action, path, deadline=None) -> Obligation:
    from kb.obligations.deadlines import parse_deadline

    dl = parse_deadline(deadline, lang, dt.date(2022, 5, 1)) if deadline else None
    return Obligation(actor=actor, action=action, modality="duty", lang=lang, pair_key=key, deadline=dl,
                      quote=Quote(text=f"{actor.text} {action}", doc_id=doc_id, start=start, end=start + 20,
                                  block_path=path))


def corpus() -> list[Document]:
    body_ru = Actor(text="Уполномоченный орган", roles=["role:authorized-body"])
    body_kk = Actor(text="Уәкілетті орган", id="min-ecology", ids=["min-ecology"], roles=["role:authorized-body"])
    op_ru, op_kk = Actor(text="Оператор", roles=["role:operator"]), Actor(text="Оператор", roles=["role:operator"])
    ru = Document(id="doc-ru", source="/c/rules/rus.md", lang="ru", genre="law", title="Правила", act_key="kzlaw-1",
                  date=dt.date(2022, 5, 1), text="x" * 200, obligations=[
                      _ob("doc-ru", "ru", "kzlaw-1|app/p3|0", 0, body_ru, "направляет отчет", "Приложение › п. 3",
                          "ежегодно до 1 марта"),
                      _ob("doc-ru", "ru", "kzlaw-1|app/p4|0", 40, op_ru, "представляет сведения", "Приложение › п. 4"),
                      _ob("doc-ru", "ru", "kzlaw-1|app/p5|0", 80, op_ru, "ведет журнал", "Приложение › п. 5"),
                  ])
    kk = Document(id="doc-kk", source="/c/rules/kaz.md", lang="kk", genre="law", title="Қағидалар", act_key="kzlaw-1",
                  date=dt.date(2022, 5, 1), text="y" * 200, obligations=[
                      _ob("doc-kk", "kk", "kzlaw-1|app/p3|0", 0, body_kk, "есепті жібереді", "Қосымша › 3-тармақ",
                          "жыл сайын 1 наурызға дейін"),
                      _ob("doc-kk", "kk", "kzlaw-1|app/p4|0", 40, op_kk, "мәліметтерді ұсынады", "Қосымша › 4-тармақ"),
                  ])
    return [ru, kk]


def _rows(docs):
    from kb.obligations.register import as_row

    return [as_row(o, AS_OF, doc_id=d.id, title=d.title) for d in docs for o in d.obligations]


def test_pair_rows_one_row_per_duty_with_both_quotes():
    pairs = pair_rows(_rows(corpus()))
    assert len(pairs) == 3
    first = pairs[0]
    assert first.langs == ["kk", "ru"] and first.lang == "ru" and first.action == "направляет отчет"
    assert first.quote_kk.text.startswith("Уәкілетті") and first.quote_ru.text.startswith("Уполномоченный")
    assert (first.doc_id_kk, first.doc_id_ru) == ("doc-kk", "doc-ru")
    # the agency the Kazakh version resolved is the pair's too
    assert first.actor.text == "Уполномоченный орган" and "min-ecology" in first.actor.ids
    alone = pairs[2]
    assert alone.langs == ["ru"] and alone.quote_kk is None and alone.quote_ru.text.endswith("ведет журнал")
    assert pair_rows(_rows(corpus()), prefer="kk")[0].action == "есепті жібереді"


def test_pair_rows_finds_the_other_version_a_filter_left_out():
    rows = _rows(corpus())
    kk_only = [r for r in rows if r.lang == "kk"]
    asked: list[str] = []

    def partners(row: ObligationRow):
        asked.append(row.doc_id)
        return [r for r in rows if r.doc_id != row.doc_id]

    pairs = pair_rows(kk_only, prefer="kk", partners=partners)
    assert [p.langs for p in pairs] == [["kk", "ru"], ["kk", "ru"]] and asked == ["doc-kk"]  # one lookup per document
    # rows without a key are never merged, not even two of them at one place
    lone = [r.model_copy(update={"pair_key": None}) for r in rows]
    assert len(pair_rows(lone)) == 5


@pytest.fixture
def api(tmp_path):
    from kb.service import KnowledgeBase

    s = Settings(data_dir=tmp_path / "data")
    kb = KnowledgeBase(s)
    for d in corpus():
        kb.docs.put(d)
        kb.acts.attach(d, signature(d))  # both versions join act kzlaw-1 by their act key
    with TestClient(create_app(kb), raise_server_exceptions=False) as client:
        yield client, kb, s
    db.dispose(s)


def test_api_paired_view_and_the_flat_contract(api):
    client, _, _ = api
    flat = client.get(f"{V1}/obligations", params={"as_of": AS_OF.isoformat()}).json()
    assert flat["total"] == 5 and all("quote_kk" not in o for o in flat["items"])
    paired = client.get(f"{V1}/obligations", params={"as_of": AS_OF.isoformat(), "view": "paired"})
    assert paired.status_code == 200, paired.text
    page = paired.json()
    assert page["total"] == 3 and len(page["items"]) == 3
    both = page["items"][0]
    assert both["langs"] == ["kk", "ru"] and both["quote_kk"]["text"].startswith("Уәкілетті")
    assert both["quote_ru"]["text"].startswith("Уполномоченный") and both["status"] == "recurring"
    assert page["items"][2]["quote_kk"] is None
    # min-ecology is resolved in the Kazakh version only: the pair still shows the Russian quote
    by_id = client.get(f"{V1}/obligations", params={"actor": "min-ecology", "view": "paired"}).json()
    assert by_id["total"] == 1 and by_id["items"][0]["quote_ru"]["text"].startswith("Уполномоченный")
    # pages count pairs
    second = client.get(f"{V1}/obligations", params={"view": "paired", "offset": 1, "limit": 1}).json()
    assert second["total"] == 3 and second["items"][0]["action"] == "представляет сведения"
    assert client.get(f"{V1}/obligations", params={"view": "sideways"}).status_code == 422


def test_cli_shows_a_pair_once_with_both_quotes(api, monkeypatch):
    _, _, s = api
    from kb.cli import app

    monkeypatch.setenv("KB_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    try:
        table = CliRunner().invoke(app, ["obligations", "--all", "--local"])
        assert table.exit_code == 0, table.output
        assert table.stdout.count("есепті жібереді") == 1 and "quote kk" in table.stdout
        assert "Уәкілетті орган есепті" in table.stdout  # the Kazakh quote on the Russian row
        flat = CliRunner().invoke(app, ["obligations", "--all", "--local", "--json"])
        assert len(json.loads(flat.stdout)) == 5  # --json keeps its flat contract
        both = CliRunner().invoke(app, ["obligations", "--all", "--local", "--json", "--view", "paired"])
        got = json.loads(both.stdout)
        assert len(got) == 3 and got[0]["quote_kk"]["doc_id"] == "doc-kk"
        assert {"actor", "action", "deadline", "condition", "modality", "quote", "lang"} <= set(got[0])
        feed = CliRunner().invoke(app, ["obligations", "--all", "--local", "--ics", "--view", "paired",
                                        "--as-of", AS_OF.isoformat()])
        assert feed.exit_code == 0 and feed.stdout_bytes.count(b"BEGIN:VEVENT") == 1
        bad = CliRunner().invoke(app, ["obligations", "--all", "--local", "--csv", "--view", "sideways"])
        assert bad.exit_code == 2 and "--view" in bad.output and "Traceback" not in bad.output
    finally:
        get_settings.cache_clear()


def test_cli_pairs_two_files_of_one_act():
    act = next((ROOT / "corpora" / "kazakhstan-law" / "government").rglob("*-201747"))
    from kb.cli import app

    out = CliRunner().invoke(app, ["obligations", str(act / "rus.md"), str(act / "kaz.md"), "--json", "--view", "paired"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert sum(r["langs"] == ["kk", "ru"] for r in rows) >= 10
    assert all(r["quote_kk"]["text"] and r["quote_ru"]["text"] for r in rows if len(r["langs"]) == 2)


def test_ics_paired_view_is_one_event_per_duty_quoting_both_versions(api):
    from icalendar import Calendar

    client, _, _ = api
    flat = Calendar.from_ical(client.get(f"{V1}/obligations.ics", params={"as_of": AS_OF.isoformat()}).content)
    assert len(flat.walk("VEVENT")) == 2  # each version its own event
    r = client.get(f"{V1}/obligations.ics", params={"as_of": AS_OF.isoformat(), "view": "paired"})
    assert r.status_code == 200, r.text
    (ev,) = Calendar.from_ical(r.content).walk("VEVENT")
    desc = str(ev["DESCRIPTION"])
    assert "Уполномоченный орган направляет отчет" in desc and "Уәкілетті орган есепті жібереді" in desc
    assert ev["RRULE"]["FREQ"] == ["YEARLY"] and ev["RRULE"]["BYMONTH"] == [3]


def test_cli_table_of_one_file_has_no_quote_columns(monkeypatch):
    act = next((ROOT / "corpora" / "kazakhstan-law" / "government").rglob("*-201747"))
    from kb.cli import app

    monkeypatch.setenv("COLUMNS", "250")
    one = CliRunner().invoke(app, ["obligations", str(act / "rus.md")])
    assert one.exit_code == 0, one.output
    assert "quote kk" not in one.stdout and "actor" in one.stdout
    both = CliRunner().invoke(app, ["obligations", str(act / "rus.md"), str(act / "kaz.md")])
    assert both.exit_code == 0 and "quote kk" in both.stdout


# -- the CSV's paired view (issue 12 item 5): one writer for the CLI and the API -------------------
def _csv_rows(raw: str) -> list[dict]:
    from kb.obligations.export import BOM

    assert raw.startswith(BOM) and "\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw.removeprefix(BOM))))


def test_csv_paired_view_one_row_per_duty_with_both_quotes(api, monkeypatch):
    from api.public import public_source
    from kb.cli import app
    from kb.obligations.export import CSV_COLUMNS, PAIRED_COLUMNS

    client, _, s = api
    params = {"as_of": AS_OF.isoformat(), "view": "paired"}
    r = client.get(f"{V1}/obligations.csv", params=params)
    assert r.status_code == 200, r.text
    assert "paired" in r.headers["content-disposition"]
    raw = r.content.decode("utf-8")
    rows = _csv_rows(raw)
    # the flat columns keep their names and places; the paired ones follow
    assert list(rows[0]) == CSV_COLUMNS + PAIRED_COLUMNS and len(rows) == 3
    both = rows[0]
    assert both["langs"] == "kk;ru" and both["lang"] == "ru" and both["action"] == "направляет отчет"
    assert both["quote_kk"].startswith("Уәкілетті") and both["quote_ru"].startswith("Уполномоченный")
    assert both["quote"] == both["quote_ru"] and (both["doc_id_kk"], both["doc_id_ru"]) == ("doc-kk", "doc-ru")
    assert (both["title_kk"], both["title_ru"]) == ("Қағидалар", "Правила")
    assert both["block_path_kk"] == "Қосымша › 3-тармақ" and both["status"] == "recurring"
    assert "min-ecology" in both["actor_ids"].split(";")  # resolved in the Kazakh version only
    alone = rows[2]
    assert alone["langs"] == "ru" and alone["quote_kk"] == "" and alone["quote_ru"].endswith("ведет журнал")
    # format=csv on the register gives the same bytes
    same = client.get(f"{V1}/obligations", params={**params, "format": "csv"}).content.decode("utf-8")
    assert same == raw
    # the flat CSV is as it was
    flat = _csv_rows(client.get(f"{V1}/obligations.csv", params={"as_of": AS_OF.isoformat()}).content.decode("utf-8"))
    assert list(flat[0]) == CSV_COLUMNS and len(flat) == 5
    assert client.get(f"{V1}/obligations.csv", params={"view": "sideways"}).status_code == 422

    monkeypatch.setenv("KB_DATA_DIR", str(s.data_dir))
    get_settings.cache_clear()
    try:
        cli = CliRunner().invoke(app, ["obligations", "--all", "--local", "--csv", "--view", "paired",
                                       "--as-of", AS_OF.isoformat()])
        assert cli.exit_code == 0, cli.output
        local = _csv_rows(cli.stdout_bytes.decode("utf-8"))
        for row in local:  # the API publishes sources without server folders (api.public)
            row["source"] = public_source(row["source"], s)
        assert local == rows
        plain = CliRunner().invoke(app, ["obligations", "--all", "--local", "--csv", "--as-of", AS_OF.isoformat()])
        assert list(_csv_rows(plain.stdout_bytes.decode("utf-8"))[0]) == CSV_COLUMNS  # --csv stays flat by default
    finally:
        get_settings.cache_clear()


def test_csv_paired_view_of_two_files_and_its_guards():
    from kb.cli import app
    from kb.obligations.export import columns, csv_text

    act = next((ROOT / "corpora" / "kazakhstan-law" / "government").rglob("*-201747"))
    out = CliRunner().invoke(app, ["obligations", str(act / "rus.md"), str(act / "kaz.md"), "--csv", "--view", "paired"])
    assert out.exit_code == 0, out.output
    rows = _csv_rows(out.stdout_bytes.decode("utf-8"))
    assert sum(r["langs"] == "kk;ru" for r in rows) >= 10
    assert all(r["quote_kk"] and r["quote_ru"] for r in rows if r["langs"] == "kk;ru")
    # a quote that a spreadsheet would run as a formula is defused in the paired columns too
    pairs = pair_rows(_rows(corpus()))
    hostile = pairs[0].model_copy(update={"quote_kk": pairs[0].quote_kk.model_copy(update={"text": "=HYPERLINK(1)"})})
    (row,) = _csv_rows(csv_text([hostile], view="paired"))
    assert row["quote_kk"] == "'=HYPERLINK(1)"
    # a plain obligation fills its own language's cells
    (plain,) = _csv_rows(csv_text(_rows(corpus())[:1], view="paired"))
    assert plain["langs"] == "ru" and plain["quote_ru"] == plain["quote"] and plain["quote_kk"] == ""
    with pytest.raises(ValueError, match="view"):
        columns("sideways")
