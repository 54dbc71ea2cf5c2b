"""The document store and the key store on a real database: SQLite, and PostgreSQL where
its binaries are installed (a throwaway server, see pg_fixtures.py). Every test in the
`store` family runs on both."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from kb import db
from kb.config import Settings
from kb.db.schema import api_keys, entity_mentions, obligation_conventions, obligations, sources
from kb.ids import is_valid_doc_id
from kb.keys import KeyStore
from kb.models import (
    Actor,
    Deadline,
    Document,
    Entity,
    Obligation,
    ObligationFilters,
    Quote,
    role_allows,
)
from kb.obligations.registry import filter_obligations
from kb.store import DocStore, StoreError
from pg_fixtures import postgres_server, settings  # noqa: F401  (fixtures)

HOSTILE_IDS = ["catalog", "../x", "../../etc/passwd", "a" * 300, "", "x\n", "..", "a/b", "a b", "ы", "%2e%2e",
               "catalog.json", "\x00"]


def ob(doc_id: str, lang: str, actor: str | None, action: str, deadline: str | None = None,
       conventions=(), actor_id: str | None = None, modality="duty") -> Obligation:
    return Obligation(
        actor=Actor(text=actor, id=actor_id) if actor else None, action=action, modality=modality, lang=lang,
        deadline=Deadline(text=deadline or "", value=deadline) if deadline is not None else None,
        quote=Quote(text=f"{actor} {action}", doc_id=doc_id, start=0, end=5), conventions=list(conventions),
    )


def make_doc(doc_id: str, source: str, lang="ru", genre="decision", title=None, obligations=(), entities=(),
             text="Текст документа.") -> Document:
    return Document(
        id=doc_id, source=source, lang=lang, genre=genre, title=title or f"Документ {doc_id}", text=text,
        obligations=list(obligations),
        entities=[Entity(type=t, text=s, start=0, end=1, id=i, lang=lang) for t, s, i in entities],
    )


def corpus() -> list[Document]:
    """Three documents whose obligations exercise every register filter."""
    a = make_doc("doc-a", "/c/ru/a.md", "ru", "decision", obligations=[
        ob("doc-a", "ru", "Министерство экологии", "представить доклад", "2022-12-01", ["minamata"], "mepnr"),
        ob("doc-a", "ru", "Секретариат", "подготовить план", "2023-01-01/2023-03-31"),
        ob("doc-a", "ru", None, "не допускать сброса", None, ["stockholm"], modality="prohibition"),
    ], entities=[("convention", "Минамата", "minamata"), ("convention", "Минамата", "minamata"),
                 ("agency", "МЭПР", "mepnr"), ("date", "2022", None)])
    b = make_doc("doc-b", "/c/kk/b.md", "kk", "plan", obligations=[
        ob("doc-b", "kk", "Экология министрлігі", "есеп ұсынсын", "2024-06-30", ["minamata", "stockholm"], "mepnr"),
        ob("doc-b", "kk", "Әкімдік 100%_x", "шара қабылдасын", "бір ай ішінде"),
    ], entities=[("convention", "Минамата", "minamata"), ("agency", "министрлігі", "mepnr")])
    c = make_doc("doc-c", "/c/ru/0-first.md", "ru", "law")
    return [a, b, c]


# -- the document store --------------------------------------------------------------
def test_put_get_replace_delete(settings):
    store = DocStore(settings)
    a, b, c = corpus()
    assert store.put(a) == ("added", None)
    assert store.put(a) == ("unchanged", None)
    assert store.put(b) == ("added", None) and store.put(c) == ("added", None)
    assert len(store) == 3 and "doc-a" in store and store.ids() == ["doc-a", "doc-b", "doc-c"]
    assert store.get("doc-a") == a and [d.id for d in store] == ["doc-a", "doc-b", "doc-c"]
    assert store.summary("doc-b").obligations == 2 and store.summary("doc-b").lang == "kk"
    assert [s.id for s in store.list()] == ["doc-a", "doc-b", "doc-c"]
    assert store.id_for_source("/c/ru/a.md") == "doc-a"

    # a new version of the same source replaces the old document, rows and all
    a2 = make_doc("doc-a2", "/c/ru/a.md", obligations=[ob("doc-a2", "ru", "Акимат", "обеспечить")])
    assert store.put(a2) == ("updated", "doc-a")
    assert store.get("doc-a") is None and "doc-a" not in store and store.id_for_source("/c/ru/a.md") == "doc-a2"
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(obligations).where(obligations.c.doc_id == "doc-a")) == 0
        assert conn.scalar(select(func.count()).select_from(entity_mentions)
                           .where(entity_mentions.c.doc_id == "doc-a")) == 0

    # re-storing a document (e.g. re-enriched with --force) rewrites its rows
    b.obligations = b.obligations[:1]
    assert store.put(b) == ("unchanged", None)
    assert store.get("doc-b").obligations == b.obligations and store.summary("doc-b").obligations == 1

    assert store.delete("doc-b") is True and store.delete("doc-b") is False
    assert store.id_for_source("/c/kk/b.md") is None
    with store.engine.connect() as conn:
        for table in (obligations, obligation_conventions, entity_mentions, sources):
            assert conn.scalar(select(func.count()).select_from(table).where(table.c.doc_id == "doc-b")) == 0


def test_sources_share_a_document_and_orphans_go(settings):
    store = DocStore(settings)
    a, b, _ = corpus()
    store.put(a)
    store.put(b)
    assert store.add_source("/copy/of/a.md", "doc-a") is None
    assert store.id_for_source("/copy/of/a.md") == "doc-a"
    # the only source of doc-b now points at doc-a: doc-b is orphaned and removed
    assert store.add_source("/c/kk/b.md", "doc-a") == "doc-b"
    assert "doc-b" not in store and store.ids() == ["doc-a"]
    # pointing at a document that is not there changes nothing
    assert store.add_source("/c/x.md", "doc-zz") is None and store.id_for_source("/c/x.md") is None
    # replacing one of two sources of a document keeps the document for the other
    a_new = make_doc("doc-a-new", "/c/ru/a.md")
    assert store.put(a_new) == ("updated", None)  # updated, but nothing removed (the index keeps doc-a)
    assert store.get("doc-a") is not None and store.id_for_source("/copy/of/a.md") == "doc-a"
    assert store.delete("doc-a") and store.id_for_source("/copy/of/a.md") is None


def test_replace_is_one_transaction(settings, monkeypatch):
    """A failure anywhere inside put() leaves the previous document, its rows and its source."""
    import kb.store as store_mod

    store = DocStore(settings)
    a, b, _ = corpus()
    store.put(a)
    store.put(b)
    before = (store.get("doc-a"), store.list(), store.obligations_page(ObligationFilters(), 0, None))
    new = make_doc("doc-a2", "/c/ru/a.md", obligations=[ob("doc-a2", "ru", "Акимат", "обеспечить")])

    def failing_sql(conn, key, doc_id):  # the database itself fails after the new rows are written
        conn.execute(text("INSERT INTO no_such_table VALUES (1)"))

    monkeypatch.setattr(store_mod, "_point_source", failing_sql)
    with pytest.raises(StoreError, match="database write failed"):
        store.put(new)

    def bug(conn, key, doc_id):  # or the code does
        raise RuntimeError("bug")

    monkeypatch.setattr(store_mod, "_point_source", bug)
    with pytest.raises(RuntimeError):
        store.put(new)
    monkeypatch.undo()
    assert (store.get("doc-a"), store.list(), store.obligations_page(ObligationFilters(), 0, None)) == before
    assert "doc-a2" not in store and store.id_for_source("/c/ru/a.md") == "doc-a"
    assert store.put(new) == ("updated", "doc-a")


def test_list_page_filters_orders_and_pages(settings):
    store = DocStore(settings)
    for d in corpus():
        store.put(d)
    total, items = store.list_page(0, 50)
    assert total == 3 and [s.source for s in items] == ["/c/kk/b.md", "/c/ru/0-first.md", "/c/ru/a.md"]
    assert store.list_page(1, 1) == (3, [items[1]])
    assert store.list_page(5, 10) == (3, [])
    total, items = store.list_page(0, 50, lang="ru")
    assert total == 2 and {s.id for s in items} == {"doc-a", "doc-c"}
    assert store.list_page(0, 50, lang="ru", genre="law")[0] == 1
    assert store.list_page(0, 50, genre="nope") == (0, [])


FILTERS = [
    {}, {"lang": "kk"}, {"actor": "mepnr"}, {"actor": "министерство"}, {"actor": "МИНИСТРЛІГІ"},
    {"actor": "100%_"}, {"actor": "%"}, {"convention": "minamata"}, {"convention": "stockholm", "lang": "ru"},
    {"deadline_from": "2023-02-01"}, {"deadline_to": "2023-01-15"},
    {"deadline_from": "2022-12-01", "deadline_to": "2022-12-01"}, {"doc_id": "doc-b"}, {"doc_id": "../x"},
]


@pytest.mark.parametrize("f", FILTERS, ids=[json.dumps(f, ensure_ascii=False) for f in FILTERS])
def test_obligation_register_matches_the_python_filter(settings, f):
    """The SQL register answers exactly what filter_obligations answers over the documents."""
    store = DocStore(settings)
    docs = corpus()
    for d in docs:
        store.put(d)
    filters = ObligationFilters(**f)
    expected = []
    for d in sorted(docs, key=lambda d: (d.source, d.id)):
        if filters.doc_id and d.id != filters.doc_id:
            continue
        kept = filter_obligations(d.obligations, actor=filters.actor, convention=filters.convention,
                                  deadline_from=filters.deadline_from, deadline_to=filters.deadline_to,
                                  lang=filters.lang)
        expected += [(d.id, d.source, d.title, o) for o in kept]
    total, rows = store.obligations_page(filters, 0, None)
    assert total == len(expected)
    assert [(r.doc_id, r.source, r.title, Obligation(**r.model_dump(exclude={"doc_id", "source", "title"})))
            for r in rows] == expected
    # pages are slices of the whole
    for offset in range(0, total + 1):
        assert store.obligations_page(filters, offset, 2) == (total, rows[offset: offset + 2])


def test_entity_counts(settings):
    store = DocStore(settings)
    for d in corpus():
        store.put(d)
    counts = {(e.id, e.type): (e.mentions, e.documents) for e in store.entity_counts()}
    assert counts == {("minamata", "convention"): (3, 2), ("mepnr", "agency"): (2, 2)}
    assert [e.id for e in store.entity_counts("agency")] == ["mepnr"]
    store.delete("doc-b")
    assert {e.id: e.mentions for e in store.entity_counts()} == {"minamata": 2, "mepnr": 1}


@pytest.mark.parametrize("bad", HOSTILE_IDS, ids=[repr(i)[:20] for i in HOSTILE_IDS])
def test_hostile_ids_are_harmless(settings, bad):
    store = DocStore(settings)
    a, _, _ = corpus()
    store.put(a)
    files_before = sorted(p.relative_to(settings.data_dir) for p in settings.data_dir.rglob("*"))
    assert store.get(bad) is None and bad not in store and store.summary(bad) is None
    assert store.delete(bad) is False
    assert store.obligations_page(ObligationFilters(doc_id=bad), 0, 10) == (0, [])
    assert store.ids() == ["doc-a"] and store.get("doc-a") == a
    files_after = sorted(p.relative_to(settings.data_dir) for p in settings.data_dir.rglob("*"))
    assert [f for f in files_after if not f.name.startswith("kb.sqlite3")] == \
        [f for f in files_before if not f.name.startswith("kb.sqlite3")]
    if not is_valid_doc_id(bad):
        with pytest.raises(ValueError, match="not a valid id"):
            store.put(make_doc("ok", "/c/x.md").model_copy(update={"id": bad}))


def test_id_pattern():
    assert is_valid_doc_id("0123456789abcdef") and is_valid_doc_id("a" * 128) and is_valid_doc_id("up-load_1")
    assert not any(is_valid_doc_id(i) for i in HOSTILE_IDS if i != "catalog")
    assert not is_valid_doc_id("a" * 129) and not is_valid_doc_id(None) and not is_valid_doc_id(5)


def test_hostile_text_is_stored(settings):
    """NUL characters (PostgreSQL refuses them in text) and undecodable file names."""
    store = DocStore(settings)
    doc = make_doc("nul", "/c/bad\udcff name.md", title="Заголовок\x00с NUL", text="a\x00b")
    assert store.put(doc) == ("added", None)
    stored = store.get("nul")
    assert stored.title == doc.title and stored.text == doc.text and stored.source == "/c/bad\\udcff name.md"
    assert store.id_for_source("/c/bad\udcff name.md") == "nul"
    assert store.list_page(0, 10)[1][0].title == "Заголовок\x00с NUL"


def test_concurrent_writers_all_land(settings):
    store = DocStore(settings)
    errors = []

    def writer(n):
        try:
            for i in range(8):
                DocStore(settings).put(make_doc(f"w{n}-{i}", f"/w/{n}/{i}.md", obligations=[
                    ob(f"w{n}-{i}", "ru", "Акимат", "обеспечить")]))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(store) == 32
    assert store.obligations_page(ObligationFilters(), 0, 1)[0] == 32


def test_schema_is_migrated_to_head(settings):
    store = DocStore(settings)
    assert len(store) == 0
    assert db.current_revision(store.engine) == db.head_revision() is not None
    db.migrate(store.engine)  # idempotent
    db.dispose(settings)
    assert len(DocStore(settings)) == 0


def test_migrations_build_the_schema_the_code_queries(settings):
    """kb/db/schema.py and the Alembic revisions describe the same tables, columns and indexes."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from kb.db.schema import metadata

    store = DocStore(settings)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_sqlite_pragmas(tmp_path):
    s = Settings(data_dir=tmp_path / "data")
    store = DocStore(s)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    assert s.sqlite_path.is_file()
    db.dispose(s)


def test_a_removed_data_folder_starts_a_fresh_database(tmp_path):
    import shutil

    s = Settings(data_dir=tmp_path / "data")
    DocStore(s).put(make_doc("doc-1", "/c/1.md"))
    shutil.rmtree(s.data_dir)
    store = DocStore(s)  # same process, same path: not the pooled connections to the deleted file
    assert len(store) == 0 and s.sqlite_path.is_file()
    store.put(make_doc("doc-2", "/c/2.md"))
    db.dispose(s)
    assert DocStore(s).ids() == ["doc-2"]
    db.dispose(s)


def test_constructing_a_store_touches_nothing(tmp_path):
    DocStore(Settings(data_dir=tmp_path / "data"))
    KeyStore(Settings(data_dir=tmp_path / "data"))
    assert not (tmp_path / "data").exists()


def test_service_lists_and_registers_through_the_store(tmp_path):
    """KnowledgeBase's document list, obligation register and entity registry (no index needed)."""
    from kb.service import KnowledgeBase

    s = Settings(data_dir=tmp_path / "data")
    kb = KnowledgeBase(s)
    for d in corpus():
        kb.docs.put(d)
    page = kb.list_documents(offset=1, limit=1, lang="ru")
    assert page.total == 2 and [i.id for i in page.items] == ["doc-a"]
    regs = kb.obligations(ObligationFilters(convention="minamata"), offset=1, limit=5)
    assert regs.total == 2 and [(r.doc_id, r.source) for r in regs.items] == [("doc-a", "/c/ru/a.md")]
    assert len(kb.obligation_rows(ObligationFilters())) == 5
    counts = {e.id: e for e in kb.entity_counts()}
    assert counts["minamata"].mentions == 3 and counts["minamata"].names.get("ru")
    assert [e.id for e in kb.entity_counts("agency")] == ["mepnr"]
    db.dispose(s)


# -- the JSON store this one replaced -----------------------------------------------
def write_legacy(docs_dir: Path, docs: list[Document], sources_map: dict[str, str], extra_docs=()) -> None:
    """The layout kb/store.py wrote before the database: docs/<id>.json and docs/catalog.json."""
    docs_dir.mkdir(parents=True)
    for d in docs:
        (docs_dir / f"{d.id}.json").write_text(d.model_dump_json(), encoding="utf-8")
    from kb.store import summarize

    catalog = {"sources": sources_map, "docs": {d.id: summarize(d).model_dump(mode="json") for d in docs}}
    for bad in extra_docs:
        catalog["docs"][bad] = {"id": bad}
    (docs_dir / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")


def test_legacy_json_store_is_imported_once(settings, caplog):
    a, b, c = corpus()
    write_legacy(settings.docs_dir, [a, b, c], {"/c/ru/a.md": "doc-a", "/c/kk/b.md": "doc-b",
                                                 "/copy/a.md": "doc-a", "/gone.md": "doc-missing"},
                 extra_docs=["catalog", "../../etc/passwd", "doc-missing"])
    (settings.docs_dir / "doc-b.json").write_text("{broken", encoding="utf-8")
    files = {p.name: p.read_bytes() for p in settings.docs_dir.iterdir()}

    with caplog.at_level("WARNING", logger="kb.store"):
        store = DocStore(settings)
        assert store.ids() == ["doc-a", "doc-c"]
    assert store.get("doc-a") == a and store.id_for_source("/copy/a.md") == "doc-a"
    assert store.id_for_source("/gone.md") is None and store.id_for_source("/c/kk/b.md") is None
    assert store.obligations_page(ObligationFilters(), 0, None)[0] == 3
    log = caplog.text
    assert "imported 2 documents and 2 sources" in log and "doc-b.json" in log and "'catalog'" in log
    assert {p.name: p.read_bytes() for p in settings.docs_dir.iterdir()} == files  # old files kept

    # opened again (a new process: forget this one's memory of the import), nothing comes back
    store.delete("doc-c")
    DocStore._imported.clear()
    db.dispose(settings)
    assert DocStore(settings).ids() == ["doc-a"]


def test_legacy_catalog_that_is_not_one(tmp_path, caplog):
    s = Settings(data_dir=tmp_path / "data")
    s.docs_dir.mkdir(parents=True)
    (s.docs_dir / "catalog.json").write_text("[1, 2]")
    with caplog.at_level("WARNING", logger="kb.store"):
        assert DocStore(s).ids() == []
    assert "not a document catalog" in caplog.text
    db.dispose(s)


# -- API keys -------------------------------------------------------------------------
def test_keys_create_verify_revoke(settings):
    keys = KeyStore(settings)
    rec, secret = keys.create("write", "uploader")
    assert rec.role == "write" and rec.name == "uploader" and secret.startswith(rec.prefix) and rec.active
    assert len(secret) > 50
    other, other_secret = keys.create("read")
    assert [k.id for k in keys.list()] == [rec.id, other.id]

    got = keys.verify(secret)
    assert got is not None and got.id == rec.id and got.role == "write" and got.last_used_at is not None
    assert keys.get(rec.id).last_used_at is not None
    assert keys.verify(other_secret).id == other.id

    # only a hash is stored: the secret appears nowhere in the table
    with keys.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(select(api_keys)) for v in row)
    assert secret not in dump and secret.split("_", 2)[2] not in dump

    for wrong in [secret[:-1] + ("A" if secret[-1] != "A" else "B"), secret + "x", "", None, "Bearer " + secret,
                  f"kb_{rec.id}_", "kb_000000000000_" + "a" * 43, secret.upper(), "x" * 10000]:
        assert keys.verify(wrong) is None

    revoked = keys.revoke(rec.id)
    assert revoked is not None and revoked.revoked_at is not None and not revoked.active
    assert keys.verify(secret) is None and keys.verify(other_secret) is not None
    assert keys.revoke(rec.id).revoked_at == revoked.revoked_at  # idempotent
    assert keys.revoke(other.prefix).id == other.id and keys.verify(other_secret) is None
    assert keys.revoke("nope") is None and keys.revoke("../x" * 100) is None
    assert keys.list(include_revoked=False) == []

    with pytest.raises(ValueError, match="role"):
        keys.create("root")
    with pytest.raises(ValueError, match="name"):
        keys.create("read", "x" * 500)


def test_keys_are_shared_across_processes(settings):
    """Another worker (a fresh engine) sees a key created and revoked elsewhere at once."""
    _, secret = KeyStore(settings).create("admin", "ops")
    db.dispose(settings)
    assert KeyStore(settings).verify(secret).role == "admin"


def test_role_order():
    assert role_allows("admin", "write") and role_allows("write", "write") and role_allows("write", "read")
    assert not role_allows("read", "write") and not role_allows("write", "admin")
    assert not role_allows("root", "read") and not role_allows("admin", "root")


def test_timestamps_are_utc(settings):
    rec, _ = KeyStore(settings).create("read")
    listed = KeyStore(settings).get(rec.id)
    assert listed.created_at.tzinfo is not None
    assert abs(listed.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
