"""Central logs on the docker hosts (droplet, local): containers, files, memory budget."""

from __future__ import annotations

import json

import pytest
import yaml

from infra.render.dockerhost import capacity, topology
from infra.render.observability import logs
from infra.settings import ConfigError
from infra.settings.model import Settings
from tests.fixtures.plan import plan_with
from tests.support import alloy

LOG_FILES = {
    logs.LOKI_CONFIG_FILE,
    logs.LOKI_RULES_PATH,
    logs.ALLOY_CONFIG_FILE,
    logs.LOKI_DATASOURCE_FILE,
    "grafana/dashboards/ai-service-logs.json",
}


def _compose(result) -> dict:
    return yaml.safe_load(result.artifacts["compose.yaml"])


def test_droplet_runs_loki_and_alloy_with_limits_and_files(plan_stack) -> None:
    result = plan_stack("dev")
    services = _compose(result)["services"]
    assert services["loki"]["mem_limit"] == "256m" and services["alloy"]["mem_limit"] == "128m"
    assert services["loki"]["image"] == logs.LOKI_IMAGE and services["alloy"]["image"] == logs.ALLOY_IMAGE
    assert "ports" not in services["loki"] and "ports" not in services["alloy"]  # nothing published
    assert LOG_FILES <= result.artifacts.keys()
    loki = yaml.safe_load(result.artifacts[logs.LOKI_CONFIG_FILE])
    assert loki["limits_config"]["retention_period"] == "168h"  # logs.retentionDays default 7
    assert loki["ruler"]["external_labels"] == {"stack": "dev"}


def test_retention_follows_the_setting(plan_stack) -> None:
    result = plan_stack("dev", logs={"enabled": True, "retentionDays": 14})
    assert yaml.safe_load(result.artifacts[logs.LOKI_CONFIG_FILE])["limits_config"]["retention_period"] == "336h"


@pytest.mark.parametrize(
    "overrides", [{"logs": {"enabled": False}}, {"monitoring": False}], ids=["logs-off", "monitoring-off"]
)
def test_logs_off_runs_nothing_of_it(plan_stack, overrides) -> None:
    result = plan_stack("dev", **overrides)
    assert not {"loki", "alloy"} & _compose(result)["services"].keys()
    assert not LOG_FILES & result.artifacts.keys()


def test_local_alloy_reads_the_local_compose_project(plan_stack) -> None:
    result = plan_stack("local")
    project = _compose(result)["name"]
    docker = alloy.component(alloy.parse(result.artifacts[logs.ALLOY_CONFIG_FILE]), "discovery.docker", "containers")
    assert docker.children("filter")[0].attrs["values"] == [f"com.docker.compose.project={project}"]


def _droplet_memory(settings: Settings) -> list[str]:
    probe = topology.HostProfile(image="probe", s3_bucket="probe", s3_region="probe")
    return capacity.memory_problems(topology.docker_host_containers(settings, probe), settings.droplet.size)


def test_default_droplet_holds_logs_within_the_budget() -> None:
    specs = topology.docker_host_containers(
        Settings(target="droplet"), topology.HostProfile(image="i", s3_bucket="b", s3_region="r")
    )
    total = sum(s.memory_mib for s in specs)
    assert (
        total == 3104 + topology.SCHEDULER_MEMORY_MIB + logs.LOGS_MEMORY_MIB
    )  # docs/targets/droplet.md shows it (generated)
    assert total <= int(4096 * capacity.HOST_MEMORY_SHARE)
    assert _droplet_memory(Settings(target="droplet")) == []


def test_plan_names_logs_when_they_tip_the_droplet_over() -> None:
    """One more cleanup worker (256 MiB) still fits without logs, not with them: the plan says so."""
    workers = [
        {"name": "documents", "queues": ["document_processing"], "replicas": 2},
        {"name": "cleanup", "queues": ["cleanup_tasks"], "replicas": 2, "cpu": 0.25, "memory": 256},
    ]
    assert _droplet_memory(Settings(target="droplet", workers=workers, logs={"enabled": False})) == []
    with pytest.raises(ConfigError) as error:
        plan_with("dev", workers=workers)
    (problem,) = error.value.problems
    assert problem.startswith("ai-service:logs: Loki and Alloy need 384 MiB")
    assert (
        "only 182 MiB" in problem
        and "(3504 MiB)" in problem
        and "3686 MiB" in problem
        and "logs.enabled: false" in problem
    )


def test_every_datasource_the_dashboards_use_is_provisioned(plan_stack) -> None:
    """Grafana shows "datasource not found" for a uid no provisioning file declares."""
    files = plan_stack("dev").artifacts
    provisioned = [
        ds["uid"]
        for path, text in files.items()
        if path.startswith("grafana/provisioning/datasources/")
        for ds in yaml.safe_load(text)["datasources"]
    ]
    assert len(provisioned) == len(set(provisioned)) and logs.LOKI_DATASOURCE_UID in provisioned

    def uids(node) -> set[str]:
        if isinstance(node, dict):
            found = (
                {node["uid"]} if {"type", "uid"} <= node.keys() and node["type"] in ("loki", "prometheus") else set()
            )
            return found.union(*(uids(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(uids(v) for v in node))
        return set()

    used = set().union(
        *(uids(json.loads(text)) for path, text in files.items() if path.startswith("grafana/dashboards/"))
    )
    assert logs.LOKI_DATASOURCE_UID in used and used <= set(provisioned)
