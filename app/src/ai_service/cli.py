"""`ai-service` console script: api, worker, migrate, index-tenants, reindex, enqueue-cleanup, reconcile, scheduler."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .settings import (
    QUEUE_CLEANUP,
    QUEUE_DOCUMENTS,
    ConfigError,
    Settings,
    check_startup,
    get_settings,
)


def _prepare_multiprocess_metrics(settings: Settings) -> None:
    """Several uvicorn processes share counters through files; stale files from a previous run would double-count."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        if settings.web_concurrency == 1:
            return
        directory = tempfile.mkdtemp(prefix="ai-service-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    path = Path(directory)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def server_options(settings: Settings) -> dict:
    """uvicorn settings for `ai-service api` (bench/app_throughput.py runs its baseline app with the same)."""
    return {
        "host": settings.bind_host,
        "port": settings.port,
        "workers": settings.web_concurrency,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "log_config": None,
        "access_log": False,
        "server_header": False,
    }


def cmd_api(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    check_startup(settings, needs_api_keys=True)
    _prepare_multiprocess_metrics(settings)
    uvicorn.run("ai_service.asgi:app", **server_options(settings))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from .worker import run_worker

    check_startup(settings, needs_api_keys=False)
    queues = [name.strip() for name in args.queues.split(",") if name.strip()]
    if not queues:
        raise ConfigError("--queues needs at least one queue name")
    run_worker(settings, queues, burst=args.burst)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    import sqlalchemy.exc

    from .migrate import migrate

    try:
        print(f"database at revision {migrate(settings)}")
    except sqlalchemy.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ConfigError(
            f"migration failed: {reason} (migrate needs an owner/admin role: set MIGRATE_DATABASE_URL)"
        ) from None
    _index_tenants(settings, required=False)


def _index_tenants(settings: Settings, *, required: bool) -> None:
    import sqlalchemy.exc

    from .tenant_indexes import ensure_tenant_indexes

    try:
        changes = ensure_tenant_indexes(settings)
    except sqlalchemy.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        if required:
            raise ConfigError(f"index-tenants failed: {reason} (needs the table owner: MIGRATE_DATABASE_URL)") from None
        # Search stays correct without them (exact scans); a release must not wait on an index build.
        print(f"per-tenant indexes not updated: {reason}", file=sys.stderr)
        return
    if required or changes.created or changes.dropped:
        print(f"per-tenant indexes: {len(changes.created)} created, {len(changes.dropped)} dropped")


def cmd_index_tenants(settings: Settings, args: argparse.Namespace) -> None:
    _index_tenants(settings, required=True)


def cmd_reindex(settings: Settings, args: argparse.Namespace) -> None:
    from .reindex import reindex

    print(f"re-embedding {reindex(settings, inline=args.inline)} documents")


def cmd_enqueue_cleanup(settings: Settings, args: argparse.Namespace) -> None:
    if settings.inline_jobs:  # Lambda: no worker reads the queue, so clean up here
        from .jobs import cleanup
        from .services import Services

        print(f"cleaned up inline: {cleanup(Services(settings))}")
        return
    from rq import Queue

    from .queueing import redis_from_settings

    # By dotted path: the scheduler's child then loads only Redis and RQ (~47 MiB RSS, not ~95).
    queue = Queue(QUEUE_CLEANUP, connection=redis_from_settings(settings))
    job = queue.enqueue("ai_service.jobs.cleanup", job_id="cleanup-periodic", result_ttl=3600)
    print(f"enqueued {job.id} on {QUEUE_CLEANUP}")


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> None:
    from .reconcile import reconcile
    from .services import Services

    print(f"reconciled: {reconcile(Services(settings, for_jobs=True), sweep=args.sweep)}")


def cmd_scheduler(settings: Settings, args: argparse.Namespace) -> None:
    from .scheduler import run_scheduler

    run_scheduler(os.environ.get("SCHEDULES", "[]"), grace_seconds=args.grace)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ai-service", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser("api", help="serve the HTTP API on $PORT").set_defaults(func=cmd_api)
    worker = sub.add_parser("worker", help="run an RQ worker")
    worker.add_argument(
        "--queues",
        default=f"{QUEUE_DOCUMENTS},{QUEUE_CLEANUP}",
        help="comma separated queue names",
    )
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations (idempotent)").set_defaults(func=cmd_migrate)
    sub.add_parser(
        "index-tenants", help="build a partial HNSW index for every tenant past the exact-scan budget"
    ).set_defaults(func=cmd_index_tenants)
    reindex = sub.add_parser("reindex", help="re-embed every document (after changing EMBEDDING_*)")
    reindex.add_argument("--inline", action="store_true", help="embed here instead of enqueueing jobs")
    reindex.set_defaults(func=cmd_reindex)
    sub.add_parser("enqueue-cleanup", help="enqueue the periodic cleanup job").set_defaults(func=cmd_enqueue_cleanup)
    reconcile = sub.add_parser(
        "reconcile", help="re-enqueue documents whose job is gone, finish interrupted uploads and deletions"
    )
    reconcile.add_argument("--sweep", action="store_true", help="also delete objects under documents/ without a row")
    reconcile.set_defaults(func=cmd_reconcile)
    scheduler = sub.add_parser("scheduler", help="run $SCHEDULES (JSON [{name, cron, command}]) on a docker host")
    scheduler.add_argument("--grace", type=float, default=300.0, help="seconds running jobs get after SIGTERM")
    scheduler.set_defaults(func=cmd_scheduler)
    return root


# Commands a platform scheduler may invoke in-process (the Lambda handler's scheduled events).
SCHEDULABLE = frozenset({"enqueue-cleanup", "reindex", "reconcile"})


def run_command(argv: list[str], settings: Settings) -> None:
    """One `ai-service` command in this process; only SCHEDULABLE ones."""
    if not argv or argv[0] not in SCHEDULABLE:
        raise ConfigError(f"scheduled command {argv!r} is not one of {sorted(SCHEDULABLE)}")
    args = parser().parse_args(argv)
    args.func(settings, args)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command == "worker":
        # Workers keep metrics in-process; a multiprocess dir meant for the API must not capture them.
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        settings = get_settings()
        from .logs import configure_logging

        configure_logging(settings.log_level)
        args.func(settings, args)
    except ConfigError as exc:
        print(f"ai-service {args.command}: {exc}", file=sys.stderr)
        sys.exit(2)
