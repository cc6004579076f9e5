"""Redis connections for the API, the RQ queues and the rate limiter."""

from __future__ import annotations

from redis import Redis

from .settings import QUEUE_CLEANUP, QUEUE_DOCUMENTS, Settings
from .timeouts import Timeouts

QUEUES = (QUEUE_DOCUMENTS, QUEUE_CLEANUP)


_DEFAULT = object()


def redis_options(settings: Settings, *, timeout: float | None | object = _DEFAULT) -> dict:
    """`timeout=None` only for a connection that blocks on purpose (the worker's BLPOP)."""
    timeouts = Timeouts.from_settings(settings)
    options: dict = {
        "socket_connect_timeout": timeouts.connect,
        "socket_timeout": timeouts.request if timeout is _DEFAULT else timeout,
        "health_check_interval": 30,
    }
    if settings.redis_url.startswith("rediss://") and settings.redis_ca_cert:
        options["ssl_ca_certs"] = settings.redis_ca_cert
    return options


def redis_from_settings(settings: Settings, *, timeout: float | None | object = _DEFAULT) -> Redis:
    return Redis.from_url(settings.redis_url, **redis_options(settings, timeout=timeout))
