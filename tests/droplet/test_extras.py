"""Accessories, the scheduler and bring-your-own services on the droplet, under the offline plan."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from infra.render.dockerhost.topology import (
    API_UPSTREAM_FILE,
    INTERNAL_API_PORT,
    JOB_TIMEOUT_S,
    SCHEDULER_MEMORY_MIB,
    heartbeat_probe,
)
from infra.settings import ConfigError
from infra.settings.extras import DEFAULT_SCHEDULES
from infra.tooling.values import Secret, masked, unwrapped
from tests.fixtures.plan import plan_with
from tests.support.tls import self_signed

TOKEN = "SENTINEL-gateway-token-3e8b"
BYO_DATABASE = "postgresql://app:SENTINEL-db-pw-61af@db.example.net:25060/app?sslmode=require"
BYO_REDIS = "rediss://default:SENTINEL-redis-pw-0c4d@cache.example.net:25061/0"
IMAGE_A = "registry.digitalocean.com/ai-service/ai-service@sha256:" + "a" * 64
IMAGE_B = "registry.digitalocean.com/ai-service/ai-service@sha256:" + "b" * 64
GATEWAY = {
    "name": "gateway",
    "image": "ghcr.io/example/wa-gateway:1.4.2",
    "port": 3000,
    "env": {"LOG_LEVEL": "info"},
    "secretEnv": {"GATEWAY_TOKEN": TOKEN},
    "volumes": [{"name": "sessions", "path": "/data", "sizeGi": 2}],
    "memory": 160,
    "cpu": 0.25,
}
HELPDESK = {"name": "helpdesk", "image": "ghcr.io/example/helpdesk:2.0.1", "port": 8080, "public": True, "memory": 96}
# The default droplet holds the service with logs on and 6 MiB to spare: accessories need logs off (or a bigger size).
ROOM = {"logs": {"enabled": False}}


def _objects(result) -> dict:
    return {unwrapped(o.inputs)["key"]: o for o in result.find("BucketObjectv2")}


def manifest(result) -> dict:
    return json.loads(_objects(result)["releases/manifest.json"].inputs["content"])


def secret_files(result) -> dict[str, str]:
    content = _objects(result)["releases/secrets.json"].inputs["content"]
    assert isinstance(content, Secret)
    return json.loads(unwrapped(content))["files"]


def services(result) -> dict:
    return yaml.safe_load(result.artifacts["compose.yaml"])["services"]


def release_env(result) -> dict[str, str]:
    lines = manifest(result)["release_env"].splitlines()
    return {k: v.strip("'") for k, v in (line.split("=", 1) for line in lines)}


@pytest.fixture(scope="module")
def extras(plan_stack):
    return plan_stack("dev", accessories=Secret([GATEWAY, HELPDESK]), image=IMAGE_A, **ROOM)


def test_accessory_runs_private_with_its_volume_limits_and_env_file(extras):
    gateway = services(extras)["gateway"]
    assert gateway["image"] == "ghcr.io/example/wa-gateway:1.4.2"
    assert "ports" not in gateway  # only nginx is published
    assert gateway["volumes"] == ["gateway-sessions:/data"]
    assert "gateway-sessions" in yaml.safe_load(extras.artifacts["compose.yaml"])["volumes"]
    assert gateway["environment"] == {"LOG_LEVEL": "info"}
    assert gateway["env_file"] == ["secrets/accessory-gateway.env"]
    assert (gateway["mem_limit"], gateway["cpus"], gateway["restart"]) == ("160m", 0.25, "unless-stopped")
    assert gateway["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
    assert gateway["security_opt"] == ["no-new-privileges:true"]  # a third-party image gains no privileges
    assert "location ^~ /gateway/" not in extras.artifacts["nginx/nginx.conf"]  # private: no route
    assert "gateway" not in services(extras)["nginx"]["depends_on"]
    # The service reaches it by name; the rollout treats it as a support service (up --no-deps).
    for name in ("api-1", "worker-documents-1", "worker-cleanup-1"):
        assert services(extras)[name]["environment"]["ACCESSORY_GATEWAY_URL"] == "http://gateway:3000", name
        assert services(extras)[name]["environment"]["ACCESSORY_HELPDESK_URL"] == "http://helpdesk:8080", name
    assert {"gateway", "helpdesk"} <= set(release_env(extras)["SUPPORT_SERVICES"].split())


def test_accessory_secret_reaches_only_its_env_file_inside_the_secret_manifest(extras):
    assert not extras.problems, extras.problems
    assert TOKEN not in json.dumps(masked(extras.as_dict()))
    for path, text in extras.artifacts.items():
        assert TOKEN not in str(text), f"the accessory secret leaked into {path}"
    assert TOKEN not in json.dumps(manifest(extras))
    files = secret_files(extras)
    assert files["secrets/accessory-gateway.env"] == f"GATEWAY_TOKEN='{TOKEN}'\n"
    assert not any(TOKEN in text for path, text in files.items() if path != "secrets/accessory-gateway.env")
    assert "secrets/accessory-helpdesk.env" not in files  # no secretEnv, no file


def test_public_accessory_is_routed_under_its_prefix(extras):
    nginx = extras.artifacts["nginx/nginx.conf"]
    assert "upstream accessory-helpdesk {\n        server helpdesk:8080 max_fails=0;" in nginx
    assert "location ^~ /helpdesk/ {" in nginx and "proxy_pass http://accessory-helpdesk/;" in nginx
    assert services(extras)["nginx"]["depends_on"]["helpdesk"] == {"condition": "service_started"}
    assert "ports" not in services(extras)["helpdesk"]


def test_accessory_definition_is_identical_for_image_a_and_b(extras, plan_stack):
    other = plan_stack("dev", accessories=Secret([GATEWAY, HELPDESK]), image=IMAGE_B, **ROOM)
    for name in ("gateway", "helpdesk"):
        assert services(extras)[name] == services(other)[name], name
    assert services(extras)["api-1"]["image"] != services(other)["api-1"]["image"]
    assert manifest(extras)["version"] != manifest(other)["version"]


def test_accessory_memory_counts_in_the_droplet_budget(extras):
    memory = extras.outputs["memoryLimitsMiB"]
    assert (memory["gateway"], memory["helpdesk"]) == (160, 96)
    assert memory["total"] == sum(v for k, v in memory.items() if k not in {"total", "allowed"}) <= memory["allowed"]
    with pytest.raises(ConfigError, match=r"ai-service:accessories: accessories need 1024 MiB .*gateway 1024"):
        plan_with("dev", accessories=Secret([{**GATEWAY, "memory": 1024}]), **ROOM)


def test_default_droplet_still_fits_with_the_scheduler(plan_stack):
    memory = plan_stack("dev").outputs["memoryLimitsMiB"]
    assert memory["scheduler"] == SCHEDULER_MEMORY_MIB
    assert memory["total"] <= memory["allowed"] == 3686


def test_scheduler_runs_the_schedules_with_the_app_env_and_a_heartbeat_probe(extras):
    scheduler = services(extras)["scheduler"]
    assert scheduler["image"] == IMAGE_A
    assert (scheduler["entrypoint"], scheduler["command"]) == (["ai-service"], ["scheduler"])
    # commands.scheduler is the whole argv: the reference scheduler's own default grace is the job timeout.
    from ai_service.cli import parser

    assert parser().parse_args(["scheduler"]).grace == JOB_TIMEOUT_S
    expected = [{"name": s.name, "cron": s.cron, "command": list(s.command)} for s in DEFAULT_SCHEDULES]
    assert (
        json.loads(scheduler["environment"]["SCHEDULES"])
        == expected
        == [{"name": "cleanup", "cron": "0 * * * *", "command": ["enqueue-cleanup"]}]
    )
    assert scheduler["env_file"] == ["secrets/app.env"]  # DATABASE_URL, REDIS_URL for the jobs it starts
    assert scheduler["healthcheck"]["test"] == list(heartbeat_probe().test)
    assert int(scheduler["stop_grace_period"].rstrip("s")) >= JOB_TIMEOUT_S
    assert scheduler["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert scheduler["security_opt"] == ["no-new-privileges:true"] and "ports" not in scheduler
    env = release_env(extras)
    assert env["WORKER_SERVICES"].split()[-1] == "scheduler"  # replaced after the API, health-gated
    assert "scheduler" not in env["SUPPORT_SERVICES"].split()
    scrape = yaml.safe_load(extras.artifacts["prometheus/prometheus.yml"])
    targets = {t for job in scrape["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
    assert not any(t.startswith("scheduler") for t in targets)


def test_custom_schedules_and_none(plan_stack):
    nightly = [{"name": "reindex", "cron": "30 2 * * *", "command": ["reindex"]}]
    result = plan_stack("dev", schedules=nightly)
    assert json.loads(services(result)["scheduler"]["environment"]["SCHEDULES"]) == nightly
    none = plan_stack("dev", schedules=[])
    assert "scheduler" not in services(none) and "scheduler" not in none.outputs["memoryLimitsMiB"]
    assert "scheduler" not in release_env(none)["WORKER_SERVICES"].split()


@pytest.fixture(scope="module")
def byo(plan_stack):
    return plan_stack("dev", database=Secret({"url": BYO_DATABASE}), redis=Secret({"url": BYO_REDIS}))


def test_bring_your_own_database_removes_managed_postgres_and_its_cost(plan_stack, byo):
    assert not byo.find("DatabaseCluster") and not byo.find("DatabaseFirewall")
    dev = plan_stack("dev")
    database_line = sum(i.monthly_usd for i in dev.cost.items if i.type.endswith("DatabaseCluster"))
    assert database_line == 15
    assert byo.cost.monthly_usd == pytest.approx(dev.cost.monthly_usd - database_line)
    app = secret_files(byo)["secrets/app.env"]
    assert f"DATABASE_URL='{BYO_DATABASE}'" in app
    assert secret_files(byo)["secrets/migrate.env"] == f"MIGRATE_DATABASE_URL='{BYO_DATABASE}'\n"


def test_bring_your_own_redis_removes_the_container_and_its_backup(byo):
    compose = services(byo)
    assert "redis" not in compose
    for name in ("api-1", "worker-documents-1", "migrate", "scheduler"):
        assert "redis" not in compose[name].get("depends_on", {}), name
    files = secret_files(byo)
    assert f"REDIS_URL='{BYO_REDIS}'" in files["secrets/app.env"]
    assert "secrets/redis.env" not in files
    # The exporter watches the Redis you brought: its URL only in the exporter's env file.
    assert "REDIS_ADDR" not in compose["redis-exporter"]["environment"]
    assert compose["redis-exporter"]["env_file"] == ["secrets/redis-exporter.env"]
    assert files["secrets/redis-exporter.env"] == f"REDIS_ADDR='{BYO_REDIS}'\n"
    assert release_env(byo)["REDIS_SERVICE"] == ""  # backup.sh / healthcheck.sh skip the local Redis
    assert not [r for r in byo.find("RandomPassword") if r.name.endswith("-redis")]
    for secret in (BYO_DATABASE, BYO_REDIS):
        assert secret not in json.dumps(masked(byo.as_dict()))
        assert not any(secret in str(text) for text in byo.artifacts.values())


def test_internal_listener_presents_webhooks_as_the_https_site(plan_stack, tmp_path):
    """Behind TLS the service redirects plain HTTP and refuses other Hosts: the internal listener sends the domain
    and `https`, so an accessory's call is served like a browser's (real nginx, self-signed certificate)."""
    from tests.fixtures.services import free_port
    from tests.local.test_edge import _App, _nginx, _serve

    plan = plan_stack(
        "dev",
        accessories=Secret([{**GATEWAY, "callsApi": True}]),
        domain="api.example.com",
        letsencryptEmail="ops@example.com",
        appEnv="production",
        **ROOM,
    )
    assert services(plan)["gateway"]["environment"]["AI_SERVICE_API_URL"] == f"http://nginx:{INTERNAL_API_PORT}"
    self_signed(tmp_path, "api.example.com")
    internal, https = free_port(), free_port()
    with (
        _serve(_App) as api,
        _nginx(
            plan.artifacts["nginx/nginx.conf"],
            {},
            tmp_path,
            also={
                f"include {API_UPSTREAM_FILE};": f"server 127.0.0.1:{api} max_fails=0;",
                f"listen {INTERNAL_API_PORT};": f"listen 127.0.0.1:{internal};",
                "listen 443 ssl": f"listen 127.0.0.1:{https} ssl",
                "/etc/nginx/tls": str(tmp_path),
            },
        ),
    ):
        seen = httpx.get(f"http://127.0.0.1:{internal}/api/v1/whoami", headers={"host": "nginx"})
        assert seen.json() == {"host": "api.example.com", "proto": "https"}


def test_accessory_volumes_are_named_in_the_release_for_the_backup(extras, plan_stack):
    assert release_env(extras)["ACCESSORY_VOLUMES"] == "gateway/sessions"  # backup.sh archives each of them
    assert "ACCESSORY_VOLUMES" not in release_env(plan_stack("dev"))
    # compose names the volume <project>_<accessory>-<volume>: what lib.sh's volume_dir inspects.
    assert "gateway-sessions:/data" in services(extras)["gateway"]["volumes"]
