"""/api/v1: upload, status, delete, search."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
)
from pydantic import BaseModel
from rq.exceptions import NoSuchJobError
from rq.job import Job

from . import documents
from .auth import tenant_and_limit
from .embeddings import EmbeddingUnavailable
from .extract import Rejected, content_type_for, sanitize_filename
from .jobs import process_document
from .logs import get_logger
from .services import Services
from .storage import document_key

log = get_logger("ai_service.api")
Tenant = Annotated[str, Depends(tenant_and_limit)]
Status = Literal["queued", "processing", "indexed", "failed"]
ERRORS = {
    code: {
        "description": text,
        "content": {"application/json": {"example": {"detail": text}}},
    }
    for code, text in {
        401: "missing or invalid API key",
        404: "document not found",
        429: "rate limit exceeded",
        503: "dependency unavailable",
    }.items()
}

router = APIRouter(prefix="/api/v1", responses={401: ERRORS[401], 429: ERRORS[429], 503: ERRORS[503]})


class Accepted(BaseModel):
    id: str
    status: Status


class Document(BaseModel):
    id: str
    filename: str
    status: Status


class SearchResult(BaseModel):
    document_id: str
    score: float
    snippet: str


class SearchResults(BaseModel):
    results: list[SearchResult]


def _services(request: Request) -> Services:
    return request.app.state.services


@router.post(
    "/documents",
    status_code=202,
    response_model=Accepted,
    responses={
        400: {"description": "empty file or invalid filename"},
        413: {"description": "file too large"},
        415: {"description": "unsupported file type"},
    },
)
def upload_document(request: Request, tenant: Tenant, file: Annotated[UploadFile, File()]) -> Accepted:
    services = _services(request)
    settings = services.settings
    try:
        filename = sanitize_filename(file.filename)
        size = file.size if file.size is not None else file.file.seek(0, 2)
        if size > settings.max_upload_bytes:
            raise Rejected(
                413,
                f"file exceeds MAX_UPLOAD_BYTES ({settings.max_upload_bytes} bytes)",
            )
        if size == 0:
            raise Rejected(400, "file is empty")
        file.file.seek(0)
        content_type = content_type_for(filename, file.file.read(1024))
        file.file.seek(0)
    except Rejected as exc:
        raise HTTPException(exc.status, exc.detail) from None

    document_id = str(uuid.uuid4())
    key = document_key(document_id)
    services.storage.put(key, file.file, content_type)
    try:
        with services.engine.begin() as conn:
            documents.create(
                conn,
                document_id=document_id,
                tenant=tenant,
                filename=filename,
                content_type=content_type,
                size_bytes=size,
                storage_key=key,
            )
        if not settings.inline_jobs:
            services.enqueue_document(document_id)
    except Exception:
        # Nothing stays behind for a request we could not accept.
        documents.delete(services.engine, document_id, tenant)
        services.storage.delete(key)
        raise
    log.info(
        "document_uploaded",
        document_id=document_id,
        size_bytes=size,
        content_type=content_type,
    )
    if settings.inline_jobs:
        try:
            process_document(document_id, services)
        except EmbeddingUnavailable as exc:
            # No worker will retry this: record the failure, the client sees status "failed".
            documents.mark_failed(services.engine, document_id, str(exc))
        row = documents.get(services.engine, document_id, tenant)
        return Accepted(id=document_id, status=row.status if row else "failed")
    return Accepted(id=document_id, status="queued")


@router.get("/documents/{document_id}", response_model=Document, responses={404: ERRORS[404]})
def get_document(request: Request, tenant: Tenant, document_id: uuid.UUID) -> Document:
    row = documents.get(_services(request).engine, str(document_id), tenant)
    if row is None:
        raise HTTPException(404, "document not found")
    return Document(id=row.id, filename=row.filename, status=row.status)


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    response_class=Response,
    responses={404: ERRORS[404]},
)
def delete_document(request: Request, tenant: Tenant, document_id: uuid.UUID) -> Response:
    services = _services(request)
    row = documents.delete(services.engine, str(document_id), tenant)
    if row is None:
        raise HTTPException(404, "document not found")
    services.storage.delete(row.storage_key)
    try:
        Job.fetch(f"document-{document_id}", connection=services.redis).delete()
    except NoSuchJobError:
        pass
    return Response(status_code=204)


@router.get("/search", response_model=SearchResults)
def search(
    request: Request,
    tenant: Tenant,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SearchResults:
    services = _services(request)
    try:
        vector = services.embedder.embed([q])[0]
    except EmbeddingUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    if not any(vector):
        return SearchResults(results=[])  # no searchable words: nothing can be similar
    return SearchResults(results=[SearchResult(**r) for r in documents.search(services.engine, tenant, vector, k)])
