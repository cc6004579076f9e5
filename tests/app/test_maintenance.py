"""Periodic cleanup (`ai-service enqueue-cleanup` + a cleanup_tasks worker) and `ai-service reindex`."""

from __future__ import annotations

import subprocess

import httpx
import psycopg
import pytest
from redis import Redis

from tests.fixtures.services import AI_SERVICE, free_port

pytestmark = pytest.mark.system


def _run(env, *args):
    result = subprocess.run([AI_SERVICE, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result


def test_cleanup_expires_tmp_objects_and_lost_documents(service_env, start_api, s3_server):
    env = service_env(CLEANUP_TTL_SECONDS="0", INLINE_JOBS="true")
    api = start_api(env)
    kept = httpx.post(f"{api.url}/api/v1/documents", files={"file": ("kept.txt", b"stays indexed", "text/plain")})
    assert kept.json()["status"] == "indexed"
    s3 = s3_server.client()
    s3.put_object(Bucket=env["S3_BUCKET"], Key="tmp/upload-part", Body=b"partial")
    with psycopg.connect(env["MIGRATE_DATABASE_URL"]) as conn:
        lost = conn.execute(
            "INSERT INTO documents (id, tenant, filename, content_type, size_bytes, storage_key, status, updated_at)"
            " VALUES (gen_random_uuid(), 'default', 'lost.txt', 'text/plain', 1, 'documents/x', 'queued',"
            " now() - interval '2 days') RETURNING id"
        ).fetchone()[0]

    # The API above indexes inline; the scheduled command enqueues for a worker (INLINE_JOBS off, as on docker hosts).
    assert "cleanup_tasks" in _run({**env, "INLINE_JOBS": "false"}, "enqueue-cleanup").stdout
    assert Redis.from_url(env["REDIS_URL"]).llen("rq:queue:cleanup_tasks") == 1
    _run({**env, "METRICS_PORT": str(free_port())}, "worker", "--queues", "cleanup_tasks", "--burst")

    assert s3_server.keys(env["S3_BUCKET"], "tmp/") == []
    assert s3_server.keys(env["S3_BUCKET"], "documents/") == [f"documents/{kept.json()['id']}"]
    assert httpx.get(f"{api.url}/api/v1/documents/{lost}").json()["status"] == "failed"
    assert httpx.get(f"{api.url}/api/v1/documents/{kept.json()['id']}").json()["status"] == "indexed"


def test_reindex_after_changing_embedding_dim(service_env, start_api):
    env = service_env(INLINE_JOBS="true", EMBEDDING_DIM="64")
    api = start_api(env)
    doc = httpx.post(
        f"{api.url}/api/v1/documents",
        files={"file": ("tides.md", b"Spring tides follow the new moon.", "text/markdown")},
    ).json()
    api.stop()

    resized = {**env, "EMBEDDING_DIM": "32"}
    mismatched = start_api(resized)
    ready = httpx.get(f"{mismatched.url}/health/ready")
    assert ready.status_code == 503
    assert "EMBEDDING_DIM needs vector(32)" in ready.json()["checks"]["database"]
    mismatched.stop()

    assert "re-embedding 1 documents" in _run(resized, "reindex", "--inline").stdout
    with psycopg.connect(env["MIGRATE_DATABASE_URL"]) as conn:
        width = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
        ).fetchone()[0]
    assert width == "vector(32)"
    api = start_api(resized)
    assert httpx.get(f"{api.url}/api/v1/documents/{doc['id']}").json()["status"] == "indexed"
    results = httpx.get(f"{api.url}/api/v1/search", params={"q": "spring tides moon"}).json()["results"]
    assert results[0]["document_id"] == doc["id"]
