"""The RQ worker: runs jobs in-process (SimpleWorker) with a heartbeat thread, and serves /metrics.

Why SimpleWorker and not RQ's fork-per-job Worker: counters incremented in a forked work
horse die with it unless every horse writes its own prometheus multiprocess file (one set
of files per job, read on every scrape). Running jobs in the worker process keeps metrics,
the database pool and the HTTP client alive across jobs. Isolation comes from the
container: a worker that crashes or is SIGKILLed mid-job is restarted, and the job, left
in RQ's StartedJobRegistry, is found abandoned once its heartbeat lapses and retried
by RQ's registry cleanup.
"""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry, start_http_server
from rq import SimpleWorker
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.queue import Queue

from . import metrics
from .logs import get_logger
from .queueing import redis_from_settings
from .settings import Settings

# A job whose heartbeat is older than this is abandoned (its worker died) and gets retried.
JOB_MONITORING_INTERVAL = 5
HEARTBEAT_GRACE = 10
MAINTENANCE_INTERVAL = 10
WORKER_TTL = 30
log = get_logger("ai_service.worker")


class MeteredWorker(SimpleWorker):
    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        # The heartbeat thread refreshes this every JOB_MONITORING_INTERVAL while the job runs;
        # the job timeout itself is enforced by RQ's death penalty, not by this TTL.
        return JOB_MONITORING_INTERVAL + HEARTBEAT_GRACE

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job, execution, stop), daemon=True)
        beat.start()
        started = time.perf_counter()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()
            metrics.JOB_DURATION.labels(queue.name).observe(time.perf_counter() - started)
        self.set_state("idle")

    def _heartbeat(self, job: Job, execution, stop: threading.Event) -> None:
        while not stop.wait(JOB_MONITORING_INTERVAL):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried next interval
                log.warning("heartbeat_failed", job_id=job.id, error=type(exc).__name__)

    def handle_job_success(self, job: Job, queue: Queue, started_job_registry, *args, **kwargs):
        super().handle_job_success(job, queue, started_job_registry, *args, **kwargs)
        metrics.JOBS.labels(queue.name, "succeeded").inc()

    def handle_job_failure(self, job: Job, queue: Queue, *args, **kwargs):
        outcome = "retried" if job.should_retry else "failed"
        super().handle_job_failure(job, queue, *args, **kwargs)
        metrics.JOBS.labels(queue.name, outcome).inc()


def count_abandoned(job: Job, exc_type, exc_value, traceback) -> bool:
    """RQ exception handler: registry cleanup found a job whose worker died."""
    if exc_type is AbandonedJobError:
        outcome = "retried" if job.retries_left else "failed"
        metrics.JOBS.labels(job.origin, outcome).inc()
        log.warning("job_abandoned", job_id=job.id, queue=job.origin, outcome=outcome)
    return True


def serve_metrics(settings: Settings) -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.ProcessRegistry())
    registry.register(metrics.ScrapeTimeCollector(settings.app_version, {}, {}))
    start_http_server(settings.metrics_port, registry=registry)


def run_worker(settings: Settings, queue_names: list[str], *, burst: bool = False) -> None:
    serve_metrics(settings)
    # No socket timeout: the worker blocks in BLPOP; RQ sets a timeout slightly above its own.
    connection = redis_from_settings(settings, timeout=None)
    worker = MeteredWorker(
        [Queue(name, connection=connection) for name in queue_names],
        connection=connection,
        exception_handlers=[count_abandoned],
        job_monitoring_interval=JOB_MONITORING_INTERVAL,
        maintenance_interval=MAINTENANCE_INTERVAL,
        worker_ttl=WORKER_TTL,
    )
    log.info("worker_started", queues=queue_names, metrics_port=settings.metrics_port)
    worker.work(burst=burst, logging_level=settings.log_level)
