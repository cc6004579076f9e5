"""The FastAPI application factory."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as http_metrics
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from . import api, health
from .auth import RateLimiter
from .errors import DEPENDENCY_DOWN
from .logs import get_logger
from .middleware import BodyLimit, ExemptProbes, InternalHosts, Liveness, RequestLog, SecurityHeaders
from .services import Services
from .settings import Settings, get_settings

# Multipart framing around the file: the exact file size is checked again after parsing.
MULTIPART_OVERHEAD = 64 * 1024
log = get_logger("ai_service.app")
DEPENDENCY_ERRORS = DEPENDENCY_DOWN


def _guarded(app, settings: Settings):
    """HTTPS redirect and trusted-host checks, for every path except the health probes; requests to an
    internal host (INTERNAL_HOSTS) skip the redirect: they never leave the private network."""
    guarded = app
    if settings.production:
        guarded = HTTPSRedirectMiddleware(guarded)
        if settings.internal_hosts:
            guarded = InternalHosts(app, guarded, settings.internal_hosts)
    # Outermost: a Host that is not allowed gets 400 before the redirect could echo it in Location.
    if settings.allowed_hosts != ["*"]:
        guarded = TrustedHostMiddleware(guarded, allowed_hosts=[*settings.allowed_hosts, *settings.internal_hosts])
    return guarded


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        services.engine.dispose()

    docs = not settings.production
    app = FastAPI(
        title="ai-service",
        version=settings.app_version,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.services = services
    app.state.rate_limiter = RateLimiter(settings)
    app.include_router(health.router)
    app.include_router(api.router)

    async def dependency_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("dependency_error", error=type(exc).__name__)
        return JSONResponse({"detail": "a backing service is unavailable; retry later"}, status_code=503)

    for error in DEPENDENCY_ERRORS:
        app.add_exception_handler(error, dependency_down)

    Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=["/metrics"],
    ).add(
        http_metrics.requests(),
        http_metrics.latency(should_include_status=False),
    ).instrument(app)

    # add_middleware wraps: the last one added is outermost.
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + MULTIPART_OVERHEAD)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(ExemptProbes, wrap=lambda inner: _guarded(inner, settings))
    app.add_middleware(SecurityHeaders, hsts=settings.production)
    app.add_middleware(RequestLog)
    app.add_middleware(Liveness, version=settings.app_version, hsts=settings.production)
    return app
