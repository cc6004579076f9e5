"""RQ job functions (run in workers; INLINE_JOBS runs process_document in the request)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, clean_registries

from . import documents
from .db import documents as documents_table
from .extract import Rejected, chunk_text, extract_text
from .logs import get_logger
from .queueing import QUEUES
from .services import Services
from .settings import get_settings

log = get_logger("ai_service.jobs")


@lru_cache(maxsize=1)
def worker_services() -> Services:
    return Services(get_settings())


def process_document(document_id: str, services: Services | None = None) -> str:
    """Extract, embed and index one document. Safe to run any number of times."""
    services = services or worker_services()
    claimed = documents.start_processing(services.engine, document_id)
    if claimed is None:
        log.info(
            "document_skipped",
            document_id=document_id,
            reason="deleted or already indexed",
        )
        return "skipped"
    try:
        text = extract_text(services.storage.get(claimed.storage_key), claimed.content_type)
    except Rejected as exc:
        # A broken file will not get better on retry: fail the document, finish the job.
        documents.mark_failed(services.engine, document_id, exc.detail)
        log.warning("document_failed", document_id=document_id, reason=exc.detail)
        return "failed"
    texts = chunk_text(text)
    vectors = services.embedder.embed(texts) if texts else []
    stored = documents.store_chunks(services.engine, document_id, claimed.tenant, texts, vectors)
    log.info(
        "document_indexed" if stored else "document_skipped",
        document_id=document_id,
        chunks=len(texts),
    )
    return "indexed" if stored else "skipped"


def mark_failed_when_exhausted(job: Job, connection, type_, value, traceback) -> None:
    """RQ failure callback: only the last attempt marks the document failed (earlier ones are retried)."""
    if job.retries_left:
        return
    document_id = job.args[0]
    documents.mark_failed(worker_services().engine, document_id, f"{type_.__name__}: {value}"[:500])


def cleanup(services: Services | None = None) -> dict[str, int]:
    """Periodic housekeeping (queue cleanup_tasks): expire tmp/ objects, old failed jobs, lost documents."""
    services = services or worker_services()
    ttl = timedelta(seconds=services.settings.cleanup_ttl_seconds)
    cutoff = datetime.now(UTC) - ttl
    removed_objects = services.storage.expire_tmp(ttl)

    removed_jobs = 0
    for name in QUEUES:
        queue = services.queue(name)
        clean_registries(queue)
        registry = FailedJobRegistry(queue=queue)
        for job_id in registry.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=services.redis)
            except NoSuchJobError:
                registry.remove(job_id)
                continue
            ended = job.ended_at.replace(tzinfo=UTC) if job.ended_at and job.ended_at.tzinfo is None else job.ended_at
            if ended is None or ended < cutoff:
                registry.remove(job, delete_job=True)
                removed_jobs += 1

    # Documents left queued/processing past the TTL whose job no longer exists can never finish.
    lost = 0
    with services.engine.connect() as conn:
        stale = (
            conn.execute(
                sa.select(documents_table.c.id).where(
                    documents_table.c.status.in_(("queued", "processing")),
                    documents_table.c.updated_at < cutoff,
                )
            )
            .scalars()
            .all()
        )
    for document_id in stale:
        if not services.redis.exists(Job.key_for(f"document-{document_id}")):
            documents.mark_failed(
                services.engine,
                document_id,
                "job lost; re-upload or run ai-service reindex",
            )
            lost += 1
    result = {
        "tmp_objects": removed_objects,
        "failed_jobs": removed_jobs,
        "lost_documents": lost,
    }
    log.info("cleanup_done", **result)
    return result
