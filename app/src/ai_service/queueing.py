"""Redis connections for the API, the RQ queues and the rate limiter."""

from __future__ import annotations

from redis import Redis

from .settings import QUEUE_CLEANUP, QUEUE_DOCUMENTS, Settings

QUEUES = (QUEUE_DOCUMENTS, QUEUE_CLEANUP)


def redis_options(settings: Settings, *, timeout: float | None = 2.0) -> dict:
    options: dict = {
        "socket_connect_timeout": 2.0,
        "socket_timeout": timeout,
        "health_check_interval": 30,
    }
    if settings.redis_url.startswith("rediss://") and settings.redis_ca_cert:
        options["ssl_ca_certs"] = settings.redis_ca_cert
    return options


def redis_from_settings(settings: Settings, *, timeout: float | None = 2.0) -> Redis:
    return Redis.from_url(settings.redis_url, **redis_options(settings, timeout=timeout))
