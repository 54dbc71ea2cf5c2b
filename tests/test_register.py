"""The obligation register as a tracking tool: status as of a day, due-date sort, filters by
actor id and role, status and due window answered by SQL (SQLite and PostgreSQL), 422 for
filters that cannot mean anything, one CSV writer for the CLI and the API, and the iCalendar
feed (validated with the icalendar library)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import text
from typer.testing import CliRunner

from api.app import create_app
from kb import db
from kb.config import Settings, get_settings
from kb.models import Actor, Deadline, Document, Obligation, ObligationFilters, Quote
from kb.obligations.deadlines import parse_deadline
from kb.obligations.export import BOM, CSV_COLUMNS
from kb.obligations.register import register_rows
from kb.store import DocStore
from pg_fixtures import postgres_server, settings  # noqa: F401  (fixtures)

AS_OF = dt.date(2026, 12, 7)
V1 = "/api/v1"


def _ob(doc_id: str, start: int, actor: Actor | None, action: str, deadline: str | None, lang="ru",
        act_date=dt.date(2022, 5, 1)) -> Obligation:
    dl = parse_deadline(deadline, lang, act_date) if deadline else None
    return Obligation(actor=actor, actor_reason=None if actor else "the text names no actor", action=action,
                      deadline=dl, modality="duty", lang=lang,
                      quote=Quote(text=f"{actor.text if actor else ''} {action} {deadline or ''}".strip(),
                                  doc_id=doc_id, start=start, end=start + 10, block_path="п. 1"))


def corpus() -> list[Document]:
    joint = Actor(text="МЧС, МЭГПР", id="min-emergency", ids=["min-emergency", "min-ecology"])
    body = Actor(text="Уполномоченный орган", id="min-ecology", ids=["min-ecology"], roles=["role:authorized-body"])
    operator = Actor(text="Операторы", roles=["role:operator"])
    akimat = Actor(text="Акимату области", id="akimat-almaty-region", ids=["akimat-almaty-region"])
    rules = Document(id="doc-rules", source="/c/ru/rules.md", lang="ru", genre="law", title="Правила отчетности",
                     date=dt.date(2022, 5, 1), text="x" * 200, obligations=[
                         _ob("doc-rules", 0, body, "направить сводный отчет", "ежегодно до 1 марта года, следующего за отчетным"),
                         _ob("doc-rules", 20, operator, "представить информацию", "в течение пяти рабочих дней со дня получения запроса"),
                         _ob("doc-rules", 40, joint, "провести заседание рабочей группы", "4 квартал 2026 года"),
                         _ob("doc-rules", 60, joint, "обновить план", "до 1 декабря 2026 года"),
                         _ob("doc-rules", 80, akimat, "принять меры", None),
                         _ob("doc-rules", 100, body, "рассмотреть заявку", "на ее втором совещании"),
                     ])
    plan = Document(id="doc-plan", source="/c/kk/plan.md", lang="kk", genre="plan", title="Жоспар",
                    date=dt.date(2022, 5, 1), text="y" * 100, obligations=[
                        _ob("doc-plan", 0, Actor(text="Экология министрлігі", id="min-ecology", ids=["min-ecology"]),
                            "есеп ұсынсын", "ежемесячно до 10 числа"),
                    ])
    return [rules, plan]


def _store(settings) -> DocStore:
    store = DocStore(settings)
    for d in corpus():
        store.put(d)
    return store


def _rows(store, **f):
    return store.obligations_page(ObligationFilters(as_of=AS_OF, **f), 0, None)


def test_status_next_due_and_days_left_as_of_a_day(settings):
    total, rows = _rows(_store(settings))
    assert total == 7
    got = {r.action: (r.status, r.next_due, r.days_left) for r in rows}
    assert got == {
        "направить сводный отчет": ("recurring", dt.date(2027, 3, 1), 84),
        "представить информацию": ("on_event", None, None),
        "провести заседание рабочей группы": ("due", dt.date(2026, 12, 31), 24),
        "обновить план": ("overdue", dt.date(2026, 12, 1), -6),
        "принять меры": ("no_deadline", None, None),
        "рассмотреть заявку": ("undated", None, None),
        "есеп ұсынсын": ("recurring", dt.date(2026, 12, 10), 3),
    }
    # the same rows as of an earlier day: the one-off deadline is still ahead
    _, rows = DocStore(settings).obligations_page(ObligationFilters(as_of=dt.date(2026, 11, 1)), 0, None)
    earlier = {r.action: (r.status, r.days_left) for r in rows}
    assert earlier["обновить план"] == ("due", 30)


def test_sorted_by_due_date_undated_last(settings):
    _, rows = _rows(_store(settings), sort="due")
    assert [r.action for r in rows][:4] == ["обновить план", "есеп ұсынсын", "провести заседание рабочей группы",
                                           "направить сводный отчет"]
    assert all(r.next_due is None for r in rows[4:])


@pytest.mark.parametrize("f, expected", [
    ({"actor": "min-ecology"}, {"направить сводный отчет", "провести заседание рабочей группы", "обновить план",
                                "рассмотреть заявку", "есеп ұсынсын"}),  # co-actors of the joint tasks too
    ({"actor": "min-emergency"}, {"провести заседание рабочей группы", "обновить план"}),
    ({"actor": "role:authorized-body"}, {"направить сводный отчет", "рассмотреть заявку"}),
    ({"actor": "role:operator"}, {"представить информацию"}),
    ({"actor": "мэгпр"}, {"провести заседание рабочей группы", "обновить план"}),  # text, as before
    ({"status": ["overdue"]}, {"обновить план"}),
    ({"status": ["recurring", "due"]}, {"направить сводный отчет", "есеп ұсынсын", "провести заседание рабочей группы"}),
    ({"status": ["on_event", "undated", "no_deadline"]}, {"представить информацию", "принять меры", "рассмотреть заявку"}),
    ({"due_from": "2026-12-08", "due_to": "2027-01-31"}, {"есеп ұсынсын", "провести заседание рабочей группы"}),
    ({"due_to": "2026-12-31", "actor": "min-ecology"}, {"обновить план", "есеп ұсынсын",
                                                         "провести заседание рабочей группы"}),
    ({"doc_id": "doc-plan"}, {"есеп ұсынсын"}),
])
def test_register_filters_in_sql_match_the_python_reading(settings, f, expected):
    store = _store(settings)
    filters = ObligationFilters(as_of=AS_OF, **f)
    total, rows = store.obligations_page(filters, 0, None)
    assert {r.action for r in rows} == expected and total == len(expected)
    # the SQL statuses are the ones kb.obligations.register computes for an unstored file
    python = {r.action: (r.status, r.next_due) for d in corpus() for r in register_rows(d.obligations, filters)}
    assert all(python[r.action] == (r.status, r.next_due) for r in rows)


def test_daily_and_weekly_rules_are_due_as_of_any_day(settings):
    op = Actor(text="Оператор", roles=["role:operator"])
    store = DocStore(settings)
    store.put(Document(id="doc-ops", source="/c/ru/ops.md", lang="ru", genre="law", title="Инструкция",
                       date=dt.date(2001, 1, 1), text="z" * 60, obligations=[
                           _ob("doc-ops", 0, op, "вести журнал", "ежедневно", act_date=dt.date(2001, 1, 1)),
                           _ob("doc-ops", 20, op, "проверять фильтры", "еженедельно", act_date=dt.date(2001, 1, 1)),
                       ]))
    for as_of in (dt.date(2026, 12, 7), dt.date(2090, 6, 1)):
        _, rows = store.obligations_page(ObligationFilters(as_of=as_of), 0, None)
        got = {r.action: (r.status, r.next_due) for r in rows}
        assert got["вести журнал"] == ("recurring", as_of)
        status, weekly = got["проверять фильтры"]
        assert status == "recurring" and as_of <= weekly < as_of + dt.timedelta(days=7)
        assert weekly.weekday() == dt.date(2001, 1, 1).weekday()  # the act's weekday, as the RRULE counts


def test_migration_0002_fills_the_rows_stored_before(tmp_path):
    """A database at revision 0001 with an obligation keeps it, with its actor and due day."""
    from alembic import command

    s = Settings(data_dir=tmp_path / "data")
    engine = db.create_engine_for(s)
    with db.writing(engine) as conn:
        command.upgrade(db._alembic_config(conn), "0001")
    old = Obligation(actor=Actor(text="МЧС", id="min-emergency"), action="обновить план", modality="duty", lang="ru",
                     deadline=Deadline(text="4 квартал 2026 года", value="2026-10-01/2026-12-31"),
                     quote=Quote(text="q", doc_id="old-doc", start=0, end=1))
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO documents (id, source, title, lang, genre, blocks, entities, obligations, summary, body, "
            "stored_at) VALUES ('old-doc', '/old.md', 'Old', 'ru', 'plan', 0, 0, 1, '{}', '{}', '2026-01-01')"))
        conn.execute(text("INSERT INTO obligations (doc_id, seq, lang, modality, actor_id, actor_lc, body) "
                          "VALUES ('old-doc', 0, 'ru', 'duty', 'min-emergency', 'мчс', :b)"), {"b": old.model_dump_json()})
    engine.dispose()
    db.dispose(s)
    store = DocStore(s)  # opening migrates to head
    assert db.current_revision(store.engine) == db.head_revision()
    _, rows = store.obligations_page(ObligationFilters(as_of=AS_OF, actor="min-emergency"), 0, None)
    assert [(r.status, r.next_due) for r in rows] == [("due", dt.date(2026, 12, 31))]
    db.dispose(s)


# -- the API -----------------------------------------------------------------------------------
@pytest.fixture
def api(tmp_path):
    from kb.service import KnowledgeBase

    s = Settings(data_dir=tmp_path / "data")
    kb = KnowledgeBase(s)
    for d in corpus():
        kb.docs.put(d)
    with TestClient(create_app(kb), raise_server_exceptions=False) as client:
        yield client, kb, s
    db.dispose(s)


def test_api_register_status_sort_and_filters(api):
    client, _, _ = api
    page = client.get(f"{V1}/obligations", params={"as_of": AS_OF.isoformat(), "sort": "due"}).json()
    assert page["total"] == 7
    first = page["items"][0]
    assert (first["action"], first["status"], first["next_due"], first["days_left"]) == (
        "обновить план", "overdue", "2026-12-01", -6)
    r = client.get(f"{V1}/obligations", params=[("as_of", AS_OF.isoformat()), ("status", "recurring"),
                                                ("actor", "min-ecology")]).json()
    assert {o["action"] for o in r["items"]} == {"направить сводный отчет", "есеп ұсынсын"}
    assert client.get(f"{V1}/obligations", params={"actor": "role:authorized-body"}).json()["total"] == 2
    roles = client.get(f"{V1}/roles").json()
    assert {"role:authorized-body", "role:operator"} <= {x["id"] for x in roles}
    assert all(x["names"].get("kk") and x["names"].get("ru") for x in roles)


@pytest.mark.parametrize("path", ["/obligations", "/obligations.csv", "/obligations.ics"])
@pytest.mark.parametrize("params, field", [
    ({"actor": "min-nowhere"}, "actor"),
    ({"actor": "role:astronaut"}, "actor"),
    ({"due_from": "2027-01-01", "due_to": "2026-01-01"}, "due_to"),
    ({"deadline_from": "2027-01-01", "deadline_to": "2026-01-01"}, "deadline_to"),
    ({"status": "someday"}, "status"),
])
def test_filters_that_cannot_mean_anything_are_422_naming_the_field(api, path, params, field):
    client, _, _ = api
    r = client.get(V1 + path, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(field) and "Traceback" not in r.text


def test_ics_feed_is_valid_icalendar_with_rules_reminders_and_links(api):
    client, _, _ = api
    r = client.get(f"{V1}/obligations.ics", params={"as_of": AS_OF.isoformat(), "actor": "min-ecology"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    # dated obligations only: the event-driven and undated ones are not calendar entries
    assert set(events) == {"Уполномоченный орган: направить сводный отчет", "МЧС, МЭГПР: провести заседание рабочей группы",
                           "МЧС, МЭГПР: обновить план", "Экология министрлігі: есеп ұсынсын"}
    yearly = events["Уполномоченный орган: направить сводный отчет"]
    assert yearly["RRULE"]["FREQ"] == ["YEARLY"] and yearly["RRULE"]["BYMONTH"] == [3]
    assert yearly["RRULE"]["BYMONTHDAY"] == [1]
    assert yearly.decoded("DTSTART") == dt.date(2023, 3, 1)  # the first 1 March after the act
    monthly = events["Экология министрлігі: есеп ұсынсын"]
    assert monthly["RRULE"]["FREQ"] == ["MONTHLY"] and monthly["RRULE"]["BYMONTHDAY"] == [10]
    one_off = events["МЧС, МЭГПР: обновить план"]
    assert "RRULE" not in one_off and one_off.decoded("DTSTART") == dt.date(2026, 12, 1)
    for ev in events.values():
        assert ev["UID"] and ev.decoded("DTSTAMP")
        triggers = sorted(a.decoded("TRIGGER") for a in ev.walk("VALARM"))
        assert triggers == [dt.timedelta(days=-30), dt.timedelta(days=-7)]
        assert all(str(a["ACTION"]) == "DISPLAY" for a in ev.walk("VALARM"))
        assert "/#doc/doc-" in str(ev["URL"]) and "start=" in str(ev["URL"])
        desc = str(ev["DESCRIPTION"])
        assert desc.startswith("«") and ("Правила отчетности" in desc or "Жоспар" in desc)
    assert len({str(e["UID"]) for e in events.values()}) == 4


def test_cli_and_api_write_the_same_csv_and_feed(api, monkeypatch):
    client, kb, s = api
    from kb.cli import app

    monkeypatch.setenv("KB_DATA_DIR", str(s.data_dir))
    get_settings.cache_clear()
    try:
        params = {"as_of": AS_OF.isoformat(), "sort": "due"}
        cli = CliRunner().invoke(app, ["obligations", "--all", "--csv", "--local", "--as-of", AS_OF.isoformat(),
                                       "--sort", "due"])
        assert cli.exit_code == 0, cli.output
        via_api = client.get(f"{V1}/obligations.csv", params=params)
        text_ = via_api.content.decode("utf-8")
        local = cli.stdout_bytes.decode("utf-8")
        assert local.startswith(BOM) and "\r\n" in local
        # the same writer: the same bytes, but for the sources, which the API publishes without
        # server folders (api.public) and the local CLI shows as stored
        from api.public import public_source

        def parsed(raw: str, publish=False):
            rows = list(csv.reader(io.StringIO(raw.removeprefix(BOM))))
            i = rows[0].index("source")
            for row in rows[1:]:
                row[i] = public_source(row[i], s) if publish else row[i]
            return rows

        assert parsed(local, publish=True) == parsed(text_)
        assert text_.startswith(BOM)
        rows = list(csv.DictReader(io.StringIO(text_.removeprefix(BOM))))
        assert list(rows[0]) == CSV_COLUMNS and len(rows) == 7
        assert rows[0]["status"] == "overdue" and rows[0]["actor_ids"] == "min-emergency;min-ecology"

        ics = CliRunner().invoke(app, ["obligations", "--all", "--ics", "--local", "--as-of", AS_OF.isoformat(),
                                       "--base-url", "http://testserver"])
        assert ics.exit_code == 0, ics.output
        feed = client.get(f"{V1}/obligations.ics", params={"as_of": AS_OF.isoformat()}).content

        def events(raw: bytes):
            return sorted((str(e["UID"]), e.to_ical().replace(e["DTSTAMP"].to_ical(), b""))
                          for e in Calendar.from_ical(raw).walk("VEVENT"))

        assert events(ics.stdout_bytes) == events(feed) and len(events(feed)) == 4

        bad = CliRunner().invoke(app, ["obligations", "--all", "--local", "--actor", "min-nowhere"])
        assert bad.exit_code == 2 and "actor" in bad.output and "Traceback" not in bad.output
    finally:
        get_settings.cache_clear()


def test_csv_guards_formulas(api):
    client, kb, _ = api
    doc = kb.docs.get("doc-plan")
    doc.obligations[0].action = '=HYPERLINK("http://x")'
    kb.docs.put(doc)
    (row,) = csv.DictReader(io.StringIO(client.get(f"{V1}/obligations.csv", params={"doc_id": "doc-plan"})
                                        .content.decode("utf-8-sig")))
    assert row["action"].startswith("'=")
