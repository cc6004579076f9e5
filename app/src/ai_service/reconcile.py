"""The reconciler: brings every document to a final state after crashes and outages.

The database row is the record of what the API promised. Whatever a crash, an outage or a
lost Redis left behind, one pass of `reconcile` moves it forward:

- `queued`/`processing` untouched for RECONCILE_GRACE_SECONDS whose job is gone, finished
  without indexing, or failed on a dependency: enqueued again (with a fresh retry budget);
  failed for good (job.meta says so, but the failure callback could not write): `failed`.
- `pending` (an upload that never answered 202) older than PENDING_GRACE_SECONDS: object
  deleted, then the row.
- `deleting` (a DELETE cut short): object deleted, then the row.
- with `sweep`: objects under documents/ older than PENDING_GRACE_SECONDS without a row.

Workers run it every RECONCILE_INTERVAL_SECONDS (one worker at a time, under a Redis lock);
the hourly cleanup job runs it with the sweep; `ai-service reconcile [--sweep]` runs it by hand.
Each step catches its own failures, so a dependency that is still down only skips what needs it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from . import documents, errors
from .logs import get_logger
from .services import Services, job_id_for
from .storage import DOCUMENTS_PREFIX

log = get_logger("ai_service.reconcile")
BATCH = 500


def reconcile(services: Services, *, sweep: bool = False) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for step in (_finish_deletions, _discard_unfinished_uploads, _resume_documents):
        try:
            step(services, counts)
        except Exception as exc:  # noqa: BLE001 - a dependency still down: the next pass retries this step
            counts["skipped_steps"] += 1
            log.warning("reconcile_step_skipped", step=step.__name__.strip("_"), reason=errors.classify(exc)[0])
    if sweep:
        try:
            _sweep_orphans(services, counts)
        except Exception as exc:  # noqa: BLE001 - same as above
            counts["skipped_steps"] += 1
            log.warning("reconcile_step_skipped", step="sweep_orphans", reason=errors.classify(exc)[0])
    result = {
        key: counts.get(key, 0) for key in ("requeued", "failed", "discarded", "deleted", "orphans", "skipped_steps")
    }
    log.info("reconcile_done", **result)
    return result


def _finish_deletions(services: Services, counts: Counter[str]) -> None:
    for row in documents.stale(services.engine, ("deleting",), services.settings.reconcile_grace_seconds):
        services.storage.delete(row.storage_key)
        documents.finish_delete(services.engine, row.id)
        _drop_job(services, row.id)
        counts["deleted"] += 1


def _discard_unfinished_uploads(services: Services, counts: Counter[str]) -> None:
    for row in documents.stale(services.engine, ("pending",), services.settings.pending_grace_seconds):
        services.storage.delete(row.storage_key)  # object first: a row never outlives its object unseen
        if documents.discard_pending(services.engine, row.id):
            counts["discarded"] += 1


def _resume_documents(services: Services, counts: Counter[str]) -> None:
    stuck = documents.stale(services.engine, ("queued", "processing"), services.settings.reconcile_grace_seconds)
    for row in stuck:
        job = _job(services, row.id)
        status = job.get_status(refresh=False) if job is not None else None
        if job is not None and _in_flight(services, job, status):
            continue
        if status == JobStatus.FAILED and job is not None and job.meta.get("permanent"):
            documents.mark_failed(services.engine, row.id, str(job.meta.get("failure", "processing failed")))
            counts["failed"] += 1
            continue
        # No job (Redis lost it, or the upload could not enqueue), failed on a dependency, or
        # finished without indexing (e.g. a DELETE that was undone): run it again.
        if services.settings.inline_jobs:
            _run_inline(services, row.id, counts)
            continue
        if job is not None:
            job.delete()
        documents.touch(services.engine, row.id)
        services.enqueue_document(row.id)
        counts["requeued"] += 1


def _run_inline(services: Services, document_id: str, counts: Counter[str]) -> None:
    from .jobs import process_document

    documents.touch(services.engine, document_id)
    try:
        process_document(document_id, services)
        counts["requeued"] += 1
    except errors.DependencyUnavailable:
        counts["requeued"] += 1  # still queued: the next pass tries again
    except errors.JobFailed as exc:
        documents.mark_failed(services.engine, document_id, str(exc))
        counts["failed"] += 1


def _sweep_orphans(services: Services, counts: Counter[str]) -> None:
    keys = services.storage.documents_older_than(timedelta(seconds=services.settings.pending_grace_seconds))
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        ids = {key: key.removeprefix(DOCUMENTS_PREFIX) for key in batch}
        valid = [value for value in ids.values() if _is_uuid(value)]
        known = documents.existing_ids(services.engine, valid) if valid else set()
        for key, document_id in ids.items():
            if document_id not in known:
                services.storage.delete(key)
                counts["orphans"] += 1


def _in_flight(services: Services, job: Job, status: JobStatus | None) -> bool:
    """RQ will still run this job. A job marked queued or scheduled must also be where that status says
    (an enqueue cut off by a Redis outage can save the job but not push it); a started job that
    lost its worker is RQ's abandoned-job case."""
    queue = services.queue(job.origin)
    if status == JobStatus.QUEUED:
        return services.redis.lpos(queue.key, job.id) is not None
    if status == JobStatus.SCHEDULED:
        return services.redis.zscore(ScheduledJobRegistry(queue=queue).key, job.id) is not None
    return status in (JobStatus.STARTED, JobStatus.DEFERRED)


def _job(services: Services, document_id: str) -> Job | None:
    try:
        return Job.fetch(job_id_for(document_id), connection=services.redis)
    except NoSuchJobError:
        return None


def _drop_job(services: Services, document_id: str) -> None:
    job = _job(services, document_id)
    if job is not None:
        job.delete()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
