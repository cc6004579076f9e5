"""Upload -> worker -> indexed -> search, against real Redis, Postgres+pgvector and S3."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.services import wait_until

pytestmark = pytest.mark.system


def _status(api, document_id: str) -> str:
    return httpx.get(f"{api.url}/api/v1/documents/{document_id}").json()["status"]


def test_upload_is_indexed_and_found_first(service_env, start_api, start_worker, s3_server):
    env = service_env()
    api = start_api(env)
    start_worker(env, "--queues", "document_processing")

    other = httpx.post(
        f"{api.url}/api/v1/documents",
        files={"file": ("other.txt", b"Quarterly revenue grew in the retail segment.", "text/plain")},
    )
    target = httpx.post(
        f"{api.url}/api/v1/documents",
        files={"file": ("notes.md", b"# Volcanoes\nBasaltic lava flows from shield volcanoes.", "text/markdown")},
    )
    assert other.status_code == target.status_code == 202
    assert target.json()["status"] == "queued"
    document_id = target.json()["id"]

    wait_until(lambda: _status(api, document_id) == "indexed", timeout=30, what="document indexed")
    assert s3_server.keys(env["S3_BUCKET"], "documents/") != []

    results = httpx.get(f"{api.url}/api/v1/search", params={"q": "shield volcano lava", "k": 5}).json()["results"]
    assert results[0]["document_id"] == document_id
    assert "Basaltic lava" in results[0]["snippet"]

    doc = httpx.get(f"{api.url}/api/v1/documents/{document_id}").json()
    assert doc == {"id": document_id, "filename": "notes.md", "status": "indexed"}

    assert httpx.delete(f"{api.url}/api/v1/documents/{document_id}").status_code == 204
    assert httpx.get(f"{api.url}/api/v1/documents/{document_id}").status_code == 404
    assert f"documents/{document_id}" not in s3_server.keys(env["S3_BUCKET"])
    results = httpx.get(f"{api.url}/api/v1/search", params={"q": "shield volcano lava"}).json()["results"]
    assert document_id not in [r["document_id"] for r in results]
