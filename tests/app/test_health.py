"""Liveness stays up while a dependency is down; readiness names the failing dependency."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.services import wait_until

pytestmark = pytest.mark.system


def test_readiness_follows_redis_outage_liveness_does_not(service_env, start_api, redis_server, s3_server):
    env = service_env(APP_VERSION="1.2.3")
    api = start_api(env)

    assert httpx.get(f"{api.url}/health").json() == {"status": "ok", "version": "1.2.3"}
    ready = httpx.get(f"{api.url}/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "storage": "ok"}}

    redis_server.stop()
    try:
        down = httpx.get(f"{api.url}/health/ready", timeout=10)
        assert down.status_code == 503
        checks = down.json()["checks"]
        assert checks["redis"] != "ok"
        assert checks["database"] == checks["storage"] == "ok"
        assert httpx.get(f"{api.url}/health").status_code == 200
        scrape = httpx.get(f"{api.url}/metrics", timeout=10).text
        assert 'ai_service_dependency_up{dependency="redis"} 0.0' in scrape
        # An upload does not need Redis: row and object are stored, the reconciler enqueues its job later.
        upload = httpx.post(f"{api.url}/api/v1/documents", files={"file": ("a.txt", b"hello", "text/plain")})
        assert upload.status_code == 202
        assert s3_server.keys(env["S3_BUCKET"]) == [f"documents/{upload.json()['id']}"]
    finally:
        redis_server.start()

    assert httpx.get(f"{api.url}/health/ready").status_code == 200
    assert 'ai_service_dependency_up{dependency="redis"} 1.0' in httpx.get(f"{api.url}/metrics").text


def _unread_bytes(port: int) -> int | None:
    """What the server listening on `port` has not read yet from its one open connection (/proc/net/tcp
    rx_queue); None while there is no such connection."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED, server side
            return int(fields[4].split(":")[1], 16)
    return None


def test_sigterm_drains_the_request_in_flight(service_env, start_api):
    api = start_api(service_env(INLINE_JOBS="true"))
    first_chunk_sent = threading.Event()
    stopping = threading.Event()

    def slow_body():
        yield b'--bb\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n\r\n'
        first_chunk_sent.set()
        stopping.wait(timeout=60)  # the rest of the body is still to come when the server is told to stop
        for _ in range(10):
            time.sleep(0.1)
            yield b"words arriving slowly "
        yield b"\r\n--bb--\r\n"

    result = {}

    def upload():
        result["response"] = httpx.post(
            f"{api.url}/api/v1/documents",
            content=slow_body(),
            headers={"Content-Type": "multipart/form-data; boundary=bb"},
            timeout=30,
        )

    client = threading.Thread(target=upload)
    client.start()
    assert first_chunk_sent.wait(timeout=30)
    # The server has read the headers and the first chunk (so the request is in flight), however busy the machine.
    wait_until(lambda: _unread_bytes(api.port) == 0, timeout=30, what="the server to read the request")
    api.process.send_signal(signal.SIGTERM)
    stopping.set()
    client.join(timeout=30)
    assert result["response"].status_code == 202
    assert result["response"].json()["status"] == "indexed"
    # uvicorn re-raises the signal after its graceful shutdown: exit by SIGTERM, not a crash.
    assert api.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert any("Finished server process" in line for line in api.log_lines())
