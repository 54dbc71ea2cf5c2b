"""Errors of the embedding layer (one module, so every backend can raise them without cycles)."""

from __future__ import annotations


class ModelNotFoundError(FileNotFoundError):
    """The configured embedding model folder is missing or is not a sentence-transformers model."""


class ModelLoadError(RuntimeError):
    """The model folder exists but could not be loaded."""


class EmbedBackendError(ModelLoadError):
    """The inference backend asked for (KB_EMBED_BACKEND) is unknown or cannot run on this machine."""
