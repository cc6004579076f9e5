"""Your own app on Cloud Run: `commands`, `port`, `health`, `requestTimeoutS`, `env` and `secretEnv` from
config reach every workload (API service, worker pools, migrate job, scheduled jobs) and the uptime check."""

from __future__ import annotations

import json

import pytest

from infra.render.gcp.specs import request_timeout_s
from infra.tooling.values import Secret, unwrapped
from tests.gcp.conftest import envs, pod, workloads

SECRET_VALUES = {
    "ANTHROPIC_API_KEY": "sk-ant-SENTINEL-own-app-4b1e9c",
    "SUPABASE_SERVICE_KEY": "SENTINEL-supabase-service-0d73aa",
}
OWN_APP = {
    "env": {"DEFAULT_MODEL": "claude-sonnet", "FEATURE_FLAGS": "cache,ocr"},
    "secretEnv": Secret(SECRET_VALUES),
    "commands": {
        "api": ["/app/bin/serve", "--bind", "0.0.0.0"],
        "worker": ["python", "-m", "bot.worker", "--queues", "{queues}"],
        "migrate": ["alembic", "upgrade", "head"],
        "task": ["python", "-m", "bot.tasks"],
    },
    "schedules": [{"name": "digest", "cron": "0 7 * * *", "command": ["send-digest", "--daily"]}],
    "port": 8080,
    "health": {"liveness": "/livez", "readiness": "/readyz"},
    "requestTimeoutS": 300,
}
# (commands, args) per planned workload: the argv's first word is the entrypoint, the rest its arguments.
EXPECTED_ARGV = {
    "api": (["/app/bin/serve"], ["--bind", "0.0.0.0"]),
    "migrate": (["alembic"], ["upgrade", "head"]),
    "worker-documents": (["python"], ["-m", "bot.worker", "--queues", "document_processing"]),
    "worker-cleanup": (["python"], ["-m", "bot.worker", "--queues", "cleanup_tasks"]),
    "schedule-digest": (["python"], ["-m", "bot.tasks", "send-digest", "--daily"]),
}


@pytest.fixture(scope="module")
def own(plan_stack):
    return plan_stack("gcp", **OWN_APP)


def _container(resource) -> dict:
    (container,) = pod(resource)["containers"]
    return container


def test_plan_is_clean(own):
    assert own.problems == []


def test_every_workload_runs_its_roles_argv(own):
    found = {w.name: (_container(w).get("commands"), _container(w).get("args")) for w in workloads(own)}
    assert found == EXPECTED_ARGV


def test_default_argv_is_the_reference_cli(gcp):
    found = {w.name: (_container(w)["commands"], _container(w)["args"]) for w in workloads(gcp)}
    assert found["api"] == (["ai-service"], ["api"])
    assert found["worker-documents"] == (["ai-service"], ["worker", "--queues", "document_processing"])
    assert found["schedule-cleanup"] == (["ai-service"], ["enqueue-cleanup"])


def test_env_reaches_every_workload_and_secret_env_only_as_pinned_references(own):
    secret_ids = {unwrapped(s.inputs)["secretId"] for s in own.find("secretmanager/secret:Secret")}
    for workload in workloads(own):
        by_name = {e["name"]: e for e in envs(workload)}
        assert by_name["DEFAULT_MODEL"]["value"] == "claude-sonnet", workload.name
        assert by_name["FEATURE_FLAGS"]["value"] == "cache,ocr", workload.name
        for name in SECRET_VALUES:
            assert "value" not in by_name[name], f"{workload.name}: {name} is a literal value"
            ref = by_name[name]["valueSource"]["secretKeyRef"]
            assert ref["secret"] == f"ai-service-gcp-env-{name.lower().replace('_', '-')}"
            assert ref["secret"] in secret_ids
            assert ref["version"] not in ("", "latest")


def test_each_secret_env_secret_is_read_by_exactly_the_service_accounts(own):
    accounts = {r.name: r.outputs["member"] for r in own.find("serviceaccount/account:Account")}
    roles = {accounts[f"sa-{role}"] for role in ("api", "worker", "migrate")}  # schedules run as the worker
    for name in SECRET_VALUES:
        component = f"secret-env-{name.lower().replace('_', '-')}"
        grants = [g for g in own.find("SecretIamMember") if g.parent.endswith(f"::{component}")]
        assert {unwrapped(g.inputs)["role"] for g in grants} == {"roles/secretmanager.secretAccessor"}
        assert {unwrapped(g.inputs)["member"] for g in grants} == roles
        (secret,) = (s for s in own.find("secretmanager/secret:Secret") if s.parent.endswith(f"::{component}"))
        assert {unwrapped(g.inputs)["secretId"] for g in grants} == {secret.id}
    # The workloads are created after the grants, so a first revision is never denied its secrets.
    by_urn = {r.urn: r for r in own.resources}
    for workload in workloads(own):
        parents = {by_urn[d].name for d in workload.dependencies if d in by_urn}
        assert {f"secret-env-{n.lower().replace('_', '-')}" for n in SECRET_VALUES} <= parents, workload.name


def test_port_probes_timeout_and_uptime_check_follow_config(own):
    api = own.one("cloudrunv2/service:Service", "api")
    container = _container(api)
    assert container["ports"] == {"containerPort": 8080}
    assert "PORT" not in {e["name"] for e in envs(api)}  # Cloud Run sets it from containerPort
    assert container["startupProbe"]["httpGet"] == {"path": "/readyz", "port": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": 8080}
    assert pod(api)["timeout"] == "300s"
    (check,) = own.find("UptimeCheckConfig")
    assert unwrapped(check.inputs)["httpCheck"]["path"] == "/livez"


def test_request_timeout_never_below_cloud_runs_default(gcp, plan_stack):
    assert request_timeout_s(60) == 300 and request_timeout_s(900) == 900
    assert pod(gcp.one("cloudrunv2/service:Service", "api"))["timeout"] == "300s"  # the 60 s default
    longer = plan_stack("gcp", requestTimeoutS=900)
    assert pod(longer.one("cloudrunv2/service:Service", "api"))["timeout"] == "900s"


def test_secret_values_never_reach_the_plan_or_rendered_templates(own):
    rendered = {path: str(text) for path, text in own.artifacts.items() if path.startswith("cloudrun/")}
    # A template holding a secret would be dropped from the artifacts: every workload's must be there.
    assert set(rendered) == {f"cloudrun/{name}.json" for name in EXPECTED_ARGV}
    plan_text = json.dumps(own.as_dict())
    for value in SECRET_VALUES.values():
        assert value not in plan_text
        assert all(value not in text for text in rendered.values())
    # ...but each is stored, as a secret, in its own Secret Manager version.
    stored = [
        unwrapped(r.inputs["secretData"])
        for r in own.find("SecretVersion")
        if isinstance(r.inputs["secretData"], Secret)
    ]
    assert set(SECRET_VALUES.values()) <= set(stored)
    assert json.loads(rendered["cloudrun/api.json"])["containers"][0]["commands"] == ["/app/bin/serve"]
