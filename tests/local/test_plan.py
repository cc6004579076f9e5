"""target local: the whole system on the local Docker engine, planned offline under mocks."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import yaml

from infra.render.dockerhost.compose import render_compose
from infra.render.dockerhost.topology_local import S3_PORT, local_containers
from infra.settings import ConfigError
from infra.tooling.plan.stackfile import PROJECT_ROOT
from infra.tooling.policy import evaluate
from infra.tooling.resources import PlannedResource
from infra.tooling.values import Secret, unwrapped
from tests.fixtures.plan import plan_with

CONTAINER = "docker:index/container:Container"
SENTINELS = {
    "apiKeys": "tenant-a:sentinel-api-key-4f1c",
    "openaiApiKey": "sk-sentinel-openai-9b2e",
    "alertSlackWebhook": "https://hooks.slack.com/services/SENTINEL/SLACK/7d3a",
}


@pytest.fixture(scope="module")
def local(plan_stack):
    return plan_stack("local")


def containers(result) -> dict[str, dict]:
    """service name (network alias) -> container inputs, secrets unwrapped."""
    found = {}
    for r in result.resources:
        if r.type == CONTAINER:
            inputs = unwrapped(r.inputs)
            found[inputs["networksAdvanced"][0]["aliases"][0]] = inputs | {"_resource": r}
    return found


def env(inputs: dict) -> dict[str, str]:
    return dict(item.split("=", 1) for item in inputs.get("envs", []))


def test_cli_plan_exits_zero_offline_with_json(local_cli):
    proc, _ = local_cli
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["target"] == "local"
    # The log collector's Docker socket is the one waived exception (policy/waivers.yaml).
    assert [(v["policy"], v["resource"], bool(v.get("waiver"))) for v in report["policy"]["violations"]] == [
        ("docker-no-privileged", "local-alloy", True)
    ]
    assert report["cost"]["monthly_usd"] == 0


def test_every_role_and_dependency_runs_as_a_container(local):
    names = set(containers(local))
    assert {
        "postgres",
        "storage",
        "redis",
        "migrate",
        "api-1",
        "api-2",
        "worker-documents-1",
        "worker-documents-2",
        "worker-cleanup-1",
        "nginx",
        "prometheus",
        "grafana",
        "alertmanager",
    } <= names
    network_id = local.one("Network").outputs["id"] if "id" in local.one("Network").outputs else None
    networks = {c["networksAdvanced"][0]["name"] for c in containers(local).values()}
    assert len(networks) == 1 and (network_id is None or networks == {network_id}), networks


def test_app_env_points_at_the_right_containers_and_ports(local):
    by_name = containers(local)
    for name in ("migrate", "api-1", "worker-documents-1", "worker-cleanup-1"):
        values = env(by_name[name])
        database = urlsplit(values["DATABASE_URL"])
        assert (database.hostname, database.port, database.path) == ("postgres", 5432, "/ai_service")
        redis = urlsplit(values["REDIS_URL"])
        assert (redis.hostname, redis.port) == ("redis", 6379)
        assert values["S3_ENDPOINT_URL"] == f"http://storage:{S3_PORT}"
        assert f"-s3.port={S3_PORT}" in by_name["storage"]["command"]
        assert values["S3_BUCKET"] == "ai-service"
    # the password each client uses is the one its server was started with
    app = env(by_name["api-1"])
    owner = urlsplit(env(by_name["migrate"])["MIGRATE_DATABASE_URL"])
    assert owner.password == env(by_name["postgres"])["POSTGRES_PASSWORD"]
    assert urlsplit(app["DATABASE_URL"]).username == "ai_service_app" != owner.username  # created by migrate
    assert urlsplit(app["REDIS_URL"]).password == env(by_name["redis"])["REDIS_PASSWORD"]
    assert env(by_name["redis-exporter"])["REDIS_PASSWORD"] == env(by_name["redis"])["REDIS_PASSWORD"]
    identities = json.loads(next(u["content"] for u in by_name["storage"]["uploads"] if u["file"].endswith("s3.json")))
    credentials = identities["identities"][0]["credentials"][0]
    assert (credentials["accessKey"], credentials["secretKey"]) == (
        app["AWS_ACCESS_KEY_ID"],
        app["AWS_SECRET_ACCESS_KEY"],
    )
    assert env(by_name["migrate"])["MIGRATE_DATABASE_URL"].startswith("postgresql://postgres:")


def test_nginx_and_prometheus_reach_the_containers_by_name(local):
    nginx = local.artifacts["nginx/nginx.conf"]
    for api in ("api-1:8000", "api-2:8000"):
        assert f"server {api}" in nginx
    scrape = yaml.safe_load(local.artifacts["prometheus/prometheus.yml"])
    targets = {t for job in scrape["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
    assert {"api-1:8000", "worker-documents-1:8001", "worker-cleanup-1:8001"} <= targets
    names = set(containers(local))
    assert {t.split(":")[0] for t in targets} - {"localhost"} <= names
    uploaded = {u["file"] for u in containers(local)["nginx"]["uploads"]}
    assert "/etc/nginx/nginx.conf" in uploaded


def test_nothing_listens_beyond_loopback(local):
    published = [(name, p) for name, c in containers(local).items() for p in c.get("ports", [])]
    assert published, "nginx and the admin UIs must be published"
    assert all(p["ip"] == "127.0.0.1" for _, p in published), published
    compose = yaml.safe_load(local.artifacts["compose.yaml"])
    ports = [p for s in compose["services"].values() for p in s.get("ports", [])]
    assert ports and all(p.startswith("127.0.0.1:") for p in ports), ports


def test_published_ports_follow_the_local_config(plan_stack):
    result = plan_stack(
        "local",
        local={
            "httpPort": 18080,
            "grafanaPort": 13000,
            "prometheusPort": 19090,
            "alertmanagerPort": 19093,
            "postgresPort": 15432,
            "s3Port": 18333,
        },
    )
    published = {
        name: {(p["external"], p["internal"]) for p in c.get("ports", [])} for name, c in containers(result).items()
    }
    assert published["nginx"] == {(18080, 80)}
    assert published["grafana"] == {(13000, 3000)}
    assert published["prometheus"] == {(19090, 9090)}
    assert published["alertmanager"] == {(19093, 9093)}
    assert published["postgres"] == {(15432, 5432)}
    assert published["storage"] == {(18333, S3_PORT)}
    assert result.outputs["url"] == "http://127.0.0.1:18080"


def test_duplicate_host_ports_are_a_config_error():
    with pytest.raises(ConfigError) as error:
        plan_with("local", local={"httpPort": 3000})
    assert "ai-service:local" in str(error.value) and "3000" in str(error.value)


def test_generated_secrets_are_random_and_secret(local):
    passwords = {r.name: r for r in local.find("RandomPassword")}
    assert {"postgres-password", "redis-password", "secret-key", "api-key", "grafana-admin-password"} <= set(passwords)
    assert all(r.inputs["length"] >= 20 for r in passwords.values())
    for name in ("api-1", "migrate", "worker-documents-1", "postgres", "redis", "redis-exporter"):
        raw = containers(local)[name]["_resource"].inputs["envs"]
        assert isinstance(raw, Secret), f"{name} envs must be a Pulumi secret"
    # the values containers get are those generated results, not literals in the program
    generated = {name: unwrapped(r.outputs["result"]) for name, r in passwords.items()}
    by_name = containers(local)
    assert env(by_name["postgres"])["POSTGRES_PASSWORD"] == generated["postgres-password"]
    assert env(by_name["redis"])["REDIS_PASSWORD"] == generated["redis-password"]
    assert env(by_name["api-1"])["SECRET_KEY"] == generated["secret-key"]
    assert env(by_name["api-1"])["API_KEYS"] == f"default:{generated['api-key']}"
    assert unwrapped(local.outputs["apiKeys"]) == f"default:{generated['api-key']}"
    assert isinstance(local.outputs["apiKeys"], Secret)
    assert isinstance(local.outputs["grafanaAdminPassword"], Secret)
    secret_uploads = [
        u for u in containers(local)["grafana"]["_resource"].inputs["uploads"] if isinstance(u["content"], Secret)
    ]
    assert [u["file"] for u in secret_uploads] == ["/run/secrets/grafana-admin-password"]


def test_config_secrets_stay_out_of_plan_output_and_artifacts(tmp_path):
    result = plan_with("local", **{k: Secret(v) for k, v in SENTINELS.items()})
    assert result.problems == []
    printed = json.dumps(result.as_dict())
    rendered = "\n".join(result.artifacts.values())
    for value in SENTINELS.values():
        assert value not in printed and value not in rendered
    app = env(containers(result)["api-1"])
    assert app["API_KEYS"] == SENTINELS["apiKeys"] and app["OPENAI_API_KEY"] == SENTINELS["openaiApiKey"]
    alertmanager = containers(result)["alertmanager"]["_resource"].inputs["uploads"]
    assert any(
        isinstance(u["content"], Secret) and u["content"].value == SENTINELS["alertSlackWebhook"] for u in alertmanager
    )


@pytest.mark.parametrize("secret", [False, True])
def test_docker_env_passes_the_policy_only_as_a_pulumi_secret(secret):
    """The rule accepts the local stack because its env is a Pulumi secret, not because it skips Docker."""
    envs = ["APP_ENV=development", "API_KEYS=default:k3y", "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/pw"]
    container = PlannedResource(
        CONTAINER, "api", "urn:api", "", True, False, {"envs": Secret(envs) if secret else envs}
    )
    found = [v.message for v in evaluate([container]) if v.policy == "no-plaintext-secret-env"]
    assert found == (
        [] if secret else ["env API_KEYS is a plaintext value; use a secret file or the platform's secret store"]
    )


def test_migrate_runs_to_completion_before_api_and_workers(local):
    by_name = containers(local)
    migrate = by_name["migrate"]
    assert (migrate["mustRun"], migrate["attach"], migrate["restart"]) == (False, True, "no")
    assert (migrate["entrypoints"], migrate["command"]) == (["ai-service"], ["migrate"])
    for name in ("api-1", "api-2", "worker-documents-1", "worker-cleanup-1"):
        resource = by_name[name]["_resource"]
        assert migrate["_resource"].urn in resource.dependencies
        labels = {label["label"]: label["value"] for label in by_name[name]["labels"]}
        assert labels["ai-service.after-migrate"].endswith(":ok")
    # migrate itself waits for healthy Postgres and storage (bucket created)
    for dependency in ("postgres", "storage"):
        assert by_name[dependency]["_resource"].urn in migrate["_resource"].dependencies
        assert by_name[dependency]["wait"] is True


FAILING_MIGRATION = """
from infra.tooling.plan import placeholders
from infra.tooling.plan.plan import plan
original = placeholders.COMPUTED["docker:index/container:Container"]
placeholders.COMPUTED["docker:index/container:Container"] = lambda name, inputs: original(name, inputs) | (
    {"exitCode": 3} if inputs.get("mustRun") is False else {})
try:
    result = plan("local")
except Exception as exc:
    print("stopped:", exc)
else:
    print("created:", sorted(r.name for r in result.resources if r.type.endswith("Container")))
"""


def test_failed_migration_stops_the_update():
    # A fresh interpreter: the failed program leaves unawaited outputs whose errors asyncio reports at exit.
    proc = subprocess.run(
        [sys.executable, "-c", FAILING_MIGRATION], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert "stopped: container ai-service-local-migrate exited with code 3" in proc.stdout, (
        proc.stdout + proc.stderr[-2000:]
    )


def test_memory_limits_restart_policies_and_healthchecks(local):
    for name, c in containers(local).items():
        assert c["memory"] >= 48 and c["memorySwap"] == c["memory"], name
        assert float(c["cpus"]) > 0, name
        assert c["restart"] in {"unless-stopped", "no"}, name
        assert c["logOpts"]["max-size"], name
    by_name = containers(local)
    for name in (
        "nginx",
        "api-1",
        "api-2",
        "worker-documents-1",
        "worker-cleanup-1",
        "redis",
        "postgres",
        "storage",
        "prometheus",
        "grafana",
        "alertmanager",
    ):
        assert by_name[name]["healthcheck"]["tests"][0] in {"CMD", "CMD-SHELL"}, name
    # what something waits on is created only once Docker reports it healthy
    assert {n for n, c in by_name.items() if c.get("wait")} == {"postgres", "storage", "redis", "api-1", "api-2"}


def test_named_volumes_hold_the_data(local):
    volumes = {r.inputs["name"] for r in local.find("Volume")}
    assert {"ai-service-local-postgres-data", "ai-service-local-redis-data", "ai-service-local-storage-data"} <= volumes
    mounts = {m["containerPath"] for m in containers(local)["postgres"]["volumes"]}
    assert mounts == {"/var/lib/postgresql/data"}


def test_service_image_is_built_locally_and_never_pushed(local):
    build = local.one("docker-build:index:Image").inputs
    assert build["push"] is False and build["load"] is True
    assert build["context"]["location"] == "app"  # project-relative: the same state on every machine
    service_id = local.one("RemoteImage", "service-image").outputs["imageId"]
    assert {containers(local)[n]["image"] for n in ("api-1", "migrate", "worker-cleanup-1")} == {service_id}


def test_prebuilt_image_is_pulled_not_built(plan_stack):
    ref = "ghcr.io/example/ai-service:1.2.3"
    result = plan_stack("local", image=ref)
    assert result.find("docker-build:index:Image") == []
    assert result.one("RemoteImage", "service-image").inputs["name"] == ref
    assert f"image: {ref}" in result.artifacts["compose.yaml"]


def test_third_party_images_are_pinned(local):
    for r in local.find("RemoteImage"):
        if r.name != "service-image":
            assert ":" in r.inputs["name"] and not r.inputs["name"].endswith(":latest"), r.inputs["name"]
    assert any(
        r.inputs["name"].startswith("pgvector/pgvector:0.8.") and r.inputs["name"].endswith("-pg16")
        for r in local.find("RemoteImage")
    )


def test_monitoring_off_runs_no_monitoring_containers(plan_stack):
    result = plan_stack("local", monitoring=False)
    assert not {"prometheus", "grafana", "alertmanager"} & set(containers(result))
    assert "grafana_url" not in result.outputs


def test_compose_file_is_the_shared_renderer_over_the_same_specs(local, plan_stack):
    specs = local_containers(local.settings)
    assert local.artifacts["compose.yaml"] == render_compose(specs, project="ai-service-local")
    droplet = yaml.safe_load(plan_stack("dev").artifacts["compose.yaml"])["services"]
    here = yaml.safe_load(local.artifacts["compose.yaml"])["services"]
    for name in ("redis", "migrate", "api-1", "worker-documents-1"):
        for key in ("command", "healthcheck", "mem_limit", "cpus", "restart", "stop_grace_period"):
            assert here[name].get(key) == droplet[name].get(key), (name, key)


def test_log_collection_finds_the_pulumi_run_containers(local):
    alloy = local.artifacts["alloy/config.alloy"]
    assert 'values = ["com.docker.compose.project=ai-service-local"]' in alloy
    for name, c in containers(local).items():
        labels = {label["label"]: label["value"] for label in c["labels"]}
        assert labels["com.docker.compose.project"] == "ai-service-local", name
        assert labels["com.docker.compose.service"] == name
