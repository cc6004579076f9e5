"""Your own app's contract, from stack config to running process, on every target.

The same boot as test_targets.py, with a stack that sets the keys a team's own image uses:
`commands` entering the service as a module (`python -m ai_service <role>`, so no role can be
running the image's default entry point by accident), the app's own plain `env` and `secretEnv`.
Every planned workload must boot from what its platform resolves (the secret from the platform's
secret store), every process must see both variables, and the printed plan never holds the secret.
"""

from __future__ import annotations

import json
import time

import pytest

from infra.tooling.values import Secret
from tests.contract.boot import boot_plan

pytestmark = pytest.mark.system

MODULE = ["python", "-m", "ai_service"]
APP_ENV = {"DEFAULT_MODEL": "contract-model-1"}
APP_SECRET = {"LLM_API_KEY": "sk-contract-7f3a9c"}
COMMANDS = {
    "api": [*MODULE, "api"],
    "worker": [*MODULE, "worker", "--queues", "{queues}"],
    "migrate": [*MODULE, "migrate"],
    "scheduler": [*MODULE, "scheduler"],
    "task": MODULE,
}
# target lambda runs the image through its handler: `commands` does not apply there.
CASES = [
    ("dev", "droplet", True),
    ("local", "local", True),
    ("prod", "kubernetes", True),
    ("aws", "fargate", True),
    ("gcp", "cloudrun", True),
    ("serverless", "lambda", False),
]


@pytest.mark.parametrize(("stack", "reader", "commands"), CASES, ids=[c[1] for c in CASES])
def test_own_app_env_secrets_and_commands_reach_every_process(
    stack, reader, commands, plan_stack, postgres_pool, s3_server, tmp_path
):
    overrides = {"env": APP_ENV, "secretEnv": Secret(APP_SECRET)}
    if commands:
        overrides["commands"] = COMMANDS
    started = time.monotonic()
    plan = plan_stack(stack, **overrides)
    booted = boot_plan(plan, reader, postgres_pool, s3_server, tmp_path, planned_in=time.monotonic() - started)

    assert booted.job.startswith("indexed")
    assert booted.names == {w.name for w in booted.planned}, "every planned workload was booted"
    for workload in booted.planned:
        if commands:
            assert workload.argv[: len(MODULE)] == MODULE, (workload.name, workload.argv)
        env = booted.resolved[workload.name]
        assert env.get("DEFAULT_MODEL") == APP_ENV["DEFAULT_MODEL"], workload.name
        assert env.get("LLM_API_KEY") == APP_SECRET["LLM_API_KEY"], workload.name
    # What `python -m infra plan --json` prints (and a CI comment shows) never holds the secret.
    assert APP_SECRET["LLM_API_KEY"] not in json.dumps(plan.as_dict(), default=str)
