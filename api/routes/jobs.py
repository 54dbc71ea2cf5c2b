"""Background ingestion jobs: upload files (write key) or name server paths (admin key),
then follow progress, list and cancel. The request returns at once with 202."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile

from api.deps import KB, CanRead, CanWrite, call, known_id
from kb.models import Job, JobRequest, role_allows

router = APIRouter(prefix="/jobs", tags=["jobs"])
NOT_FOUND = {404: {"description": "No such job"}}


def _job_or_404(job: Job | None, job_id: str) -> Job:
    if job is None:
        raise HTTPException(status_code=404, detail=f"No job with id {job_id!r}")
    return job


@router.post(
    "",
    response_model=Job,
    status_code=202,
    summary="Start ingesting uploaded files (multipart `files`) or server paths (JSON, admin)",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"}},
                            "force": {"type": "boolean"},
                        },
                        "required": ["files"],
                    }
                },
                "application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}},
            },
            "required": True,
        }
    },
    responses={413: {"description": "A file or the request is too large"}},
)
async def create_job(request: Request, kb: KB, caller: CanWrite) -> Job:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = JobRequest.model_validate_json(await request.body())
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=f"body: {str(exc).splitlines()[0]}") from exc
        if not role_allows(caller.role, "admin"):
            raise HTTPException(status_code=403, detail="Forbidden: ingesting server paths needs the 'admin' role")
        return call(kb.jobs.submit_paths, body.paths, force=body.force, follow_symlinks=body.follow_symlinks)
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(status_code=422, detail="body: send multipart/form-data with `files`, or JSON with `paths`")
    form = await request.form(max_files=1000)
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not uploads:
        raise HTTPException(status_code=422, detail="files: no file was uploaded")
    force = str(form.get("force", "")).lower() in ("1", "true", "yes", "on")
    max_bytes = int(kb.settings.max_file_mb * 1024 * 1024)
    staged = []
    for upload in uploads:
        name = Path(upload.filename or "").name
        if not name:
            raise HTTPException(status_code=422, detail="files: an upload has no file name")
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise HTTPException(status_code=413, detail=f"{name}: larger than the {kb.settings.max_file_mb:g} MB limit")
        staged.append((name, data))
    return call(kb.jobs.submit_uploads, staged, force=force)


@router.get("", response_model=list[Job])
def list_jobs(kb: KB, _: CanRead) -> list[Job]:
    return call(kb.jobs.list)


@router.get("/{job_id}", response_model=Job, responses=NOT_FOUND)
def get_job(job_id: str, kb: KB, _: CanRead) -> Job:
    return _job_or_404(call(kb.jobs.get, known_id(job_id, "job")), job_id)


@router.post("/{job_id}/cancel", response_model=Job, responses=NOT_FOUND)
def cancel_job(job_id: str, kb: KB, _: CanWrite) -> Job:
    return _job_or_404(call(kb.jobs.cancel, known_id(job_id, "job")), job_id)


