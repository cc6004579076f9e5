"""Loki config, ruler rules and the docker-host file set.

No Loki binary exists for this machine (no Debian package, nothing on PyPI ships it), so the
rendered config is checked against a JSON Schema derived from Loki's configuration reference
(tests/renderers/schemas/loki-config.schema.json), and the rule file's structure by promtool
(Loki's ruler reads the Prometheus rule-file format; only the expressions are LogQL, and those
are parsed in test_logs_logql.py).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.render.observability import logs
from infra.render.observability.log_dashboard import render_log_files
from infra.render.observability.render import MonitoringInputs, render_monitoring_files, write_files
from infra.render.observability.services import ALERTMANAGER
from tests.support.tools import require_tool

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "loki-config.schema.json").read_text())


def _validate(config: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(config)]


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_rendered_config_matches_the_documented_schema(days: int) -> None:
    text = logs.render_loki_yaml(logs.LokiInputs(stack="dev", retention_days=days))
    assert _validate(yaml.safe_load(text)) == []


def test_schema_rejects_what_loki_rejects() -> None:
    """The schema is closed like Loki's loader: a typo or a missing delete store fails."""
    config = logs.loki_config(logs.LokiInputs(stack="dev"))
    typo = copy.deepcopy(config)
    typo["limits_config"]["retention_perod"] = typo["limits_config"].pop("retention_period")
    assert any("retention_perod" in e for e in _validate(typo))
    no_store = copy.deepcopy(config)
    del no_store["compactor"]["delete_request_store"]
    assert _validate(no_store)


@pytest.mark.parametrize("days", [1, 7, 14])
def test_retention_comes_from_settings(days: int) -> None:
    config = logs.loki_config(logs.LokiInputs(stack="dev", retention_days=days))
    assert config["limits_config"]["retention_period"] == f"{days * 24}h"
    assert config["compactor"]["retention_enabled"] is True
    # Lines older than the retention are refused at the door instead of stored and deleted.
    assert config["limits_config"]["reject_old_samples_max_age"] == f"{min(days, 7) * 24}h"


@pytest.mark.parametrize("days", [0, 366])
def test_retention_outside_limits_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="retention"):
        logs.LokiInputs(stack="dev", retention_days=days)


def test_no_extra_label_is_derived_by_loki() -> None:
    limits = logs.loki_config(logs.LokiInputs(stack="dev"))["limits_config"]
    assert limits["discover_service_name"] == []  # else Loki adds a service_name label
    assert limits["max_global_streams_per_user"] <= 1000


def test_ruler_sends_to_alertmanager_with_the_stack_label() -> None:
    ruler = logs.loki_config(logs.LokiInputs(stack="prod"))["ruler"]
    assert ruler["alertmanager_url"] == f"http://{ALERTMANAGER}:9093"
    assert ruler["external_labels"] == {"stack": "prod"}  # same label Prometheus alerts carry


def test_rule_file_structure_passes_promtool(tmp_path: Path) -> None:
    promtool = require_tool("promtool", "apt-get install -y prometheus")
    groups = yaml.safe_load(logs.render_log_rules_yaml())
    for group in groups["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("critical", "warning")
            assert {"summary", "description", "runbook"} <= rule["annotations"].keys()
            rule["expr"] = "vector(1)"  # LogQL is checked by test_logs_logql; the rest is rulefmt
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(groups))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_land_where_the_ruler_reads_them() -> None:
    """local ruler storage reads <directory>/<tenant>/*.yml; without auth the tenant is `fake`."""
    files = render_log_files(logs.LogInputs(stack="dev"))
    loki = next(s for s in logs.log_services() if s.name == logs.LOKI)
    rules_mount = next(m for m in loki.mounts if m.target == logs.LOKI_RULES_DIR)
    ruler_dir = logs.loki_config(logs.LokiInputs(stack="dev"))["ruler"]["storage"]["local"]["directory"]
    assert ruler_dir == rules_mount.target
    assert f"{rules_mount.source}/{logs.TENANT}/{logs.LOKI_RULES_FILE}" in files


def test_every_file_a_container_mounts_is_rendered() -> None:
    files = render_log_files(logs.LogInputs(stack="dev"))
    for service in logs.log_services():
        for mount in service.mounts:
            if mount.volume or mount.source.startswith("/"):
                continue
            assert mount.source in files or any(p.startswith(mount.source + "/") for p in files), mount


def test_containers_are_pinned_limited_and_counted() -> None:
    by_name = {s.name: s for s in logs.log_services()}
    assert set(by_name) == {logs.LOKI, logs.ALLOY}
    for service in by_name.values():
        assert ":" in service.image and not service.image.endswith(":latest")
        assert service.environment["GOMEMLIMIT"] == service.go_memory_limit
    assert by_name[logs.LOKI].memory_mib == 256 and by_name[logs.ALLOY].memory_mib == 128
    assert sum(s.memory_mib for s in by_name.values()) == logs.LOGS_MEMORY_MIB
    assert by_name[logs.LOKI].uid != 0  # only Alloy needs root (the Docker socket)
    assert not any(m.target == "/var/run/docker.sock" and not m.read_only for m in by_name[logs.ALLOY].mounts)


@pytest.mark.parametrize(
    ("service", "component"), [("api", "api"), ("worker-documents", "worker"), ("migrate", "migrate")]
)
def test_log_alert_carries_what_routing_and_inhibition_compare(tmp_path: Path, service: str, component: str) -> None:
    """Alertmanager groups by alertname/stack/component and lets a critical alert of the same stack
    and component (ApiHighErrorRate: component=api) mute this warning; routed by the real amtool."""
    rule = logs.log_rule_groups()["groups"][0]["rules"][0]
    # label_replace(v, "component", "$1", "service", REGEX): Loki anchors REGEX like Prometheus does.
    regex = re.search(r'"service", "(.+?)"\) >', rule["expr"]).group(1)
    assert re.fullmatch(regex, service).expand(r"\1") == component
    stack = logs.loki_config(logs.LokiInputs(stack="dev"))["ruler"]["external_labels"]["stack"]
    amtool = require_tool("amtool", "apt-get install -y prometheus-alertmanager")
    write_files(
        render_monitoring_files(MonitoringInputs("dev", ("api-1",), ("worker-documents-1",), slack_enabled=True)),
        tmp_path,
    )
    labels = {"alertname": rule["alert"], **rule["labels"], "service": service, "component": component, "stack": stack}
    result = subprocess.run(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={tmp_path / 'alertmanager/alertmanager.yml'}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "slack"
