"""Stored documents: list and read (open), upload and delete (write key)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile

from api.deps import KB, CanRead, CanWrite, call, known_id
from api.public import scrub
from kb.models import Document, DocumentSummary, Genre, Lang, Page
from kb.store import summarize

router = APIRouter(prefix="/documents", tags=["documents"])
NOT_FOUND = {404: {"description": "No such document"}}


@router.get("", response_model=Page[DocumentSummary])
def list_documents(
    kb: KB,
    _: CanRead,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    lang: Lang | None = None,
    genre: Genre | None = None,
) -> Page[DocumentSummary]:
    page = call(kb.list_documents, offset=offset, limit=limit, lang=lang, genre=genre)
    return page.model_copy(update={"items": [scrub(s, kb.settings) for s in page.items]})


@router.get("/{doc_id}", response_model=Document, responses=NOT_FOUND)
def get_document(doc_id: str, kb: KB, _: CanRead) -> Document:
    doc = call(kb.get_document, known_id(doc_id))
    if doc is None:
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}")
    return scrub(doc, kb.settings)


@router.post(
    "",
    response_model=DocumentSummary,
    status_code=201,
    summary="Upload one file and ingest it",
    responses={
        200: {"description": "The same content was already stored: nothing changed", "model": DocumentSummary},
        413: {"description": "File too large"},
        422: {"description": "The file cannot be ingested (the message names the file and the reason)"},
    },
)
def upload_document(
    response: Response,
    kb: KB,
    _: CanWrite,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, TXT or MD")],
) -> DocumentSummary:
    name = Path(file.filename or "").name
    if not name:
        raise HTTPException(status_code=422, detail="file: the upload has no file name")
    max_bytes = int(kb.settings.max_file_mb * 1024 * 1024)
    data = file.file.read(max_bytes + 1)  # never hold more than the limit in memory
    if len(data) > max_bytes:
        raise HTTPException(status_code=413, detail=f"{name}: larger than the {kb.settings.max_file_mb:g} MB limit")
    if not data:
        raise HTTPException(status_code=422, detail=f"{name}: the file is empty")
    try:
        result = call(kb.ingest_upload, name, data)
    except RuntimeError as exc:  # parsed, but tagging, storing or indexing failed; the store is unchanged
        raise HTTPException(status_code=500, detail=f"{name}: {exc}") from exc
    summary, status = result if isinstance(result, tuple) else (result, "added")
    if isinstance(summary, Document):
        summary = summarize(summary)
    if status == "unchanged":
        response.status_code = 200
    return scrub(summary, kb.settings)


@router.delete("/{doc_id}", status_code=204, responses=NOT_FOUND)
def delete_document(doc_id: str, kb: KB, _: CanWrite) -> Response:
    if not call(kb.delete_document, known_id(doc_id)):
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}")
    return Response(status_code=204)
