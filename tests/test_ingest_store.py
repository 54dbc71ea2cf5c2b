"""Document store and the ingestion pipeline: skip unchanged, replace changed, hooks, atomicity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.config import Settings
from kb.pipeline import Hooks, ingest_paths, remove_document
from kb.store import DocStore

CORPUS = Path(__file__).resolve().parents[1] / "corpora"
ACT = CORPUS / "kazakhstan-law/local-astana/08-local-decisions/150-goroda-nur-sultan/15000000-goroda-nur-sultan/2020/0128-ob-obiavlenii-chrezvychainoi-situatsii-prirodnogo-kharaktera-mes-139112/kaz.md"
SEED = CORPUS / "seeds/ru/2022-tailings-working-group-plan.txt"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    return Settings()


@pytest.fixture
def recorder():
    events: list[tuple[str, str]] = []
    hooks = Hooks(
        enrichers=[lambda d: d.meta.__setitem__("enriched", "yes")],
        on_stored=[lambda d: events.append(("stored", d.id))],
        on_removed=[lambda i: events.append(("removed", i))],
    )
    return hooks, events


def test_settings_data_dir_from_env(settings, tmp_path):
    assert settings.docs_dir == tmp_path / "data" / "docs"
    assert settings.sqlite_path == tmp_path / "data" / "kb.sqlite3"


def test_added_unchanged_updated(tmp_path, settings, recorder):
    hooks, events = recorder
    f = tmp_path / "act.md"
    shutil.copy(ACT, f)
    report = ingest_paths([f], settings, hooks=hooks)
    assert [r.status for r in report.files] == ["added"]
    first = report.files[0].doc_id
    store = DocStore(settings)
    doc = store.get(first)
    assert doc.meta["enriched"] == "yes" and doc.source == str(f)
    assert store.id_for_source(f) == first and store.id_for_source(str(f)) == first
    assert events == [("stored", first)]

    again = ingest_paths([f], settings, hooks=hooks)
    assert [r.status for r in again.files] == ["unchanged"] and again.files[0].title == doc.title
    assert events == [("stored", first)]  # nothing re-parsed, nothing re-indexed

    f.write_text(f.read_text(encoding="utf-8") + "\n9. Жаңа тармақ қосылды.\n", encoding="utf-8")
    changed = ingest_paths([f], settings, hooks=hooks)
    assert [r.status for r in changed.files] == ["updated"]
    second = changed.files[0].doc_id
    assert second != first
    assert store.get(first) is None and first not in store
    assert store.get(second).blocks[-1].text == "9. Жаңа тармақ қосылды."
    assert events[1:] == [("removed", first), ("stored", second)]
    assert [s.id for s in store.list()] == [second]


def test_store_api(settings):
    from ingest import parse_file

    store = DocStore(settings)
    doc = parse_file(SEED)
    assert store.put(doc) == ("added", None)
    assert store.put(doc) == ("unchanged", None)
    assert doc.id in store and len(store) == 1
    (summary,) = store.list()
    assert summary.id == doc.id and summary.genre == "plan" and summary.blocks == len(doc.blocks)
    assert store.summary(doc.id).title == doc.title
    assert [d.id for d in store] == [doc.id]
    assert store.get(doc.id) == doc
    assert store.get("../../etc/passwd") is None and store.get("nope") is None
    assert store.delete(doc.id) is True
    assert store.delete(doc.id) is False
    assert store.list() == [] and store.id_for_source(SEED) is None


def test_copy_of_a_stored_file_is_unchanged(tmp_path, settings, recorder):
    hooks, events = recorder
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    shutil.copy(SEED, a)
    shutil.copy(SEED, b)
    report = ingest_paths([a, b], settings, hooks=hooks)
    assert [r.status for r in report.files] == ["added", "unchanged"]
    store = DocStore(settings)
    assert store.id_for_source(a) == store.id_for_source(b)
    assert len(store) == 1 and len(events) == 1
    # deleting one copy's document forgets both sources
    assert remove_document(report.files[0].doc_id, settings, hooks)
    assert store.id_for_source(b) is None and events[-1] == ("removed", report.files[0].doc_id)


def test_folder_walk_skips_and_counts(tmp_path, settings):
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(SEED, folder / "sub" / "plan.txt")
    shutil.copy(ACT, folder / "act.md")
    (folder / "README.md").write_text("# readme")
    (folder / "manifest.tsv").write_text("file\tlang\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / "image.png").write_bytes(b"\x89PNG")
    progress = []
    report = ingest_paths([folder], settings, progress=lambda d, t, r: progress.append((d, t, r.status)))
    assert report.counts() == {"added": 2, "updated": 0, "unchanged": 0, "skipped": 4, "failed": 0}
    assert report.ok and progress[-1][:2] == (6, 6)
    reasons = {Path(r.path).name: r.reason for r in report.files if r.status == "skipped"}
    assert "unsupported" in reasons["image.png"] and "hidden" in reasons[".DS_Store"]


def test_failing_enricher_stores_nothing(tmp_path, settings):
    def broken(doc):
        raise ValueError("tagger exploded")

    report = ingest_paths([SEED], settings, hooks=Hooks(enrichers=[broken]))
    (result,) = report.files
    assert result.status == "failed" and "tagger exploded" in result.reason and "broken" in result.reason
    assert DocStore(settings).list() == []


def test_failing_index_hook_is_reported(settings):
    def index(doc):
        raise RuntimeError("index down")

    report = ingest_paths([SEED], settings, hooks=Hooks(on_stored=[index]))
    assert report.files[0].status == "failed" and "index down" in report.files[0].reason
    assert not report.ok


def test_interrupted_write_leaves_old_version_intact(tmp_path, settings):
    from sqlalchemy import text

    f = tmp_path / "plan.txt"
    shutil.copy(SEED, f)
    ingest_paths([f], settings, hooks=Hooks())
    store = DocStore(settings)
    old_id = store.id_for_source(f)
    doc_before = store.get(old_id)

    f.write_text(f.read_text(encoding="utf-8") + "\nНовый абзац плана.\n", encoding="utf-8")
    # The database fails half-way through the replacing transaction: after the new document
    # row is written, when the source is re-pointed at it.
    fail = "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    with store.engine.begin() as conn:
        conn.execute(text(f"CREATE TRIGGER fail_u BEFORE UPDATE ON sources {fail}"))
        conn.execute(text(f"CREATE TRIGGER fail_i BEFORE INSERT ON sources {fail}"))
    report = ingest_paths([f], settings, hooks=Hooks())
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER fail_u"))
        conn.execute(text("DROP TRIGGER fail_i"))
    assert report.files[0].status == "failed"
    assert report.files[0].reason == "cannot store document (database write failed: database or disk is full)"
    assert store.ids() == [old_id] and store.id_for_source(f) == old_id
    assert store.get(old_id) == doc_before
    # and the next try goes through
    assert [r.status for r in ingest_paths([f], settings, hooks=Hooks()).files] == ["updated"]


def test_read_error_is_reported_not_raised(tmp_path, settings, monkeypatch):
    f = tmp_path / "plan.txt"
    shutil.copy(SEED, f)

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    report = ingest_paths([f, tmp_path / "missing.md"], settings, hooks=Hooks())
    assert [(r.status, r.reason) for r in report.files] == [
        ("failed", "cannot read file (Permission denied)"),
        ("failed", "no such file"),
    ]
