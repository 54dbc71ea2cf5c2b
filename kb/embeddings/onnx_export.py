"""Export the sentence-transformers model to ONNX once, for the OpenVINO and ONNX Runtime backends.

The graph is the whole sentence-transformers pipeline (BERT -> mean pooling -> normalise)
with two inputs, `input_ids` and `attention_mask` (int64, batch x sequence, both dynamic),
and one output, `sentence_embedding`. It sits in `<model>/onnx/model.onnx`, next to
`export.json`: what a runtime needs without loading torch (dimension, sequence limit,
prompts, padding id) and the size and mtime of the weights it was made from, so that a
re-converted model is re-exported rather than silently mismatched.

torch's legacy TorchScript exporter (`dynamo=False`) is used: it needs only the `onnx`
package, where the newer exporter would add onnxscript and its own pins.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from pydantic import BaseModel, ValidationError

from kb.embeddings.errors import ModelLoadError

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
MANIFEST = "export.json"  # written last: its presence marks a complete export
OPSET = 17  # the first opset with a LayerNormalization op; OpenVINO and ONNX Runtime both read it
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "sentence_embedding"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class OnnxExport(BaseModel):
    """What `export.json` records about one export."""

    dim: int
    max_seq_length: int
    prompts: dict[str, str]
    pad_token_id: int
    source_weights: str
    source_bytes: int
    source_mtime_ns: int
    opset: int = OPSET
    torch_version: str


def onnx_path(model_dir: Path) -> Path:
    return Path(model_dir) / ONNX_DIR / ONNX_FILE


def _weights(model_dir: Path) -> Path | None:
    return next((model_dir / n for n in WEIGHT_FILES if (model_dir / n).is_file()), None)


def read_export(model_dir: Path) -> OnnxExport | None:
    """The export of `model_dir` if one is there, complete and made from its current weights."""
    model_dir = Path(model_dir)
    manifest = model_dir / ONNX_DIR / MANIFEST
    if not manifest.is_file() or not onnx_path(model_dir).is_file():
        return None
    try:
        info = OnnxExport.model_validate_json(manifest.read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return None
    weights = _weights(model_dir)
    if weights is not None:
        st = weights.stat()
        if (weights.name, st.st_size, st.st_mtime_ns) != (info.source_weights, info.source_bytes, info.source_mtime_ns):
            return None
    return info


def export_onnx(model_dir: Path, model=None) -> OnnxExport:
    """Export `model_dir` to `<model_dir>/onnx/` unless a current export is there; returns its record.

    `model`: an already loaded SentenceTransformer of that folder (saves a load).
    Built in a temp folder and renamed into place, so a crash never leaves half an export.
    """
    import torch

    model_dir = Path(model_dir)
    done = read_export(model_dir)
    if done is not None:
        return done
    weights = _weights(model_dir)
    if weights is None:
        raise ModelLoadError(f"{model_dir} has no {' or '.join(WEIGHT_FILES)} to export to ONNX")
    if model is None:
        from kb.embeddings.embedder import load_sentence_transformer

        # eager attention: plain matmuls and softmax, which every ONNX runtime fuses its own way
        model = load_sentence_transformer(model_dir, model_kwargs={"attn_implementation": "eager"})
    model.eval()

    class _Pipeline(torch.nn.Module):
        def __init__(self, st):
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask):
            return self.st({"input_ids": input_ids, "attention_mask": attention_mask})[OUTPUT]

    tok = model.tokenizer
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    info = OnnxExport(
        dim=int(get_dim()),
        max_seq_length=int(model.max_seq_length),
        prompts=dict(model.prompts or {}),
        pad_token_id=int(tok.pad_token_id if tok.pad_token_id is not None else 0),
        source_weights=weights.name,
        source_bytes=weights.stat().st_size,
        source_mtime_ns=weights.stat().st_mtime_ns,
        torch_version=torch.__version__,
    )
    # two rows of different lengths, the second padded: the traced graph must see a real mask
    enc = tok(["passage: Қазақстан Республикасы", "passage: охрана"], padding=True, return_tensors="pt")
    example = (enc["input_ids"].to(torch.int64), enc["attention_mask"].to(torch.int64))
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUTS} | {OUTPUT: {0: "batch"}}

    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.tmp-", dir=model_dir))
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # The tracer warns about Python conditions on shapes (padding checks that are false
            # for right-padded input, always the case here) and that this exporter is legacy.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Pipeline(model),
                example,
                str(tmp / ONNX_FILE),
                input_names=list(INPUTS),
                output_names=[OUTPUT],
                dynamic_axes=dynamic,
                opset_version=OPSET,
                dynamo=False,
            )
        (tmp / MANIFEST).write_text(info.model_dump_json(indent=2) + "\n", encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        for p in (tmp, tmp / ONNX_FILE, tmp / MANIFEST):  # mkdtemp makes owner-only folders
            p.chmod((0o777 if p.is_dir() else 0o666) & ~umask)
        target = model_dir / ONNX_DIR
        if target.exists() and read_export(model_dir) is None:
            shutil.rmtree(target)  # stale or half-written by an older version
        try:
            os.replace(tmp, target)
        except OSError:
            if read_export(model_dir) is None:  # not a concurrent exporter that won: a real failure
                raise
    except OSError as exc:
        raise ModelLoadError(f"cannot write the ONNX export into {model_dir / ONNX_DIR}: {exc}") from exc
    except Exception as exc:  # the exporter's own errors (a missing `onnx` package, an untraceable model)
        raise ModelLoadError(f"cannot export {model_dir} to ONNX: {type(exc).__name__}: {exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported %s to ONNX in %.1f s", model_dir, time.perf_counter() - t0)
    return info
