"""The long-lived clients one process shares (database engine, Redis, object storage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from redis import Redis
from rq import Queue, Retry
from sqlalchemy.engine import Engine

from .db import get_engine
from .embeddings import Embedder, make_embedder
from .queueing import redis_from_settings
from .settings import QUEUE_DOCUMENTS, Settings
from .storage import Storage


@dataclass
class Services:
    settings: Settings
    _queues: dict[str, Queue] = field(default_factory=dict)

    @cached_property
    def engine(self) -> Engine:
        return get_engine(self.settings.database_url)

    @cached_property
    def redis(self) -> Redis:
        return redis_from_settings(self.settings)

    @cached_property
    def storage(self) -> Storage:
        return Storage(self.settings)

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
        from .jobs import mark_failed_when_exhausted, process_document

        # Deterministic job id: enqueueing the same document twice cannot run it twice at once.
        self.queue(QUEUE_DOCUMENTS).enqueue(
            process_document,
            document_id,
            job_id=f"document-{document_id}",
            job_timeout=self.settings.job_timeout_seconds,
            # Immediate requeue, no scheduler: a delayed retry would wait for RQ's scheduler lock, which a
            # killed worker holds for another minute. Backoff for flaky providers lives in the embedder.
            retry=Retry(max=self.settings.job_retries) if self.settings.job_retries else None,
            on_failure=mark_failed_when_exhausted,
            failure_ttl=7 * 24 * 3600,
            result_ttl=3600,
        )
