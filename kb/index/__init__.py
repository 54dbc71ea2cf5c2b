"""Vector index of passages: see `kb.index.base` for the contract, `open_store` to get one."""

from kb.index.base import (
    DENSE,
    LEXICAL,
    IndexConfigError,
    IndexLockedError,
    IndexPoint,
    IndexStoreError,
    IndexUnavailableError,
    InvalidPointError,
    ScoredPoint,
    SearchArgs,
    SparseVec,
    VectorStore,
    open_store,
)

__all__ = [
    "DENSE",
    "LEXICAL",
    "IndexConfigError",
    "IndexLockedError",
    "IndexPoint",
    "IndexStoreError",
    "IndexUnavailableError",
    "InvalidPointError",
    "ScoredPoint",
    "SearchArgs",
    "SparseVec",
    "VectorStore",
    "open_store",
]
