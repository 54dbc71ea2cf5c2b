"""Ingestion's own settings. The service passes its values in (`kb.config.Settings.ingest_options()`),
so that `ingest/` needs nothing from `kb/`."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field


class IngestOptions(BaseModel):
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused")
    sidecars: bool = Field(True, description="Read requisites from sidecars (meta.yaml, NAME.meta.yaml, front matter)")
    parse_timeout_s: float = Field(60.0, ge=0, description="A file still parsing after this fails (0: no limit)")
    max_unzipped_mb: float = Field(100.0, gt=0, description="A DOCX that unzips to more than this is refused")
    max_zip_members: int = Field(2000, gt=0, description="A DOCX with more members than this is refused")
    max_table_columns: int = Field(1000, gt=0, description="A table wider than this (after spans) is refused")
    ocr_langs: str = Field("kaz+rus", description="Tesseract languages for pages without a text layer")
    ocr_page_timeout_s: float = Field(60.0, ge=0, description="OCR of one page still running after this fails (0: no limit)")
    ocr_dpi: int = Field(300, gt=0, le=1200, description="Resolution pages are rendered at for OCR")
    ocr_max_pages: int = Field(300, ge=0, description="At most this many pages of a file are OCR'd; the rest are reported")


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
