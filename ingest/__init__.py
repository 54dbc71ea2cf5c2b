"""Ingestion: readers (txt, md, html, pdf, docx), cleaning, structure and metadata.

`parse_file(path)` / `parse_bytes(data, name)` turn one file into an `ingest.models.Document`
(re-exported by `kb.models`); `ingest.mirror` reads the kazakhstan-law mirrors' layout.
`ingest/` imports nothing from `kb/`.
"""

from ingest.errors import IngestError
from ingest.parse import SUPPORTED, doc_id, is_supported, parse_bytes, parse_file

__all__ = ["IngestError", "SUPPORTED", "doc_id", "is_supported", "parse_bytes", "parse_file"]
