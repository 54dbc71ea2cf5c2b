"""Ingestion's own settings. The service passes its values in (`kb.config.Settings.ingest_options()`),
so that `ingest/` needs nothing from `kb/`."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field


class IngestOptions(BaseModel):
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused")
    sidecars: bool = Field(True, description="Read requisites from sidecars (meta.yaml, NAME.meta.yaml, front matter)")


class HasMaxFileMb(Protocol):
    max_file_mb: float


def as_options(value: IngestOptions | HasMaxFileMb | None) -> IngestOptions:
    """IngestOptions from itself, from any settings object with the same field names, or defaults."""
    if value is None:
        return IngestOptions()
    if isinstance(value, IngestOptions):
        return value
    known = {k: getattr(value, k) for k in IngestOptions.model_fields if hasattr(value, k)}
    return IngestOptions(**known)
