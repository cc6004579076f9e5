"""The long-lived clients one process shares (database engine, Redis, object storage)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property

from redis import Redis
from rq import Queue, Retry
from sqlalchemy.engine import Engine

from .db import get_engine
from .embeddings import Embedder, make_embedder
from .queueing import redis_from_settings
from .settings import QUEUE_DOCUMENTS, Settings
from .storage import Storage, StorageGate
from .timeouts import Timeouts


def job_id_for(document_id: str) -> str:
    """Deterministic: enqueueing the same document twice cannot run it twice at once."""
    return f"document-{document_id}"


def retry_intervals(settings: Settings) -> list[int]:
    """Exponential backoff with jitter: retry n waits base * 2**n (capped) * uniform(0.5, 1.5) seconds."""
    return [
        max(
            1,
            round(
                min(settings.job_retry_max_seconds, settings.job_retry_base_seconds * 2**n) * random.uniform(0.5, 1.5)
            ),
        )  # noqa: S311 - jitter, not security
        for n in range(settings.job_retries)
    ]


@dataclass
class Services:
    settings: Settings
    # Workers (and INLINE_JOBS) run bulk statements: their statement timeout is the job timeout.
    for_jobs: bool = False
    _queues: dict[str, Queue] = field(default_factory=dict)

    @cached_property
    def engine(self) -> Engine:
        timeouts = Timeouts.from_settings(self.settings)
        statement = timeouts.statement_for_jobs if self.for_jobs or self.settings.inline_jobs else timeouts.request
        return get_engine(
            self.settings.database_url,
            connect_timeout=timeouts.connect_whole_seconds,
            statement_timeout_ms=int(statement * 1000),
        )

    @cached_property
    def redis(self) -> Redis:
        return redis_from_settings(self.settings)

    @cached_property
    def storage(self) -> Storage:
        return Storage(self.settings)

    @cached_property
    def storage_gate(self) -> StorageGate:
        return StorageGate(
            self.settings.upload_storage_concurrency, reset_timeout=max(1.0, self.settings.dependency_timeout_seconds)
        )

    @cached_property
    def probe_storage(self) -> Storage:
        """Same bucket, one attempt with 2 s timeouts: for readiness checks."""
        return Storage(self.settings, probe=True)

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings)

    def queue(self, name: str) -> Queue:
        if name not in self._queues:
            self._queues[name] = Queue(name, connection=self.redis)
        return self._queues[name]

    def enqueue_document(self, document_id: str) -> None:
        from .jobs import on_job_failure, process_document

        retries = self.settings.job_retries
        self.queue(QUEUE_DOCUMENTS).enqueue(
            process_document,
            document_id,
            job_id=job_id_for(document_id),
            job_timeout=self.settings.job_timeout_seconds,
            # Delayed retries land in RQ's ScheduledJobRegistry; worker.Maintenance moves them back
            # when due. After the last one, a dependency failure is the reconciler's to re-enqueue.
            retry=Retry(max=retries, interval=retry_intervals(self.settings)) if retries else None,
            on_failure=on_job_failure,
            failure_ttl=7 * 24 * 3600,
            result_ttl=3600,
        )
