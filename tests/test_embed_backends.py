"""Every inference backend this machine can run gives today's vectors (kb.embeddings.backends).

The reference is the `torch` backend (sentence-transformers, float32: the path the
service had before the fast backends). Passages are real Kazakh and Russian paragraphs
from corpora/acts, a few of them longer than the model's 512-token limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from embedding_fixtures import embedder, embedding_model_dir  # noqa: F401  (fixtures)
from pydantic import ValidationError

from kb.config import Settings
from kb.embeddings import BACKENDS, EmbedBackendError, Embedder, available_backends, get_embedder
from kb.embeddings.backends import unavailable_reason
from kb.embeddings.batching import embed_by_length, token_batches
from kb.embeddings.onnx_export import MANIFEST, ONNX_DIR, ONNX_FILE, export_onnx, read_export

REPO = Path(__file__).resolve().parents[1]
MIN_COSINE = 0.999
QUERIES = ["экологиялық рұқсат алу тәртібі", "охрана озонового слоя", "Минамата конвенциясы", "штраф"]


def corpus_passages(lang: str, n: int) -> list[str]:
    """`n` paragraphs of corpora/acts/<lang>, spread over the files and of mixed lengths."""
    paras: list[str] = []
    for f in sorted((REPO / "corpora" / "acts" / lang).glob("*.md")):
        paras += [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 20]
    step = max(1, len(paras) // n)
    return paras[::step][:n]


@pytest.fixture(scope="module")
def passages() -> list[str]:
    kk, ru = corpus_passages("kk", 12), corpus_passages("ru", 12)
    assert len(kk) == len(ru) == 12
    # two passages past the 512-token limit: every backend must truncate where torch does
    return kk + ru + [" ".join(kk[:8]) * 3, " ".join(ru[:8]) * 3]


@pytest.fixture(scope="module")
def reference(embedding_model_dir, passages) -> tuple[np.ndarray, np.ndarray]:
    # through the process-wide cache, so test_env_var_forces_a_backend reuses it
    torch_embedder = get_embedder(Settings(embedding_model=embedding_model_dir, torch_threads=1, embed_backend="torch"))
    assert torch_embedder.backend == "torch"
    assert max(torch_embedder.count_tokens(p) for p in passages) > torch_embedder.max_seq_length
    return torch_embedder.encode_passages(passages, batch_size=16), torch_embedder.encode_queries(QUERIES)


@pytest.fixture(scope="module")
def exported(embedding_model_dir) -> Path:
    export_onnx(embedding_model_dir)  # what `kb prepare-model` does once
    return embedding_model_dir


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "torch"])
def test_backend_gives_the_reference_vectors(backend, exported, passages, reference):
    reason = unavailable_reason(backend, exported)
    if reason is not None:
        pytest.skip(f"{backend}: {reason}")
    emb = Embedder(exported, torch_threads=1, backend=backend)
    assert emb.backend == backend
    assert (emb.dim, emb.max_seq_length, emb.max_tokens) == (384, 512, 507)
    # batch 4: several length-sorted batches, each padded to its own longest
    vecs = emb.encode_passages(passages, batch_size=4)
    assert vecs.shape == (len(passages), 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    ref_passages, ref_queries = reference
    kk_ru = cosines(vecs, ref_passages)
    assert kk_ru[:12].min() >= MIN_COSINE, f"{backend}: Kazakh passages {kk_ru[:12].min():.5f}"
    assert kk_ru[12:].min() >= MIN_COSINE, f"{backend}: Russian and over-long passages {kk_ru[12:].min():.5f}"
    assert cosines(emb.encode_queries(QUERIES), ref_queries).min() >= MIN_COSINE
    # the order of the input is the order of the output, whatever the length sorting did
    shuffled = np.random.default_rng(0).permutation(len(passages))
    again = emb.encode_passages([passages[i] for i in shuffled], batch_size=4)
    assert cosines(again, vecs[shuffled]).min() >= 0.99999


def test_auto_takes_the_fastest_available(embedder, embedding_model_dir):
    if Settings().embed_backend != "auto":
        pytest.skip("KB_EMBED_BACKEND forces a backend in this run")
    available = available_backends(embedding_model_dir)
    assert "torch" in available  # the fallback runs everywhere
    assert embedder.backend == available[0]


def test_auto_falls_back_when_the_export_cannot_be_made(embedding_model_dir, tmp_path, monkeypatch):
    from kb.embeddings import backends
    from kb.embeddings.errors import ModelLoadError

    model = tmp_path / "model"  # the test model without its ONNX export
    model.mkdir()
    for item in embedding_model_dir.iterdir():
        if item.name != ONNX_DIR:
            (model / item.name).symlink_to(item, target_is_directory=item.is_dir())
    tries = []

    def no_export(model_dir):
        tries.append(model_dir)
        raise ModelLoadError(f"cannot write the ONNX export into {model_dir}: read-only file system")

    monkeypatch.setattr(backends, "export_onnx", no_export)
    monkeypatch.setattr(backends, "AUTO_ORDER", tuple(b for b in backends.AUTO_ORDER if b != "cuda"))
    emb = Embedder(model, torch_threads=1, backend="auto")
    assert len(tries) == 1  # tried once for all the ONNX backends
    assert emb.backend == ("torch-bf16" if unavailable_reason("torch-bf16") is None else "torch")
    assert emb.encode_queries(["охрана"]).shape == (1, 384)


def test_unknown_backend_fails_at_startup_naming_the_backends():
    with pytest.raises(ValidationError) as err:
        Settings(embed_backend="tensorrt")
    msg = str(err.value)
    assert "tensorrt" in msg and "KB_EMBED_BACKEND" in msg
    for name in BACKENDS:
        assert name in msg


def test_unknown_backend_passed_directly_is_refused(embedding_model_dir):
    with pytest.raises(EmbedBackendError, match="is not a backend") as err:
        Embedder(embedding_model_dir, backend="tensorrt")
    assert "backends available on this machine: " in str(err.value)


def test_unavailable_backend_fails_naming_those_available(embedding_model_dir, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without a GPU, wherever this runs
    with pytest.raises(EmbedBackendError) as err:
        get_embedder(Settings(embedding_model=embedding_model_dir, embed_backend="cuda"))
    msg = str(err.value)
    assert "'cuda'" in msg and "KB_EMBED_BACKEND" in msg and "torch sees no CUDA GPU" in msg
    available = msg.split("backends available on this machine: ")[1]
    assert "torch" in available and "cuda" not in available


def test_env_var_forces_a_backend(embedding_model_dir, reference, monkeypatch):
    monkeypatch.setenv("KB_EMBED_BACKEND", " Torch ")
    assert Settings().embed_backend == "torch"
    emb = get_embedder(Settings(embedding_model=embedding_model_dir, torch_threads=1))
    assert emb.backend == "torch"


# --- length batching ----------------------------------------------------------------------


def test_length_batches_are_sorted_padded_and_cover_every_row():
    ids = [[5] * n for n in (7, 1, 4, 4, 9, 2, 3)]
    batches = list(token_batches(ids, batch_size=3, pad_id=1))
    assert [b.input_ids.shape for b in batches] == [(3, 3), (3, 7), (1, 9)]
    assert sorted(np.concatenate([b.positions for b in batches]).tolist()) == list(range(len(ids)))
    assert batches[0].positions.tolist() == [1, 5, 6]  # lengths 1, 2, 3
    assert batches[1].positions.tolist() == [2, 3, 0]  # 4, 4 (input order kept), 7
    first = batches[0]
    assert first.attention_mask.tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert first.input_ids[0].tolist() == [5, 1, 1]  # padded with pad_id
    with pytest.raises(ValueError, match="batch_size"):
        list(token_batches(ids, batch_size=0, pad_id=1))


def test_embedding_by_length_restores_the_input_order():
    ids = [list(range(n)) for n in (6, 2, 9, 1, 4)]

    def forward(input_ids, attention_mask):  # a row's "vector": its real length, then its first id
        return np.stack([attention_mask.sum(1), input_ids[:, 0]], axis=1).astype(np.float32)

    out = embed_by_length(ids, batch_size=2, pad_id=0, dim=2, forward=forward)
    assert out[:, 0].tolist() == [6, 2, 9, 1, 4]


# --- the export -----------------------------------------------------------------------------


def test_export_is_made_once(exported):
    info = read_export(exported)
    assert info is not None and info.dim == 384 and info.prompts["passage"] == "passage: "
    onnx = exported / ONNX_DIR / ONNX_FILE
    before = onnx.stat().st_mtime_ns
    assert export_onnx(exported) == info
    assert onnx.stat().st_mtime_ns == before


def test_export_of_other_weights_is_stale(tmp_path, exported):
    (tmp_path / "model.safetensors").write_bytes(b"not the weights the export was made from")
    (tmp_path / ONNX_DIR).mkdir()
    (tmp_path / ONNX_DIR / ONNX_FILE).write_bytes(b"graph")
    manifest = json.loads((exported / ONNX_DIR / MANIFEST).read_text(encoding="utf-8"))
    (tmp_path / ONNX_DIR / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert read_export(tmp_path) is None  # made from other weights: re-export, never run it
    weights = (tmp_path / "model.safetensors").stat()
    manifest |= {"source_bytes": weights.st_size, "source_mtime_ns": weights.st_mtime_ns}
    (tmp_path / ONNX_DIR / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert read_export(tmp_path) is not None
    (tmp_path / ONNX_DIR / MANIFEST).write_text("{", encoding="utf-8")  # a torn write
    assert read_export(tmp_path) is None
