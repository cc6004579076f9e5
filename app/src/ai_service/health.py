"""Readiness and /metrics (liveness, /health, is middleware.Liveness)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics
from .db import embedding_column_type
from .queueing import QUEUES
from .services import Services

CHECK_TIMEOUT = 2.0
router = APIRouter(include_in_schema=False)


class SchemaMismatch(Exception):
    pass


def _database(services: Services) -> None:
    """Reachable, migrated, and the vector column as wide as EMBEDDING_DIM (else searches would fail)."""
    with services.engine.connect() as conn:
        conn.execute(sa.text("SET LOCAL statement_timeout = 2000"))
        width = embedding_column_type(conn)
    expected = f"vector({services.settings.embedding_dim})"
    if width != expected:
        found = width or "no chunks table (run ai-service migrate)"
        raise SchemaMismatch(f"embedding column is {found}, EMBEDDING_DIM needs {expected}; run ai-service reindex")


def _redis(services: Services) -> None:
    services.redis.ping()


def _storage(services: Services) -> None:
    services.probe_storage.ping()


CHECKS = {"database": _database, "redis": _redis, "storage": _storage}


async def _run(name: str, services: Services) -> str:
    try:
        await asyncio.wait_for(asyncio.to_thread(CHECKS[name], services), CHECK_TIMEOUT)
        return "ok"
    except TimeoutError:
        return f"timeout after {CHECK_TIMEOUT:g}s"
    except SchemaMismatch as exc:
        return f"error: {exc}"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the reason is shown, not raised
        return f"error: {type(exc).__name__}"


async def run_checks(services: Services) -> dict[str, str]:
    names = list(CHECKS)
    results = await asyncio.gather(*(_run(name, services) for name in names))
    return dict(zip(names, results, strict=True))


def _queue_depths(services: Services, redis_ok: bool) -> dict[str, int]:
    if not redis_ok:
        return {}
    try:
        return {name: services.queue(name).count for name in QUEUES}
    except Exception:  # noqa: BLE001 - Redis went away between the check and now: omit the gauge for this scrape
        return {}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    checks = await run_checks(request.app.state.services)
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )


@router.get("/metrics")
async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    checks = await run_checks(services)
    up = {name: value == "ok" for name, value in checks.items()}
    depths = await asyncio.to_thread(_queue_depths, services, up["redis"])
    collector = metrics.ScrapeTimeCollector(services.settings.app_version, up, depths)
    body = await asyncio.to_thread(metrics.render, collector)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
