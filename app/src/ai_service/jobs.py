"""RQ job functions (run in workers; INLINE_JOBS runs process_document in the request)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from botocore.exceptions import ClientError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, clean_registries

from . import documents, errors
from .extract import Rejected, chunk_text, extract_text
from .logs import get_logger
from .queueing import QUEUES
from .services import Services
from .settings import get_settings
from .storage import missing

log = get_logger("ai_service.jobs")


@lru_cache(maxsize=1)
def worker_services() -> Services:
    return Services(get_settings(), for_jobs=True)


def process_document(document_id: str, services: Services | None = None) -> str:
    """Extract, embed and index one document. Safe to run any number of times.

    Raises DependencyUnavailable (retry later: backoff, then the reconciler) or JobFailed
    (the document is failed with the reason), each with a sanitised message and no chained
    driver exception, so neither RQ's log line nor its failure record carries document text.
    """
    services = services or worker_services()
    try:
        return _process(document_id, services)
    except Exception as exc:
        reason, transient = errors.classify(exc)
        log.warning(
            "document_attempt_failed",
            document_id=document_id,
            reason=reason,
            transient=transient,
            where=errors.location(exc),
        )
        if transient:
            raise errors.DependencyUnavailable(reason) from None
        raise errors.JobFailed(reason) from None


def _process(document_id: str, services: Services) -> str:
    claimed = documents.start_processing(services.engine, document_id)
    if claimed is None:
        log.info(
            "document_skipped",
            document_id=document_id,
            reason="deleted or already indexed",
        )
        return "skipped"
    try:
        data = services.storage.get(claimed.storage_key)
    except ClientError as exc:
        if not missing(exc):
            raise
        return _fail(services, document_id, "the uploaded file is missing from object storage; upload it again")
    try:
        text = extract_text(data, claimed.content_type)
    except Rejected as exc:
        # A broken file will not get better on retry: fail the document, finish the job.
        return _fail(services, document_id, exc.detail)
    texts = chunk_text(text)
    vectors = services.embedder.embed(texts) if texts else []
    stored = documents.store_chunks(services.engine, document_id, claimed.tenant, texts, vectors)
    log.info(
        "document_indexed" if stored else "document_skipped",
        document_id=document_id,
        chunks=len(texts),
    )
    return "indexed" if stored else "skipped"


def _fail(services: Services, document_id: str, reason: str) -> str:
    documents.mark_failed(services.engine, document_id, reason)
    log.warning("document_failed", document_id=document_id, reason=reason)
    return "failed"


def on_job_failure(job: Job, connection, type_, value, traceback) -> None:
    """RQ failure callback, after every failed attempt.

    Records why in job.meta (the reconciler reads it). Only the last attempt of a permanent
    failure marks the document failed; a dependency failure leaves it queued for the reconciler,
    which re-enqueues it once the dependency answers again, however long that takes.
    """
    reason, transient = errors.classify(value) if isinstance(value, BaseException) else (type_.__name__, True)
    try:
        job.meta.update(failure=reason, permanent=not transient)
        job.save_meta()
    except Exception as exc:  # noqa: BLE001 - Redis blip: the reconciler treats an unexplained failure as transient
        log.warning("job_meta_unsaved", job_id=job.id, error=type(exc).__name__)
    if job.retries_left or transient:
        return
    try:
        documents.mark_failed(worker_services().engine, job.args[0], reason)
    except Exception as exc:  # noqa: BLE001 - database down: the reconciler marks it from job.meta later
        log.warning("document_fail_deferred", document_id=job.args[0], error=errors.classify(exc)[0])


# Jobs enqueued before this callback existed name the old one.
mark_failed_when_exhausted = on_job_failure


def reconcile(services: Services, *, sweep: bool = False) -> dict[str, int]:
    from .reconcile import reconcile as run

    return run(services, sweep=sweep)


def cleanup(services: Services | None = None) -> dict[str, int]:
    """Periodic housekeeping (queue cleanup_tasks): expire tmp/ objects and old failed jobs, reconcile."""
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

    # Unfinished uploads, deletions and documents whose job is gone; objects without a row.
    reconciled = reconcile(services, sweep=True)
    result = {
        "tmp_objects": removed_objects,
        "failed_jobs": removed_jobs,
        **reconciled,
    }
    log.info("cleanup_done", **result)
    return result
