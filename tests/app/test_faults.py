"""No accepted upload is lost: faults injected into real Postgres, Redis and S3 (moto) through
TCP proxies while the real API and worker run. Every 2xx upload ends indexed exactly once and
searchable with its object present; no object without a row, no row without an object."""

from __future__ import annotations

import pytest

from tests.app.fault_pipeline import SCENARIOS, Pipeline
from tests.fixtures.services import ServiceRunner

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
