"""The RQ worker: runs jobs in-process (SimpleWorker) with a heartbeat thread, and serves /metrics.

Why SimpleWorker and not RQ's fork-per-job Worker: counters incremented in a forked work
horse die with it unless every horse writes its own prometheus multiprocess file (one set
of files per job, read on every scrape). Running jobs in the worker process keeps metrics,
the database pool and the HTTP client alive across jobs. Isolation comes from the
container: a worker that crashes or is SIGKILLed mid-job is restarted, and the job, left
in RQ's StartedJobRegistry, is found abandoned once its heartbeat lapses and retried
by RQ's registry cleanup.

Next to RQ's loop, a maintenance thread (every second) moves due retries from RQ's
ScheduledJobRegistry back to their queue, and runs the reconciler every
RECONCILE_INTERVAL_SECONDS. RQ's own scheduler would do the first, but it runs in a forked
process under a lock that a SIGKILLed worker keeps for a minute; the registry's ZREM is the
claim here, so any live worker moves a due job exactly once.

A Redis outage never ends the process: RQ's dequeue loop backs off on connection errors, and
when RQ's loop gives up anyway (a timeout, an error outside dequeue), run_worker starts it again
with backoff until Redis answers.
"""

from __future__ import annotations

import signal
import threading
import time

import redis.exceptions
from prometheus_client import CollectorRegistry, start_http_server
from rq import SimpleWorker
from rq.exceptions import AbandonedJobError, NoSuchJobError, StopRequested
from rq.job import Job
from rq.queue import Queue
from rq.registry import ScheduledJobRegistry
from rq.utils import current_timestamp

from . import errors, metrics
from .logs import get_logger
from .queueing import redis_from_settings
from .settings import Settings

# A job whose heartbeat is older than this is abandoned (its worker died) and gets retried.
JOB_MONITORING_INTERVAL = 5
HEARTBEAT_GRACE = 10
MAINTENANCE_INTERVAL = 10
WORKER_TTL = 30
PROMOTE_INTERVAL = 1.0
RECONCILE_LOCK = "ai-service:reconcile-lock"
RESTART_BACKOFF_MAX = 5.0
log = get_logger("ai_service.worker")


class MeteredWorker(SimpleWorker):
    # RQ's dequeue loop backs off on Redis connection errors up to this (RQ's default is 60 s).
    max_connection_wait_time = RESTART_BACKOFF_MAX

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


def promote_due_jobs(connection, queue_names: list[str]) -> int:
    """Move retries whose delay has passed from ScheduledJobRegistry to their queue; returns how many."""
    moved = 0
    for name in queue_names:
        queue = Queue(name, connection=connection)
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_jobs_to_schedule(current_timestamp()):
            if not connection.zrem(registry.key, job_id):
                continue  # another worker claimed it
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            queue._enqueue_job(job, at_front=job.should_enqueue_at_front())
            moved += 1
    return moved


class Maintenance(threading.Thread):
    """Due retries every second; the reconciler every RECONCILE_INTERVAL_SECONDS (one worker at a time)."""

    def __init__(self, settings: Settings, queue_names: list[str]):
        super().__init__(name="ai-service-maintenance", daemon=True)
        self.settings = settings
        self.queue_names = queue_names
        self.connection = redis_from_settings(settings)
        self.stop = threading.Event()
        self.next_reconcile = time.monotonic() + min(5.0, settings.reconcile_interval_seconds)

    def run(self) -> None:
        while not self.stop.wait(PROMOTE_INTERVAL):
            try:
                promote_due_jobs(self.connection, self.queue_names)
                if time.monotonic() >= self.next_reconcile:
                    self.next_reconcile = time.monotonic() + self.settings.reconcile_interval_seconds
                    self._reconcile()
            except Exception as exc:  # noqa: BLE001 - a dependency is down: try again next tick
                log.warning("maintenance_skipped", reason=errors.classify(exc)[0])

    def _reconcile(self) -> None:
        interval = self.settings.reconcile_interval_seconds
        # Slightly shorter than the interval, so the next holder is never locked out by clock skew.
        if not self.connection.set(RECONCILE_LOCK, "1", nx=True, px=max(500, int(interval * 900))):
            return
        from .jobs import reconcile, worker_services

        reconcile(worker_services())


def _make_worker(connection, queue_names: list[str]) -> MeteredWorker:
    return MeteredWorker(
        [Queue(name, connection=connection) for name in queue_names],
        connection=connection,
        exception_handlers=[count_abandoned],
        job_monitoring_interval=JOB_MONITORING_INTERVAL,
        maintenance_interval=MAINTENANCE_INTERVAL,
        worker_ttl=WORKER_TTL,
    )


def run_worker(settings: Settings, queue_names: list[str], *, burst: bool = False) -> None:
    serve_metrics(settings)
    maintenance = Maintenance(settings, queue_names)
    maintenance.start()
    log.info("worker_started", queues=queue_names, metrics_port=settings.metrics_port)
    backoff = 1.0
    try:
        while True:
            # No socket timeout of ours: the worker blocks in BLPOP; RQ sets one slightly above its own.
            worker = None
            try:
                # Constructing the worker talks to Redis already (CLIENT SETNAME).
                worker = _make_worker(redis_from_settings(settings, timeout=None), queue_names)
                worker.work(burst=burst, logging_level=settings.log_level)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                log.warning("worker_redis_lost", error=type(exc).__name__)
            if worker is not None and (burst or _stopping(worker)):
                return
            # RQ's loop ended without a stop request: Redis went away. Start again once it answers.
            log.warning("worker_restarting", wait_seconds=backoff)
            try:
                _wait_for_redis(settings, worker, backoff)
            except StopRequested:
                return
            backoff = min(RESTART_BACKOFF_MAX, backoff * 2)
    finally:
        maintenance.stop.set()


def _wait_for_redis(settings: Settings, worker: MeteredWorker | None, first_wait: float) -> None:
    """Sleep `first_wait`, then until Redis answers a PING; SIGTERM ends the wait."""
    if worker is None:
        _stop_on_signal()
    time.sleep(first_wait)
    probe = redis_from_settings(settings)
    while worker is None or not _stopping(worker):
        try:
            probe.ping()
            return
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            time.sleep(RESTART_BACKOFF_MAX / 5)
    raise StopRequested()


def _stopping(worker: MeteredWorker) -> bool:
    """SIGTERM/SIGINT reached RQ's handler (it records the date whether or not a job was running)."""
    return worker._stop_requested or worker._shutdown_requested_date is not None


def _raise_stop(*_: object) -> None:
    raise StopRequested()


def _stop_on_signal() -> None:
    """Before RQ installed its handlers (no worker yet): SIGTERM/SIGINT end the wait."""
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
