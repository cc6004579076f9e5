"""Secrets reach Cloud Run only as Secret Manager references pinned to a version."""

from __future__ import annotations

import json

import pytest

from infra.tooling.values import Secret, unwrapped
from tests.gcp.conftest import envs, pod, workloads

SECRET_ENV = {
    "DATABASE_URL",
    "MIGRATE_DATABASE_URL",
    "REDIS_URL",
    "API_KEYS",
    "SECRET_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "OPENAI_API_KEY",
}
SENTINELS = {"apiKeys": "tenant:SENTINEL-api-key-7f3a91", "openaiApiKey": "sk-SENTINEL-openai-55c0e2"}


@pytest.fixture(scope="module")
def with_sentinels(plan_stack):
    return plan_stack("gcp", **{k: Secret(v) for k, v in SENTINELS.items()})


def test_secret_env_comes_from_secret_manager_pinned_versions(with_sentinels):
    seen = set()
    for workload in workloads(with_sentinels):
        for env in envs(workload):
            if env["name"] in SECRET_ENV:
                seen.add(env["name"])
                assert "value" not in env, f"{workload.name}: {env['name']} is a literal value"
                ref = env["valueSource"]["secretKeyRef"]
                assert ref["secret"].startswith("ai-service-gcp-")
                assert ref["version"] not in ("", "latest")  # the version resource's number
    assert seen == SECRET_ENV


def test_sentinel_secret_values_never_reach_the_plan_or_rendered_files(with_sentinels):
    plan_text = json.dumps(with_sentinels.as_dict())
    rendered = "\n".join(str(text) for text in with_sentinels.artifacts.values())
    assert with_sentinels.artifacts
    for value in SENTINELS.values():
        assert value not in plan_text
        assert value not in rendered
    # ...but they are stored, as secrets, in Secret Manager versions.
    stored = [r.inputs["secretData"] for r in with_sentinels.find("SecretVersion")]
    assert all(isinstance(s, Secret) for s in stored)
    assert {SENTINELS["apiKeys"], SENTINELS["openaiApiKey"]} <= {unwrapped(s) for s in stored}


def test_generated_credentials_are_secret(gcp):
    for user in gcp.find("sql/user:User"):
        assert isinstance(user.inputs["password"], Secret)
    assert isinstance(gcp.outputs["apiKeys"], Secret)
    for key in gcp.find("HmacKey"):
        assert isinstance(key.outputs["secret"], Secret)


def test_redis_ca_is_mounted_as_a_file_the_app_reads(gcp):
    for workload in workloads(gcp):
        if workload.name == "migrate":
            continue
        names = {e["name"]: e.get("value") for e in envs(workload)}
        assert names["REDIS_CA_CERT"] == "/etc/ai-service/redis-ca/ca.pem"
        volume = pod(workload)["volumes"][0]
        assert volume["secret"]["items"][0]["path"] == "ca.pem"
        assert volume["secret"]["items"][0]["version"] != "latest"
