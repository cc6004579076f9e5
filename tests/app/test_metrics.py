"""/metrics with several uvicorn processes: counts from every process appear, contract names present."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.fixtures.services import metric_value

pytestmark = pytest.mark.system


def test_counts_from_both_processes_are_aggregated(service_env, start_api, tmp_path):
    multiproc = tmp_path / "metrics"
    multiproc.mkdir()
    (multiproc / "counter_999999.db").write_bytes(b"stale file from a previous run")
    api = start_api(service_env(WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(multiproc), APP_VERSION="9.9.9"))

    handler = "/api/v1/documents/{document_id}"
    missing = f"{api.url}/api/v1/documents/00000000-0000-0000-0000-000000000000"

    def handled() -> float:
        scrape = httpx.get(f"{api.url}/metrics").text
        return metric_value(scrape, "http_requests_total", handler=handler, method="GET", status="404")

    before = handled()
    requests = 60
    for _ in range(requests):
        # A new connection per request so the kernel spreads them over both processes.
        with httpx.Client() as client:
            client.get(missing)
    pids = {name.rsplit("_", 1)[1] for name in os.listdir(multiproc) if name.startswith("counter_")}
    assert "999999.db" not in pids  # wiped at start
    assert len(pids) == 2, f"expected files from 2 server processes, got {pids}"

    assert handled() - before == requests
    scrape = httpx.get(f"{api.url}/metrics").text
    assert metric_value(scrape, "http_request_duration_seconds_count", handler=handler, method="GET") == requests
    assert metric_value(scrape, "http_requests_total", handler="/metrics") == 0
    assert metric_value(scrape, "ai_service_build_info", version="9.9.9") == 1
    for dependency in ("database", "redis", "storage"):
        assert metric_value(scrape, "ai_service_dependency_up", dependency=dependency) == 1
    assert 'ai_service_queue_depth{queue="document_processing"} 0.0' in scrape
    assert 'ai_service_queue_depth{queue="cleanup_tasks"} 0.0' in scrape


def test_queue_depth_and_exact_status_codes(service_env, start_api):
    api = start_api(service_env())
    httpx.post(f"{api.url}/api/v1/documents", files={"file": ("a.txt", b"waiting for a worker", "text/plain")})
    httpx.get(f"{api.url}/api/v1/documents/00000000-0000-0000-0000-000000000000")
    scrape = httpx.get(f"{api.url}/metrics").text
    assert metric_value(scrape, "ai_service_queue_depth", queue="document_processing") == 1
    assert metric_value(scrape, "http_requests_total", handler="/api/v1/documents", method="POST", status="202") == 1
    assert metric_value(scrape, "http_requests_total", handler="/api/v1/documents/{document_id}", status="404") == 1
