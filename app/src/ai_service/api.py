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
from starlette.concurrency import run_in_threadpool

from . import documents, errors
from .auth import tenant_and_limit
from .embeddings import EmbeddingUnavailable
from .errors import DEPENDENCY_DOWN
from .extract import Rejected, check_text, content_type_for, sanitize_filename
from .jobs import process_document
from .logs import get_logger
from .services import Services, job_id_for
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
        415: {"description": "unsupported file type, or text that is not UTF-8 / contains NUL bytes"},
    },
)
async def upload_document(request: Request, tenant: Tenant, file: Annotated[UploadFile, File()]) -> Accepted:
    """Row `pending` -> object -> row `queued` -> job. A 202 means the object and the row are stored;
    the job may wait for Redis (the reconciler enqueues it). Any earlier failure answers 503 and
    leaves at most a `pending` row the reconciler removes with its object."""
    services = _services(request)
    settings = services.settings
    try:
        filename, size, content_type = await run_in_threadpool(_validate, file, settings.max_upload_bytes)
    except Rejected as exc:
        raise HTTPException(exc.status, exc.detail) from None
    document_id = str(uuid.uuid4())
    key = document_key(document_id)
    # A storage slot first: while storage hangs (slots all taken, or the circuit open) an upload is
    # refused before it writes anything.
    async with services.storage_gate.slot():
        await run_in_threadpool(_create_pending, services, document_id, tenant, filename, content_type, size, key)
        stored = False
        try:
            await services.storage_gate.call(services.storage.put, key, file.file, content_type)
            stored = True
            if not await run_in_threadpool(documents.mark_queued, services.engine, document_id):
                raise HTTPException(503, "upload took too long; retry")
        except Exception:
            await _abandon_upload(services, document_id, key, stored=stored)
            raise
    if not settings.inline_jobs:
        try:
            await run_in_threadpool(services.enqueue_document, document_id)
        except DEPENDENCY_DOWN as exc:
            # The row is queued and the object stored: the reconciler enqueues it when Redis is back.
            log.warning("enqueue_deferred", document_id=document_id, reason=errors.classify(exc)[0])
    log.info(
        "document_uploaded",
        document_id=document_id,
        size_bytes=size,
        content_type=content_type,
    )
    if settings.inline_jobs:
        status = await run_in_threadpool(_process_inline, services, document_id, tenant)
        return Accepted(id=document_id, status=status)
    return Accepted(id=document_id, status="queued")


def _validate(file: UploadFile, max_bytes: int) -> tuple[str, int, str]:
    filename = sanitize_filename(file.filename)
    size = file.size if file.size is not None else file.file.seek(0, 2)
    if size > max_bytes:
        raise Rejected(413, f"file exceeds MAX_UPLOAD_BYTES ({max_bytes} bytes)")
    if size == 0:
        raise Rejected(400, "file is empty")
    file.file.seek(0)
    content_type = content_type_for(filename, file.file.read(1024))
    file.file.seek(0)
    if content_type.startswith("text/"):
        check_text(file.file)
        file.file.seek(0)
    return filename, size, content_type


def _create_pending(services: Services, document_id, tenant, filename, content_type, size, key) -> None:
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


async def _abandon_upload(services: Services, document_id: str, key: str, *, stored: bool) -> None:
    """Best effort, in this order: row (only while still pending), then the object if it was stored.
    A put that failed (timeout) may still have landed: its row stays `pending` for the reconciler,
    which deletes the object before the row after PENDING_GRACE_SECONDS."""
    try:
        if not stored:
            return
        if await run_in_threadpool(documents.discard_pending, services.engine, document_id):
            await services.storage_gate.call(services.storage.delete, key)
    except Exception as exc:  # noqa: BLE001 - the request already failed; this only tidies up
        log.warning("upload_cleanup_deferred", document_id=document_id, reason=errors.classify(exc)[0])


def _process_inline(services: Services, document_id: str, tenant: str) -> str:
    """INLINE_JOBS (no worker): index now; a dependency failure leaves it queued for the reconciler."""
    try:
        process_document(document_id, services)
    except errors.DependencyUnavailable:
        pass
    except errors.JobFailed as exc:
        documents.mark_failed(services.engine, document_id, str(exc))
    row = documents.get(services.engine, document_id, tenant)
    return row.status if row else "failed"


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
async def delete_document(request: Request, tenant: Tenant, document_id: uuid.UUID) -> Response:
    """Row -> `deleting`, object deleted, row deleted, job deleted.

    The object cannot be deleted (storage down): the row goes back to its status and the answer is
    503 "kept": the document is intact. A failure after the object is gone answers 503 too, and
    the deletion completes by itself (the reconciler) or by repeating the DELETE.
    """
    services = _services(request)
    doc = str(document_id)
    row = await run_in_threadpool(documents.begin_delete, services.engine, doc, tenant)
    if row is None:
        raise HTTPException(404, "document not found")
    try:
        await services.storage_gate.run(services.storage.delete, row.storage_key)
    except DEPENDENCY_DOWN as exc:
        log.warning("delete_refused", document_id=doc, reason=errors.classify(exc)[0])
        if row.status == "deleting":  # an earlier DELETE got further than this one: finish, never undo
            raise HTTPException(503, UNFINISHED) from None
        try:
            await run_in_threadpool(documents.restore, services.engine, doc, row.status)
        except DEPENDENCY_DOWN:
            raise HTTPException(503, UNFINISHED) from None
        raise HTTPException(503, "object storage unavailable; the document was kept, retry later") from None
    try:
        await run_in_threadpool(documents.finish_delete, services.engine, doc)
    except DEPENDENCY_DOWN:
        raise HTTPException(503, UNFINISHED) from None
    try:
        await run_in_threadpool(_delete_job, services, doc)
    except DEPENDENCY_DOWN as exc:
        # The job finds no row and does nothing; RQ expires it.
        log.warning("job_delete_deferred", document_id=doc, reason=errors.classify(exc)[0])
    return Response(status_code=204)


UNFINISHED = "deletion started but not finished; it completes automatically"


def _delete_job(services: Services, document_id: str) -> None:
    try:
        Job.fetch(job_id_for(document_id), connection=services.redis).delete()
    except NoSuchJobError:
        pass


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
