"""One contract from stack config to running process, on every target.

For each stack, the committed stack file is planned offline (the same program and mocks as
`python -m infra plan STACK --json --render DIR`, in-process so secret values stay readable: the
CLI prints them as `[secret]`). Every workload of the service image the plan renders is started
as its platform would start it: the rendered command/args and environment on top of the image's
ENV, secret references resolved the way that platform resolves them from the plan's own values
(tests/contract/platform.py has the table per platform). Then, as a release runs
(tests/contract/boot.py): migrations exit 0 before traffic, every service becomes ready at once,
one upload is indexed (by a worker; inside the request on Lambda), scheduled one-shots succeed.
The run ends with a table per target of the processes booted and the seconds each took.

What is overridden, and what it stands for on the platform — nothing else is changed:

| override here                                        | what it stands for on the platform                      |
|------------------------------------------------------|---------------------------------------------------------|
| host/port of every `postgres(ql)://` URL -> a local  | the managed database / RDS / Cloud SQL / the Postgres   |
| Postgres 16 + pgvector per target (unix socket)      | container; its roles are created from the plan's URLs:  |
|                                                      | the migration's role is the admin (doadmin,             |
|                                                      | rds_superuser, cloudsqlsuperuser, POSTGRES_USER) and    |
|                                                      | owns the database, the others are plain logins          |
| host/port of every `redis(s)://` URL -> a local      | the Redis container / StatefulSet / ElastiCache /       |
| redis-server per target with the plan's password;    | Memorystore; TLS in transit is the platform's, and a    |
| `rediss` -> `redis`                                  | mounted CA file is written but has nothing to verify    |
| `S3_ENDPOINT_URL` -> moto; no endpoint (AWS S3) ->   | Spaces / GCS interoperability / SeaweedFS / AWS S3      |
| boto3's `AWS_ENDPOINT_URL_S3` -> moto                |                                                         |
| Secrets Manager -> moto (`AWS_ENDPOINT_URL_SECRETS_  | the plan's secrets, created under their planned ARN's   |
| MANAGER`), seeded with the plan's secret values      | name, so the planned ARNs resolve unchanged             |
| PORT / METRICS_PORT -> free local ports              | each container's own network namespace (Cloud Run sets  |
|                                                      | PORT for services itself: set first, then moved)        |
| /tmp paths and mounted files -> a directory per      | each container's private filesystem and secret volumes  |
| workload                                             |                                                         |
| AWS test credentials when the env has no keys        | the ECS task role / Lambda execution role               |
| AWS_REGION, AWS_LAMBDA_FUNCTION_NAME (Lambda only)   | what the Lambda runtime sets in every sandbox           |
| the image's ENV without PYTHONDONTWRITEBYTECODE      | its venv, compiled at build (UV_COMPILE_BYTECODE=1)     |
| `ai-service` of this checkout; the Lambda handler    | the image's ENTRYPOINT; `python -m awslambdaric` and    |
| resolved by awslambdaric in a sandbox process and    | API Gateway's `$default` route (payload v2.0, HTTPS)    |
| sent API Gateway v2 events                           |                                                         |
| Host = first ALLOWED_HOSTS entry, X-Forwarded-Proto  | the platform's edge (load balancer, gateway, nginx)     |
| https on requests                                    | terminating TLS in front of the service                 |

Each target has its own Postgres and Redis (moto is shared) because the plans name the same roles
with different powers — `ai_service` is the RDS master on fargate and the application role on
cloudrun — and one server holds one role per name. One initdb per session keeps this cheap.
Identical replicas (api-1/api-2: same argv, env and files) boot once.

A layer verified alone is not verified: this test is what fails when a stack hands a workload a
secret it cannot read, a command the service does not have, or an environment it refuses.
"""

from __future__ import annotations

import time

import pytest

from tests.contract.boot import NoMigrationBeforeTraffic, TargetRun, boot_plan
from tests.contract.dependencies import TargetDependencies
from tests.contract.platform import SecretStore, workloads

pytestmark = pytest.mark.system

# (stack, how its plan is run): each target once, and the local stack also as a plain compose project.
CASES = [
    ("dev", "droplet"),
    ("local", "local"),
    ("local", "local-compose"),
    ("prod", "kubernetes"),
    ("aws", "fargate"),
    ("gcp", "cloudrun"),
    ("serverless", "lambda"),
]


@pytest.mark.parametrize(
    ("stack", "reader"),
    [pytest.param(stack, reader, id=reader) for stack, reader in CASES],
)
def test_every_planned_workload_starts_and_serves(stack, reader, plan_stack, postgres_pool, s3_server, tmp_path):
    started = time.monotonic()
    plan = plan_stack(stack)
    booted = boot_plan(plan, reader, postgres_pool, s3_server, tmp_path, planned_in=time.monotonic() - started)
    assert booted.job.startswith("indexed")
    assert booted.names == {w.name for w in booted.planned}, "every planned workload was booted"


def test_a_target_without_a_migration_before_traffic_fails(plan_stack, postgres_pool, s3_server, tmp_path):
    """The guard itself: drop the migrate workload from a plan and the contract refuses it."""
    plan = plan_stack("local")
    deps = TargetDependencies(postgres_pool.take(), s3_server.endpoint)
    try:
        store = SecretStore(plan, moto_endpoint=s3_server.endpoint, compose_binary="", localize=deps.localize)
        planned = [w for w in workloads(plan, store) if w.command != "migrate"]
        with pytest.raises(NoMigrationBeforeTraffic, match="no workload runs migrations before traffic"):
            TargetRun(deps, tmp_path, store.documents).run(planned)
    finally:
        deps.stop()
