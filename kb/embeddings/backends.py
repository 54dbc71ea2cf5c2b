"""Inference backends for the embedding model, chosen once when the embedder starts.

    torch          today's path, kept as the reference: sentence-transformers, float32.
    torch-bf16     the same model under bf16 autocast (only where the CPU computes bf16 natively).
    onnxruntime    ONNX Runtime, float32, on the export `kb prepare-model` makes (kb.embeddings.onnx_export).
    openvino       OpenVINO on that export; bf16 where the CPU computes it natively, else float32.
    openvino-fp32  OpenVINO on that export, always float32.
    cuda           sentence-transformers on the GPU torch sees, float32.

`auto` takes the first of AUTO_ORDER that can run here. All of them give the reference
vectors to cosine >= 0.999 (tests/test_embed_backends.py); int8 quantisation is left out
on purpose, it moved 12% of top-10 neighbours. Every backend but `torch` batches texts of
similar token length together (kb.embeddings.batching).
"""

from __future__ import annotations

import importlib.util
import threading
import logging
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from kb.embeddings.batching import embed_by_length
from kb.embeddings.errors import EmbedBackendError, ModelLoadError
from kb.embeddings.onnx_export import INPUTS, OnnxExport, export_onnx, onnx_path, read_export

log = logging.getLogger(__name__)

ENV_VAR = "KB_EMBED_BACKEND"
AUTO = "auto"
BACKENDS = ("torch", "torch-bf16", "onnxruntime", "openvino", "openvino-fp32", "cuda")
# Fastest first, as measured on CPU in bench/embed.py (OpenVINO bf16 ~3x torch, ONNX Runtime ~1.6x,
# torch bf16 ~2.5x); a GPU beats them all when there is one.
AUTO_ORDER = ("cuda", "openvino", "onnxruntime", "torch-bf16", "torch")
ONNX_BACKENDS = ("onnxruntime", "openvino", "openvino-fp32")  # the ones that run the ONNX export
CUDA_MIN_BATCH = 128  # a GPU is idle at CPU-sized batches


class Runtime(Protocol):
    name: str
    detail: str  # precision, threads: for logs and benchmarks
    dim: int
    max_seq_length: int
    prompts: dict[str, str]
    # How many `embed` calls may run at once from different threads (each on its own
    # inference stream); 1: callers must take turns.
    concurrency: int

    def embed(self, texts: list[str], prompt_name: str | None, batch_size: int, show_progress: bool) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors."""


# -- what the machine supports ------------------------------------------------------------


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def torch_native_bf16() -> bool:
    """The CPU computes bf16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slower."""
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, p, lambda: False)()) for p in probes)


def _openvino_capabilities() -> list[str]:
    import openvino as ov

    core = ov.Core()
    if "CPU" not in core.available_devices:
        return []
    return list(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def _export_problem(model_dir: Path | None) -> str | None:
    if model_dir is not None and read_export(model_dir) is not None:
        return None
    if not _installed("onnx"):
        return "no ONNX export yet (run `kb prepare-model`) and the onnx package to make one is not installed"
    return None


def unavailable_reason(name: str, model_dir: Path | None = None) -> str | None:
    """Why backend `name` cannot run on this machine, or None when it can."""
    if name == "torch":
        return None
    if name == "torch-bf16":
        return None if torch_native_bf16() else "the CPU has no native bf16 (AVX512-BF16 or AMX)"
    if name == "cuda":
        import torch

        return None if torch.cuda.is_available() else "torch sees no CUDA GPU"
    if name == "onnxruntime":
        if not _installed("onnxruntime"):
            return "the onnxruntime package is not installed"
        import onnxruntime as ort

        if "CPUExecutionProvider" not in ort.get_available_providers():
            return "onnxruntime has no CPU execution provider"
        return _export_problem(model_dir)
    if name in ("openvino", "openvino-fp32"):
        if not _installed("openvino"):
            return "the openvino package is not installed"
        if not _openvino_capabilities():
            return "OpenVINO finds no CPU device"
        return _export_problem(model_dir)
    return f"unknown backend {name!r}"


def available_backends(model_dir: Path | None = None) -> list[str]:
    """The backends that can run on this machine, in `auto`'s order of preference."""
    order = [*AUTO_ORDER, *(b for b in BACKENDS if b not in AUTO_ORDER)]
    return [b for b in order if unavailable_reason(b, model_dir) is None]


# -- the runtimes -------------------------------------------------------------------------


class TorchReference:
    """Today's path, unchanged: SentenceTransformer.encode in float32 on the CPU."""

    name = "torch"
    concurrency = 1

    def __init__(self, model, threads: int):
        self.model = model
        self.detail = f"float32, {threads or 'default'} thread(s)"
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        # None when a custom model's modules cannot tell; one probe encode settles it
        self.dim = int(get_dim() or len(model.encode(["x"])[0]))
        self.max_seq_length = int(model.max_seq_length)
        self.prompts = dict(model.prompts or {})

    def embed(self, texts, prompt_name, batch_size, show_progress):
        return self.model.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )


class _TokenRuntime:
    """Shared by the fast backends: prompt + text -> token ids (truncated like sentence-transformers)
    -> length-sorted batches -> `_forward(input_ids, attention_mask)`."""

    name = ""
    detail = ""
    dim: int
    max_seq_length: int
    prompts: dict[str, str]
    pad_id: int
    min_batch = 1
    concurrency = 1

    def __init__(self, model_dir: Path):
        self.model_dir = Path(model_dir)

    @cached_property
    def tokenizer(self):
        from tokenizers import Tokenizer

        path = self.model_dir / "tokenizer.json"
        if not path.is_file():
            raise EmbedBackendError(f"backend {self.name} needs {path} (a fast tokenizer); use {ENV_VAR}=torch")
        tok = Tokenizer.from_file(str(path))
        tok.no_padding()  # padding is per length-sorted batch, see kb.embeddings.batching
        tok.enable_truncation(max_length=self.max_seq_length)  # <s> and </s> included, as sentence-transformers
        return tok

    def _forward(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts, prompt_name, batch_size, show_progress):
        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        ids = [e.ids for e in self.tokenizer.encode_batch([prefix + t for t in texts])]
        vecs = embed_by_length(ids, max(batch_size, self.min_batch), self.pad_id, self.dim, self._forward)
        # unit length as the reference's normalize_embeddings=True (bf16 rounding, custom models without Normalize)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


class TorchFast(_TokenRuntime):
    """sentence-transformers' modules fed length-sorted batches: bf16 autocast on the CPU, or a GPU."""

    def __init__(self, model_dir: Path, model, name: str, threads: int):
        super().__init__(model_dir)
        import torch

        ref = TorchReference(model, threads)
        self.name, self.dim, self.max_seq_length, self.prompts = name, ref.dim, ref.max_seq_length, ref.prompts
        self.model = model
        pad = model.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else 0)
        self._torch = torch
        if name == "cuda":
            self.device = torch.device("cuda")
            model.to(self.device)
            self.min_batch = CUDA_MIN_BATCH
            self.detail = f"float32 on {torch.cuda.get_device_name(0)}"
        else:
            self.device = torch.device("cpu")
            self.detail = f"bf16 autocast, {threads or 'default'} thread(s)"

    def _forward(self, input_ids, attention_mask):
        torch = self._torch
        feats = {
            "input_ids": torch.from_numpy(input_ids).to(self.device),
            "attention_mask": torch.from_numpy(attention_mask).to(self.device),
        }
        with torch.inference_mode():
            if self.device.type == "cpu":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    out = self.model(feats)["sentence_embedding"]
            else:
                out = self.model(feats)["sentence_embedding"]
            return out.float().cpu().numpy()


class _OnnxRuntimeBase(_TokenRuntime):
    def __init__(self, model_dir: Path, info: OnnxExport):
        super().__init__(model_dir)
        self.dim, self.max_seq_length, self.prompts = info.dim, info.max_seq_length, dict(info.prompts)
        self.pad_id = info.pad_token_id


class OnnxRuntimeBackend(_OnnxRuntimeBase):
    name = "onnxruntime"

    def __init__(self, model_dir: Path, info: OnnxExport, threads: int, streams: int = 1):
        super().__init__(model_dir, info)
        import onnxruntime as ort

        self.concurrency = max(1, streams)  # InferenceSession.run may be called from several threads
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(threads, 0)  # 0 = ONNX Runtime's default (all cores)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # its graph-optimiser notes are not ours to show
        self.session = ort.InferenceSession(str(onnx_path(model_dir)), opts, providers=["CPUExecutionProvider"])
        self.detail = f"float32, {threads or 'default'} thread(s)"

    def _forward(self, input_ids, attention_mask):
        return self.session.run(None, dict(zip(INPUTS, (input_ids, attention_mask))))[0]


class OpenVinoBackend(_OnnxRuntimeBase):
    """`streams` > 1 compiles the model with that many CPU streams of `threads` threads each, and
    every calling thread gets its own infer request: that many batches run at once (the query
    model under concurrent searches, where one stream left the second core idle)."""

    def __init__(self, model_dir: Path, info: OnnxExport, threads: int, allow_bf16: bool, streams: int = 1):
        super().__init__(model_dir, info)
        import openvino as ov

        bf16 = allow_bf16 and "BF16" in _openvino_capabilities()
        self.name = "openvino" if allow_bf16 else "openvino-fp32"
        config = {"INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32"}
        self.concurrency = max(1, streams)
        if self.concurrency > 1:
            config["NUM_STREAMS"] = self.concurrency
            if threads > 0:
                config["INFERENCE_NUM_THREADS"] = threads * self.concurrency
        else:
            config["PERFORMANCE_HINT"] = "LATENCY"
            if threads > 0:
                config["INFERENCE_NUM_THREADS"] = threads
        core = ov.Core()
        self.compiled = core.compile_model(core.read_model(str(onnx_path(model_dir))), "CPU", config)
        self._requests = threading.local()
        self.detail = f"{'bf16' if bf16 else 'float32'}, {threads or 'default'} thread(s)" + (
            f" x {self.concurrency} streams" if self.concurrency > 1 else "")

    def _forward(self, input_ids, attention_mask):
        request = getattr(self._requests, "request", None)
        if request is None:
            request = self._requests.request = self.compiled.create_infer_request()
        # the request's output buffer is reused by the next call: copy out
        return np.array(request.infer(dict(zip(INPUTS, (input_ids, attention_mask))))[0], dtype=np.float32)


# -- choosing one ---------------------------------------------------------------------------


def _explain(requested: str, reason: str, model_dir: Path) -> EmbedBackendError:
    return EmbedBackendError(
        f"embedding backend {requested!r} ({ENV_VAR} / Settings.embed_backend) {reason}; "
        f"backends available on this machine: {', '.join(available_backends(model_dir))} "
        f"(or {AUTO} to pick the fastest)"
    )


def open_runtime(
    requested: str, model_dir: Path, threads: int, load_model: Callable[[], object], streams: int = 1
) -> Runtime:
    """Start the backend `requested` (or, for `auto`, the fastest that starts) on `model_dir`,
    with up to `streams` concurrent calls where the backend can run them (ONNX Runtime, OpenVINO).

    `load_model()` returns the folder's SentenceTransformer; only the torch backends call it.
    Raises EmbedBackendError, naming the available backends, when `requested` is unknown or
    cannot run here.
    """
    requested = (requested or AUTO).strip().lower()
    model_dir = Path(model_dir)
    if requested != AUTO and requested not in BACKENDS:
        raise _explain(requested, f"is not a backend (known: {AUTO}, {', '.join(BACKENDS)})", model_dir)
    if requested != AUTO:
        reason = unavailable_reason(requested, model_dir)
        if reason is not None:
            raise _explain(requested, f"cannot run here: {reason}", model_dir)
        return _start(requested, model_dir, threads, load_model, streams)
    export_failed = False
    for name in AUTO_ORDER:
        if unavailable_reason(name, model_dir) is not None or (export_failed and name in ONNX_BACKENDS):
            continue
        try:
            return _start(name, model_dir, threads, load_model, streams)
        except ModelLoadError as exc:
            if name == "torch":
                raise
            # a failed export (read-only folder, untraceable custom model) fails every ONNX backend alike
            export_failed = export_failed or read_export(model_dir) is None
            log.warning("embedding backend %s did not start (%s); trying the next one", name, exc)
    raise AssertionError("unreachable: torch is always in AUTO_ORDER")


def _start(name: str, model_dir: Path, threads: int, load_model: Callable[[], object], streams: int = 1) -> Runtime:
    if name in ("torch", "torch-bf16", "cuda"):
        model = load_model()
        runtime: Runtime = TorchReference(model, threads) if name == "torch" else TorchFast(
            model_dir, model, name, threads
        )
        return runtime
    info = read_export(model_dir)
    if info is None:
        log.info("no current ONNX export in %s: exporting once (about 10 s)", model_dir)
        info = export_onnx(model_dir)
    try:
        if name == "onnxruntime":
            return OnnxRuntimeBackend(model_dir, info, threads, streams)
        return OpenVinoBackend(model_dir, info, threads, allow_bf16=name == "openvino", streams=streams)
    except Exception as exc:  # a runtime that cannot read the graph: say which and why
        raise ModelLoadError(f"{name} cannot load {onnx_path(model_dir)}: {type(exc).__name__}: {exc}") from exc
