"""Tenant resolution from `Authorization: Bearer <key>` (API_KEYS) and per-tenant rate limits."""

from __future__ import annotations

import hmac
import time

import redis.asyncio as aioredis
from fastapi import HTTPException, Request

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


# Sliding-window counters (the previous window's count weighted by how much of it still overlaps)
# for every key in KEYS with ARGV[i + 1] as its limit, checked and spent together in one round
# trip: either every counter takes the request or none does. Returns 0, or seconds to wait.
_SLIDING_WINDOWS = """
local now = redis.call('TIME')
local window = tonumber(ARGV[1])
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local bucket = math.floor(t / window)
local left = 1 - (t - bucket * window) / window
for i, key in ipairs(KEYS) do
  local current = tonumber(redis.call('GET', key .. ':' .. bucket) or '0')
  local previous = tonumber(redis.call('GET', key .. ':' .. (bucket - 1)) or '0')
  if previous * left + current + 1 > tonumber(ARGV[i + 1]) then
    return math.max(1, math.ceil(left * window))
  end
end
for _, key in ipairs(KEYS) do
  redis.call('INCR', key .. ':' .. bucket)
  redis.call('EXPIRE', key .. ':' .. bucket, 2 * window)
end
return 0
"""


class RateLimiter:
    """Per-client and global requests per minute in Redis (shared by every API process), one script call each."""

    def __init__(self, settings: Settings):
        options: dict = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
        if settings.redis_url.startswith("rediss://") and settings.redis_ca_cert:
            options["ssl_ca_certs"] = settings.redis_ca_cert
        self.redis = aioredis.Redis.from_url(settings.redis_url, **options)
        self.script = self.redis.register_script(_SLIDING_WINDOWS)
        self.limits = (60, settings.rate_limit_per_minute, settings.rate_limit_global_per_minute)
        self.auth_failures_per_minute = settings.auth_failures_per_minute

    @staticmethod
    def _auth_failure_key(address: str, minute: int) -> str:
        return f"ai-service-rl:authfail:{address}:{minute}"

    async def auth_allowed(self, address: str) -> bool:
        """False while `address` has used up its failed-authentication budget (it then gets 429 for any key).

        The same sliding window as the request limits: last minute's failures count for the part of it that
        still overlaps, so failures just before a minute boundary do not start a fresh budget after it."""
        now = time.time()
        minute = int(now // 60)
        try:
            current, previous = await self.redis.mget(
                self._auth_failure_key(address, minute), self._auth_failure_key(address, minute - 1)
            )
        except Exception as exc:  # noqa: BLE001 - fail open, like the request limits
            log.warning("rate_limit_unavailable", error=type(exc).__name__)
            return True
        overlap = 1 - (now - minute * 60) / 60
        return int(previous or 0) * overlap + int(current or 0) + 1 <= self.auth_failures_per_minute

    async def auth_failed(self, address: str) -> None:
        key = self._auth_failure_key(address, int(time.time() // 60))
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.incr(key).expire(key, 120).execute()  # read again as the previous minute
        except Exception as exc:  # noqa: BLE001 - fail open
            log.warning("rate_limit_unavailable", error=type(exc).__name__)

    async def check(self, client: str) -> None:
        try:
            retry_after = await self.script(
                keys=[f"ai-service-rl:client:{client}", "ai-service-rl:global"], args=self.limits
            )
        except Exception as exc:  # noqa: BLE001 - fail open: a Redis blip must not take the API down; readiness reports it
            log.warning("rate_limit_unavailable", error=type(exc).__name__)
            return
        if retry_after:
            raise HTTPException(429, "rate limit exceeded", headers={"Retry-After": str(int(retry_after))})


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
