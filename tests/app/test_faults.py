"""No accepted upload is lost: faults injected into real Postgres, Redis and S3 (moto) through
TCP proxies while the real API and worker run. Every 2xx upload ends indexed exactly once and
searchable with its object present; no object without a row, no row without an object."""

from __future__ import annotations

import json
import time

import httpx
import psycopg
import pytest

from tests.app.fault_pipeline import SCENARIOS, Pipeline, document_text
from tests.fixtures.services import ServiceRunner, wait_until

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def pipeline(redis_server, postgres, s3_server, tmp_path_factory):
    runner = ServiceRunner(tmp_path_factory.mktemp("faults"))
    built = Pipeline.build(redis_server, postgres, s3_server, runner.start)
    yield built
    runner.close()
    built.close()


@pytest.mark.parametrize("scenario", [fn for _, fn in SCENARIOS], ids=[name for name, _ in SCENARIOS])
def test_every_accepted_upload_is_indexed_once(pipeline, scenario):
    audit = scenario(pipeline)
    print(audit.row())
    assert audit.accepted > 0, audit
    assert (audit.lost, audit.failed, audit.duplicated, audit.unsearchable) == (0, 0, 0, 0), (
        audit.row(),
        audit.unsettled,
    )
    assert audit.indexed == audit.accepted
    assert audit.orphaned == 0, audit.row()


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _search_latencies(pipeline, count: int = 150) -> list[float]:
    latencies = []
    with httpx.Client() as client:
        for i in range(count):
            started = time.perf_counter()
            response = client.get(f"{pipeline.api.url}/api/v1/search", params={"q": f"pumps valves {i}"})
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
    return latencies


def test_hung_storage_fails_uploads_fast_and_search_keeps_its_latency(pipeline):
    _search_latencies(pipeline, 20)  # warm
    before = _search_latencies(pipeline)
    pipeline.proxies["s3"].freeze()
    try:
        started = time.perf_counter()
        burst = pipeline.burst_elsewhere(50)
        time.sleep(1.0)  # the burst has arrived: what is left is uploads waiting on the hung storage
        during = _search_latencies(pipeline)
        results = json.loads(burst.communicate(timeout=60)[0])
        elapsed = time.perf_counter() - started
    finally:
        pipeline.proxies["s3"].restore()
    codes = [code for code, _ in results]
    for q in (0.5, 0.95, 0.99):
        print(
            f"search p{round(q * 100)} {_percentile(before, q) * 1000:.1f} ms before, "
            f"{_percentile(during, q) * 1000:.1f} ms with 50 uploads on a hung S3"
        )
    assert set(codes) == {503}, (codes, pipeline.errors[-5:])
    # DEPENDENCY_TIMEOUT_SECONDS=1.5: the UPLOAD_STORAGE_CONCURRENCY (8) uploads holding a slot wait for
    # two attempts of connect + 100-continue + read; the other 42 are refused at once.
    waits = sorted(seconds for _, seconds in results)
    assert waits[-9] < 2, waits
    assert waits[-1] < 12, waits
    assert elapsed < 15
    # p95, not p99: on a shared 2-core runner a single scheduling stall of the API process is the p99 of
    # 150 samples, hang or no hang. (Both are printed; bench/faults.py and app/README.md quote them.)
    assert _percentile(during, 0.95) <= 2 * _percentile(before, 0.95) + 0.01
    # What the refused uploads left (pending rows; objects if a put landed) is cleaned up.
    wait_until(lambda: pipeline.orphans() == 0 and _pending(pipeline) == 0, timeout=20, what="pending uploads cleaned")


def _pending(pipeline) -> int:
    with psycopg.connect(pipeline.env["MIGRATE_DATABASE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM documents WHERE status <> ALL('{indexed,failed}')").fetchone()[0]


def test_delete_during_storage_outage_keeps_the_document_then_completes(pipeline):
    with httpx.Client() as client:
        wait_until(lambda: pipeline.upload(client) == 202, timeout=10, what="an accepted upload")
    document_id, token = list(pipeline.accepted.items())[-1]
    pipeline.wait_settled([document_id], 20)
    url = f"{pipeline.api.url}/api/v1/documents/{document_id}"
    key = f"documents/{document_id}"

    pipeline.proxies["s3"].cut()
    try:
        refused = httpx.delete(url, timeout=30)
    finally:
        pipeline.proxies["s3"].restore()
    assert refused.status_code == 503
    assert "kept" in refused.json()["detail"]
    assert httpx.get(url).json()["status"] == "indexed"
    assert key in pipeline.s3.keys(pipeline.env["S3_BUCKET"], "documents/")
    with httpx.Client() as client:
        assert document_id in pipeline.search(client, document_text(token).decode())

    time.sleep(float(pipeline.env["DEPENDENCY_TIMEOUT_SECONDS"]))  # the circuit's trial call is due
    assert httpx.delete(url, timeout=30).status_code == 204
    assert httpx.get(url).status_code == 404
    assert key not in pipeline.s3.keys(pipeline.env["S3_BUCKET"], "documents/")
    with psycopg.connect(pipeline.env["MIGRATE_DATABASE_URL"]) as conn:
        assert conn.execute("SELECT count(*) FROM chunks WHERE document_id = %s", (document_id,)).fetchone()[0] == 0


CANARY = "canary-7f3e-do-not-log"


def test_driver_errors_never_carry_document_text(pipeline):
    """A database error whose message quotes the row (here a trigger's RAISE) fails the document with
    a reason made of the error's type and SQLSTATE; the text is in no log line and not in `error`."""
    admin = pipeline.env["MIGRATE_DATABASE_URL"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_canary() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.content LIKE '%{CANARY}%' THEN RAISE EXCEPTION 'refused: %', NEW.content; END IF; "
            "RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_canary BEFORE INSERT ON chunks FOR EACH ROW EXECUTE FUNCTION refuse_canary()"
        )
    try:
        response = httpx.post(
            f"{pipeline.api.url}/api/v1/documents",
            files={"file": ("canary.txt", f"quarterly figures {CANARY} confidential".encode(), "text/plain")},
        )
        assert response.status_code == 202
        document_id = response.json()["id"]
        pipeline.wait_settled([document_id], 30)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP TRIGGER refuse_canary ON chunks")
            conn.execute("DROP FUNCTION refuse_canary()")
    with psycopg.connect(admin) as conn:
        status, error = conn.execute("SELECT status, error FROM documents WHERE id = %s", (document_id,)).fetchone()
    assert status == "failed"
    assert error == "database error RaiseException (SQLSTATE P0001)"
    for process in (pipeline.api, pipeline.worker):
        text = process.log_path.read_text()
        assert CANARY not in text
        for line in text.splitlines():
            json.loads(line)  # one JSON object per line, in every process
