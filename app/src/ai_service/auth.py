"""Tenant resolution from `Authorization: Bearer <key>` (API_KEYS) and per-tenant rate limits."""

from __future__ import annotations

import hmac
import math
import time

from fastapi import HTTPException, Request
from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from .logs import get_logger
from .settings import Settings

DEFAULT_TENANT = "default"
log = get_logger("ai_service.auth")


def tenant_for(settings: Settings, authorization: str | None) -> str:
    keys = settings.tenant_keys
    if not keys:
        return DEFAULT_TENANT
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token:
        for key, tenant in keys.items():
            if hmac.compare_digest(key.encode(), token.strip().encode()):
                return tenant
    raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})


class RateLimiter:
    """Sliding-window limits in Redis (shared by every API process): per client and global."""

    def __init__(self, settings: Settings):
        options = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
        if settings.redis_url.startswith("rediss://") and settings.redis_ca_cert:
            options["ssl_ca_certs"] = settings.redis_ca_cert
        storage = RedisStorage(
            settings.redis_url,
            implementation="redispy",
            key_prefix="ai-service-rl",
            **options,
        )
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.per_client = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.global_ = RateLimitItemPerMinute(settings.rate_limit_global_per_minute)
        self.auth_failures = RateLimitItemPerMinute(settings.auth_failures_per_minute)

    async def auth_allowed(self, address: str) -> bool:
        """False while `address` has used up its failed-authentication budget (it then gets 429 for any key)."""
        try:
            return await self.limiter.test(self.auth_failures, f"authfail:{address}")
        except Exception as exc:  # noqa: BLE001 - fail open, like the request limits
            log.warning("rate_limit_unavailable", error=type(exc).__name__)
            return True

    async def auth_failed(self, address: str) -> None:
        try:
            await self.limiter.hit(self.auth_failures, f"authfail:{address}")
        except Exception as exc:  # noqa: BLE001 - fail open
            log.warning("rate_limit_unavailable", error=type(exc).__name__)

    async def check(self, client: str) -> None:
        try:
            for item, key in (
                (self.per_client, f"client:{client}"),
                (self.global_, "global"),
            ):
                if not await self.limiter.hit(item, key):
                    stats = await self.limiter.get_window_stats(item, key)
                    retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                    raise HTTPException(
                        429,
                        "rate limit exceeded",
                        headers={"Retry-After": str(retry_after)},
                    )
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - fail open: a Redis blip must not take the API down; readiness reports it
            log.warning("rate_limit_unavailable", error=type(exc).__name__)


TOO_MANY_FAILURES = "too many failed authentication attempts; retry later"


async def tenant_and_limit(request: Request) -> str:
    """FastAPI dependency for /api/*: authenticate, then spend one request of the client's budget.

    Failed authentications are counted per client address (the proxy-resolved one): past
    AUTH_FAILURES_PER_MINUTE, that address gets 429 for every key, right or wrong, so guessing
    keys costs a minute per AUTH_FAILURES_PER_MINUTE tries and reveals nothing meanwhile.
    """
    state = request.app.state
    settings = state.services.settings
    address = request.client.host if request.client else "unknown"
    if settings.tenant_keys:
        limiter: RateLimiter = state.rate_limiter
        if not await limiter.auth_allowed(address):
            raise HTTPException(429, TOO_MANY_FAILURES, headers={"Retry-After": "60"})
        try:
            tenant = tenant_for(settings, request.headers.get("authorization"))
        except HTTPException:
            await limiter.auth_failed(address)
            log.warning("authentication_failed", client=address)
            raise
    else:
        tenant = DEFAULT_TENANT
    client = tenant if settings.tenant_keys else address
    await state.rate_limiter.check(client)
    return tenant
