"""kill -9 an ingest at random points: the store reopens, every stored document is whole,
nothing stored before is lost, and ingesting again completes.

The ingest runs in a subprocess with the real parser, entity tagger and obligation extractor
(no vector index: the index has its own reconciliation, kb.indexer). Each trial changes some
files (so the killed run replaces documents) and adds new ones, then kills the run after a
random delay within its expected duration. Set KB_CRASH_SEED to replay a run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from ingest import doc_id
from kb import db
from kb.config import Settings
from kb.models import ObligationFilters
from kb.store import DocStore

REPO = Path(__file__).resolve().parents[1]
TRIALS = 4
FILES = 24
NEW_PER_TRIAL = 4
CHANGED_PER_TRIAL = 4

CHILD = """
import sys
from kb.config import Settings
from kb.pipeline import Hooks, ingest_paths
from kb.service import extract_obligations, tag_entities
from ingest import parse_bytes

hooks = Hooks(enrichers=[tag_entities, extract_obligations])
warm = parse_bytes("Министерству представить доклад до 1 декабря 2022 года.".encode(), "w.txt")
for enrich in hooks.enrichers:
    enrich(warm)  # load the taggers before the clock starts
print("ready", flush=True)
report = ingest_paths([sys.argv[2]], Settings(data_dir=sys.argv[1]), hooks=hooks,
                      progress=lambda done, total, r: print(done, r.status, flush=True))
print("done" if report.ok else "failed " + repr([(f.path, f.reason) for f in report.failed]), flush=True)
"""


def write_file(path: Path, n: int, version: int = 0) -> None:
    """A small regulation-like text with a dozen obligations (rows to write per document)."""
    lines = [f"Постановление № {n}-{version} о мерах по охране окружающей среды", ""]
    for i in range(12):
        lines += [
            f"{i + 1}. Министерству экологии и природных ресурсов Республики Казахстан представить доклад "
            f"о выполнении пункта {i + 1} Минаматской конвенции до {1 + i % 27} декабря 202{n % 10} года.",
            "",
            f"Акимату области {n} обеспечить контроль за исполнением мероприятия {i} в установленном порядке.",
            "",
        ]
    lines += [f"Редакция {version}."]
    path.write_text("\n".join(lines), encoding="utf-8")


def run_child(data: Path, corpus: Path, kill_after: float | None, timeout: float = 120):
    """Run the ingest; kill -9 it `kill_after` seconds after it is ready.
    (finished, output lines, seconds from ready to exit)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "KB_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(corpus)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        first = proc.stdout.readline()
        assert first.strip() == "ready", first + proc.stderr.read()
        ready = time.monotonic()
        if kill_after is None:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
            return True, out.split("\n"), time.monotonic() - ready
        time.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode != -signal.SIGKILL, out.split("\n"), time.monotonic() - ready
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def check_whole(settings: Settings) -> DocStore:
    """Reopen the store as a new process would and check every document is complete."""
    db.dispose(settings)
    store = DocStore(settings)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert conn.execute(text("PRAGMA foreign_key_check")).first() is None
        orphans = conn.execute(text(
            "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.doc_id = d.id)"
        )).scalar()
        assert orphans == 0  # every document is reachable from a source
    for summary in store.list():
        doc = store.get(summary.id)
        assert doc is not None and doc.blocks and doc.text
        assert summary.blocks == len(doc.blocks) and summary.obligations == len(doc.obligations)
        total, rows = store.obligations_page(ObligationFilters(doc_id=doc.id), 0, None)
        assert total == len(doc.obligations) == len(rows) > 0
        assert [r.quote for r in rows] == [o.quote for o in doc.obligations]
    return store


def test_kill_ingest_at_random_points(tmp_path):
    seed = int(os.environ.get("KB_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    versions = {}
    for n in range(FILES):
        write_file(corpus / f"act-{n:03}.txt", n)
        versions[n] = 0
    settings = Settings(data_dir=data)

    # the first ingest runs to the end: it is the state that must survive, and its duration
    # tells where the later runs can be killed
    finished, lines, duration = run_child(data, corpus, None)
    assert finished and "done" in lines, lines
    store = check_whole(settings)
    stored = {p: store.id_for_source(p) for p in corpus.iterdir()}
    assert all(stored.values()) and len(store) == FILES

    killed_mid_run = 0
    for trial in range(TRIALS):
        # change some files (the run must replace their documents) and add new ones
        changed = rng.sample(sorted(versions), CHANGED_PER_TRIAL)
        for n in changed:
            versions[n] += 1
            write_file(corpus / f"act-{n:03}.txt", n, versions[n])
        for _ in range(NEW_PER_TRIAL):
            n = len(versions)
            versions[n] = 0
            write_file(corpus / f"act-{n:03}.txt", n)
        before = {p: store.get(i) for p, i in stored.items()}
        kill_after = rng.uniform(0, duration * (len(versions) / FILES))
        finished, lines, _ = run_child(data, corpus, kill_after)
        killed_mid_run += not finished
        done_files = sum(1 for ln in lines if ln[:1].isdigit())
        print(f"trial {trial}: killed after {kill_after:.2f}s, {done_files}/{len(versions)} files done")
        context = f"seed {seed}, trial {trial}, killed after {kill_after:.2f}s, progress {lines[-3:]}"

        store = check_whole(settings)
        for path, old_id in stored.items():
            now = store.id_for_source(path)
            new_id = doc_id(path.read_bytes())
            # nothing lost: each stored file still has a document, the old one or its new version
            assert now in (old_id, new_id), (path.name, context)
            if now == old_id:
                assert store.get(old_id) == before[path], (path.name, context)
        for path in corpus.iterdir():
            assert store.id_for_source(path) in (None, stored.get(path), doc_id(path.read_bytes())), context

        # ingesting again completes and brings everything up to date
        finished, lines, _ = run_child(data, corpus, None)
        assert finished and "done" in lines, (lines, context)
        store = check_whole(settings)
        stored = {p: store.id_for_source(p) for p in corpus.iterdir()}
        assert stored == {p: doc_id(p.read_bytes()) for p in corpus.iterdir()}, context
        assert len(store) == len(versions), context
    db.dispose(settings)
    assert killed_mid_run >= 1, f"no kill landed before the ingest finished (seed {seed})"
