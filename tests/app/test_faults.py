"""No accepted upload is lost: faults injected into real Postgres, Redis and S3 (moto) through
TCP proxies while the real API and worker run. Every 2xx upload ends indexed exactly once and
searchable with its object present; no object without a row, no row without an object."""

from __future__ import annotations

import json
import time

import httpx
import psycopg
import pytest
from ai_service.settings import Settings
from ai_service.storage import Storage

from tests.app.fault_pipeline import SCENARIOS, Pipeline, document_text, hung_storage
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


# botocore waits this long for "100 Continue" before it sends a PutObject body anyway (awsrequest.py).
EXPECT_100_WAIT = 1.0


def _hung_put_seconds(pipeline) -> tuple[float, float]:
    """(shortest, longest) one PutObject may take against the frozen proxy, from the API's own S3 client
    config. Each attempt waits for "100 Continue", then for the read timeout (the proxy accepts
    connections at once, so connecting costs nothing here); between attempts, a retry delay under 1 s.
    An upload that went to the hung storage cannot answer before one attempt is over."""
    settings = Settings(
        dependency_timeout_seconds=float(pipeline.env["DEPENDENCY_TIMEOUT_SECONDS"]),
        s3_bucket=pipeline.env["S3_BUCKET"],
        s3_endpoint_url=pipeline.env["S3_ENDPOINT_URL"],
    )
    config = Storage(settings).client.meta.config
    attempt = EXPECT_100_WAIT + config.read_timeout
    attempts = config.retries["total_max_attempts"]
    return attempt, attempts * attempt + (attempts - 1) * 1.0


def test_hung_storage_fails_uploads_fast_and_search_keeps_its_latency(pipeline):
    """Checked against the behaviour's own scale, not this machine's speed: whatever waits on the hung
    storage takes at least one storage call's timeout. (bench/faults.py prints the latencies.)"""
    hung = hung_storage(pipeline)
    print("\n" + "\n".join(hung.rows()))
    timeout = float(pipeline.env["DEPENDENCY_TIMEOUT_SECONDS"])
    one_attempt, whole_put = _hung_put_seconds(pipeline)
    assert {code for code, _ in hung.answers} == {503}, (hung.answers, pipeline.errors[-5:])
    # Beyond the UPLOAD_STORAGE_CONCURRENCY slots, uploads are refused without waiting on the storage:
    # sooner than a single storage call could have timed out.
    assert all(seconds < one_attempt for _, seconds in hung.refused), (one_attempt, hung.rows())
    # The slot holders did wait on it (so the searches below ran while the hang held every slot), for no
    # longer than their PutObject may take plus what a refusal may take (the request's own steps).
    bound = whole_put + one_attempt
    assert all(one_attempt <= seconds < bound for _, seconds in hung.waited), (bound, hung.rows())
    # Search never waits on the storage: every one answers, each sooner than DEPENDENCY_TIMEOUT_SECONDS
    # (one blocked behind the slot holders would wait for them, seconds).
    assert {code for code, _ in hung.before + hung.during} == {200}
    assert all(seconds < timeout for _, seconds in hung.during), hung.rows()
    # What the refused uploads left (pending rows; objects if a put landed) is cleaned up.
    wait_until(lambda: pipeline.orphans() == 0 and _pending(pipeline) == 0, timeout=20, what="pending uploads cleaned")


def _pending(pipeline) -> int:
    with psycopg.connect(pipeline.env["MIGRATE_DATABASE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM documents WHERE status <> ALL('{indexed,failed}')").fetchone()[0]


def test_delete_during_storage_outage_keeps_the_document_then_completes(pipeline):
    with httpx.Client() as client:
        wait_until(lambda: pipeline.upload(client) == 202, timeout=30, what="an accepted upload")
    document_id, token = list(pipeline.accepted.items())[-1]
    pipeline.wait_settled([document_id], 60)
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
        pipeline.wait_settled([document_id], 60)
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
