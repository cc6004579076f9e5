"""Production-mode guards: failed authentications are rate limited per client address, the HTTPS
redirect never echoes a Host that is not allowed, and every process of a multi-process API logs
JSON lines (LOG_LEVEL in uvicorn's lower case)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

pytestmark = pytest.mark.system
KEY = "key-guards-51c0ffee"


@pytest.fixture(scope="module")
def api(redis_server, postgres, s3_server, tmp_path_factory):
    from tests.fixtures.services import ServiceRunner, build_service_env

    env = build_service_env(
        redis_server,
        postgres,
        s3_server,
        APP_ENV="production",
        SECRET_KEY="guards-secret-0123456789abcdef",
        API_KEYS=f"acme:{KEY}",
        ALLOWED_HOSTS="api.example.com",
        INTERNAL_HOSTS="ai-service-api.ai-service.svc.cluster.local",
        AUTH_FAILURES_PER_MINUTE="3",
        WEB_CONCURRENCY="2",
        LOG_LEVEL="info",
    )
    runner = ServiceRunner(tmp_path_factory.mktemp("guards"))
    yield runner.start("api", env)
    runner.close()


def _get(api, key: str, address: str) -> httpx.Response:
    return httpx.get(
        f"{api.url}/api/v1/search",
        params={"q": "anything"},
        headers={
            "Host": "api.example.com",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": address,
            "Authorization": f"Bearer {key}",
        },
    )


def test_failed_authentication_is_rate_limited_per_address(api):
    for _ in range(3):
        assert _get(api, "wrong-key", "203.0.113.7").status_code == 401
    limited = _get(api, "wrong-key", "203.0.113.7")
    assert limited.status_code == 429
    assert limited.headers["retry-after"]
    # Past the budget even the right key is refused from that address (a guess reveals nothing) ...
    assert _get(api, KEY, "203.0.113.7").status_code == 429
    # ... while other clients are unaffected.
    assert _get(api, KEY, "203.0.113.8").status_code == 200


def test_https_redirect_never_echoes_a_host_that_is_not_allowed(api):
    evil = httpx.get(f"{api.url}/api/v1/search?q=x", headers={"Host": "evil.example.net"})
    assert evil.status_code == 400
    assert "evil" not in evil.headers.get("location", "")
    good = httpx.get(f"{api.url}/api/v1/search?q=x", headers={"Host": "api.example.com"})
    assert good.status_code in (307, 308)
    assert good.headers["location"].startswith("https://api.example.com/api/v1/search")


def test_an_internal_host_is_served_over_plain_http(api):
    """An accessory's webhook to the API's private name: no redirect, the same authentication."""
    internal = {"Host": "ai-service-api.ai-service.svc.cluster.local:8000"}
    assert httpx.get(f"{api.url}/api/v1/search?q=x", headers=internal).status_code == 401
    authed = httpx.get(f"{api.url}/api/v1/search?q=x", headers={**internal, "Authorization": f"Bearer {KEY}"})
    assert authed.status_code == 200


def test_every_api_process_logs_json(api):
    for i in range(20):
        _get(api, KEY, f"198.51.100.{i}")
    api.stop()
    lines = [line for line in api.log_lines() if line.strip()]
    records = [json.loads(line) for line in lines]  # fails on any non-JSON line
    started = {
        re.search(r"\[(\d+)\]", r["event"]).group(1) for r in records if r["event"].startswith("Started server process")
    }
    assert len(started) >= 2, started  # both uvicorn worker processes wrote JSON
    assert any(r["event"] == "request" and r["status"] == 200 for r in records)


def test_failures_just_before_a_minute_boundary_still_count_after_it(redis_server, monkeypatch):
    """The failure budget is a sliding window: three failures at 11:59:59.5 leave none for 12:00:00.5."""
    import asyncio

    from ai_service import auth
    from ai_service.settings import Settings

    limiter = auth.RateLimiter(Settings(redis_url=redis_server.url(redis_server.next_db()), auth_failures_per_minute=3))
    boundary = 60 * 29_000_000.0

    async def scenario() -> tuple[bool, bool, bool]:
        monkeypatch.setattr(auth.time, "time", lambda: boundary - 0.5)
        for _ in range(3):
            await limiter.auth_failed("203.0.113.9")
        monkeypatch.setattr(auth.time, "time", lambda: boundary + 0.5)
        just_after = await limiter.auth_allowed("203.0.113.9")
        monkeypatch.setattr(auth.time, "time", lambda: boundary + 59.5)  # the old minute has all but passed
        a_minute_later = await limiter.auth_allowed("203.0.113.9")
        other = await limiter.auth_allowed("203.0.113.10")
        await limiter.redis.aclose()
        return just_after, a_minute_later, other

    assert asyncio.run(scenario()) == (False, True, True)
