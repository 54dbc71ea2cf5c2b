"""Ingestion: readers (txt, md, html, pdf, docx), cleaning, structure and metadata.

`parse_file(path)` / `parse_bytes(data, name)` turn one file into a `kb.models.Document`.
"""

from ingest.errors import IngestError
from ingest.parse import SUPPORTED, doc_id, is_supported, parse_bytes, parse_file

__all__ = ["IngestError", "SUPPORTED", "doc_id", "is_supported", "parse_bytes", "parse_file"]
