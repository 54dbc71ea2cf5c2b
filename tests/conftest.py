"""Shared fixtures: one converted embedding model and one small ingested knowledge base per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from embedding_fixtures import embedder, embedding_model_dir  # noqa: F401  (re-exported fixtures)
from kb.config import Settings

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO / "corpora"

# A small but representative slice of corpora/: every seed genre and three act pairs
# (a resolution with a table, a short resolution, a Code chapter), both languages.
SMALL_CORPUS = [
    "seeds/kk/2025-stockholm-nip-press-release.txt",
    "seeds/ru/2022-tailings-working-group-plan.txt",
    "seeds/ru/2026-waste-management-reform-news.txt",
    "seeds/ru/2017-minamata-cop1-decision-mc-1-21.txt",
    "kazakhstan-law/government/06-government/103-pravitelstvo/2022/0711-o-rasshirenii-territorii-andasaiskogo-gosudarstvennogo-prirodnog-169752/kaz.md",
    "kazakhstan-law/government/06-government/103-pravitelstvo/2022/0711-o-rasshirenii-territorii-andasaiskogo-gosudarstvennogo-prirodnog-169752/rus.md",
    "kazakhstan-law/government/06-government/103-pravitelstvo/2023/0303-o-nekotorykh-voprosakh-ministerstva-po-chrezvychainym-situatsiia-179095/kaz.md",
    "kazakhstan-law/government/06-government/103-pravitelstvo/2023/0303-o-nekotorykh-voprosakh-ministerstva-po-chrezvychainym-situatsiia-179095/rus.md",
    "kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/kaz/ecocode-2021-ch21-ozone-layer.md",
    "kazakhstan-law/codes/02-codes/2021/0102-ekologicheskii-kodeks-respubliki-kazakhstan-151312/rus/ecocode-2021-ch21-ozone-layer.md",
]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A copy of SMALL_CORPUS laid out as under corpora/, with the files' sidecars
    (the acts' meta.yaml, the seeds' NAME.meta.yaml)."""
    from ingest import mirror

    root = tmp_path_factory.mktemp("corpus")
    for rel in SMALL_CORPUS:
        source = CORPORA / rel
        place = mirror.place(source)
        sidecars = [place.sidecar] if place and place.sidecar else []
        sidecars += [s for s in [source.with_name(source.stem + ".meta.yaml")] if s.is_file()]
        for f in [source, *sidecars]:
            target = root / f.relative_to(CORPORA)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
    return root


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory, embedding_model_dir) -> Settings:  # noqa: F811
    return Settings(
        data_dir=tmp_path_factory.mktemp("kbdata"), embedding_model=embedding_model_dir, torch_threads=1
    )


@pytest.fixture(scope="session")
def corpus_kb(kb_settings, small_corpus):
    """A KnowledgeBase with SMALL_CORPUS ingested: real parser, taggers, model and embedded Qdrant."""
    from kb.service import KnowledgeBase

    kb = KnowledgeBase(kb_settings)
    report = kb.ingest([small_corpus])
    assert report.ok, [(f.path, f.reason) for f in report.failed]
    yield kb
    kb.close()
