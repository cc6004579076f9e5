"""A job cut off mid-way (worker SIGKILLed) comes back through RQ's abandoned-job handling and the
document ends indexed exactly once; SIGTERM lets the running job finish."""

from __future__ import annotations

import signal

import httpx
import psycopg
import pytest
from ai_service.extract import chunk_text

from tests.app.embedding_stub import EmbeddingStub
from tests.fixtures.services import metric_value, wait_until

pytestmark = pytest.mark.system
TEXT = " ".join(f"paragraph {i} about glaciers moraines and meltwater channels" for i in range(60))


def _status(api, document_id):
    return httpx.get(f"{api.url}/api/v1/documents/{document_id}").json()["status"]


@pytest.fixture
def stub():
    with EmbeddingStub() as server:
        yield server


@pytest.fixture
def env(service_env, stub):
    return service_env(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=stub.url, EMBEDDING_PROVIDER="openai")


def _upload(api) -> str:
    response = httpx.post(f"{api.url}/api/v1/documents", files={"file": ("glaciers.txt", TEXT.encode(), "text/plain")})
    assert response.status_code == 202
    return response.json()["id"]


def test_killed_worker_job_is_retried_and_indexed_exactly_once(env, stub, start_api, start_worker):
    api = start_api(env)
    first = start_worker(env, "--queues", "document_processing")
    stub.released.clear()
    document_id = _upload(api)
    wait_until(lambda: stub.requests >= 1, timeout=30, what="the job to reach the embedding call")
    assert _status(api, document_id) == "processing"

    first.signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    stub.released.set()

    second = start_worker(env, "--queues", "document_processing")
    wait_until(lambda: _status(api, document_id) == "indexed", timeout=90, what="the retried job to index")

    expected = chunk_text(TEXT)
    with psycopg.connect(env["MIGRATE_DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT ordinal, content FROM chunks WHERE document_id = %s ORDER BY ordinal", (document_id,)
        ).fetchall()
    assert [content for _, content in rows] == expected
    assert [ordinal for ordinal, _ in rows] == list(range(len(expected)))

    scrape = httpx.get(f"{second.url}/metrics").text
    assert metric_value(scrape, "ai_service_jobs_total", queue="document_processing", outcome="retried") == 1
    assert metric_value(scrape, "ai_service_jobs_total", queue="document_processing", outcome="succeeded") == 1
    assert metric_value(scrape, "ai_service_embedding_requests_total", provider="openai", outcome="success") >= 1
    assert metric_value(scrape, "ai_service_job_duration_seconds_count", queue="document_processing") == 1
    results = httpx.get(f"{api.url}/api/v1/search", params={"q": "glaciers moraines"}).json()["results"]
    assert results[0]["document_id"] == document_id


def test_sigterm_lets_the_running_job_finish(env, stub, start_api, start_worker):
    api = start_api(env)
    worker = start_worker(env, "--queues", "document_processing")
    stub.released.clear()
    document_id = _upload(api)
    wait_until(lambda: stub.requests >= 1, timeout=30, what="the job to reach the embedding call")

    worker.process.send_signal(signal.SIGTERM)
    stub.released.set()
    assert worker.process.wait(timeout=30) == 0
    assert _status(api, document_id) == "indexed"
