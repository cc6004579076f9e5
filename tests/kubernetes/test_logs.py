"""Central logs on Kubernetes: Helm values for Loki and Alloy, and our ConfigMaps."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.render.kubernetes import logs as k8s_logs
from infra.render.observability import logs
from tests.support import alloy

KEYS_DIR = Path(__file__).parent / "chart_keys"
LOKI_SCHEMA = json.loads((Path(__file__).parents[1] / "renderers" / "schemas" / "loki-config.schema.json").read_text())


def _leaf_paths(value, prefix=""):
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from _leaf_paths(child, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix


def _undocumented(values: dict, chart) -> list[str]:
    keys_file = KEYS_DIR / f"{chart.chart}-{chart.version}.txt"
    assert keys_file.exists(), f"bumped {chart.chart} to {chart.version}: add {keys_file.name} from its values.yaml"
    keys = {line.strip() for line in keys_file.read_text().splitlines() if line.strip() and not line.startswith("#")}

    def documented(path: str) -> bool:
        parts = path.split(".")
        return path in keys or any(".".join(parts[:i]) + ".*" in keys for i in range(1, len(parts)))

    return [p for p in _leaf_paths(values) if not documented(p)]


@pytest.mark.parametrize(
    ("chart", "values"),
    [
        (k8s_logs.LOKI_CHART, k8s_logs.loki_values("prod", 7)),
        (k8s_logs.ALLOY_CHART, k8s_logs.alloy_values("ai-service")),
    ],
    ids=["loki", "alloy"],
)
def test_values_set_only_documented_keys(chart, values) -> None:
    assert chart.version[0].isdigit() and chart.namespace == "monitoring"
    assert _undocumented(values, chart) == []


def test_misspelled_value_is_caught() -> None:
    values = k8s_logs.loki_values("prod", 7)
    values["singleBinary"]["persistance"] = values["singleBinary"].pop("persistence")
    assert _undocumented(values, k8s_logs.LOKI_CHART) == [
        "singleBinary.persistance.enabled",
        "singleBinary.persistance.size",
    ]


@pytest.mark.parametrize("days", [3, 30])
def test_loki_config_blocks_match_the_documented_schema(days: int) -> None:
    """The chart writes these value sections into loki.yaml verbatim: each must be a valid block."""
    loki = k8s_logs.loki_values("prod", days)["loki"]
    blocks = {
        "limits_config": loki["limits_config"],
        "compactor": loki["compactor"],
        "ruler": loki["rulerConfig"],
        "schema_config": loki["schemaConfig"],
        "querier": loki["querier"],
        "ingester": loki["ingester"],
    }
    for name, block in blocks.items():
        errors = list(
            jsonschema.Draft202012Validator(
                LOKI_SCHEMA["properties"][name] | {"$defs": LOKI_SCHEMA["$defs"]}
            ).iter_errors(block)
        )
        assert not errors, (name, [e.message for e in errors])
    assert loki["limits_config"]["retention_period"] == f"{days * 24}h"
    assert loki["compactor"]["retention_enabled"] and loki["compactor"]["delete_request_store"] == "filesystem"


def test_single_binary_keeps_its_data_on_a_volume_and_alerts_the_stack_alertmanager() -> None:
    values = k8s_logs.loki_values("prod", 7)
    assert values["deploymentMode"] == "SingleBinary"
    assert values["singleBinary"]["persistence"] == {"enabled": True, "size": f"{k8s_logs.LOKI_STORAGE_GI}Gi"}
    assert values["singleBinary"]["resources"]["limits"]["memory"]
    ruler = values["loki"]["rulerConfig"]
    assert ruler["alertmanager_url"] == "http://kube-prometheus-stack-alertmanager.monitoring.svc:9093"
    assert ruler["external_labels"] == {"stack": "prod"}
    assert ruler["rule_path"].startswith(k8s_logs.LOKI_DATA_DIR)  # writable: the root filesystem is read-only
    # The rules ConfigMap is mounted where the ruler reads the (single) tenant's files.
    mount = values["singleBinary"]["extraVolumeMounts"][0]
    assert mount["mountPath"] == f"{ruler['storage']['local']['directory']}/{logs.TENANT}"
    volume = values["singleBinary"]["extraVolumes"][0]
    assert volume["name"] == mount["name"] and volume["configMap"]["name"] == k8s_logs.RULES_CONFIG_MAP
    # Nothing of the scalable modes, no gateway, caches, canary, test pod or MinIO.
    assert all(values[c]["replicas"] == 0 for c in ("read", "write", "backend"))
    assert not any(
        values[c]["enabled"] for c in ("gateway", "chunksCache", "resultsCache", "lokiCanary", "test", "minio")
    )


def test_alloy_reads_the_app_namespace_and_pushes_to_loki() -> None:
    values = k8s_logs.alloy_values("ai-service")
    assert values["controller"]["type"] == "daemonset" and values["alloy"]["mounts"]["varlog"] is True
    config = alloy.parse(values["alloy"]["configMap"]["content"])
    assert alloy.validate(config) == []
    pods = alloy.component(config, "discovery.kubernetes", "pods")
    assert pods.children("namespaces")[0].attrs["names"] == ["ai-service"]
    endpoint = alloy.component(config, "loki.write", logs.WRITER).children("endpoint")[0]
    assert endpoint.attrs["url"] == f"{k8s_logs.LOKI_URL}/loki/api/v1/push"
    assert "{{" not in values["alloy"]["configMap"]["content"]  # the chart passes it through `tpl`


def test_config_maps_feed_the_ruler_and_grafana_sidecars() -> None:
    by_name = {o["metadata"]["name"]: o for o in k8s_logs.objects()}
    rules = by_name[k8s_logs.RULES_CONFIG_MAP]
    assert yaml.safe_load(rules["data"][logs.LOKI_RULES_FILE]) == logs.log_rule_groups()
    datasource = by_name["grafana-datasource-loki"]
    assert datasource["metadata"]["labels"]["grafana_datasource"] == "1"
    ds = yaml.safe_load(datasource["data"]["loki.yaml"])["datasources"][0]
    assert ds["uid"] == logs.LOKI_DATASOURCE_UID and ds["url"] == k8s_logs.LOKI_URL
    dashboard = by_name["dashboard-ai-service-logs"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dashboard["data"]["ai-service-logs.json"])["uid"] == "ai-service-logs"
    assert all(o["metadata"]["namespace"] == "monitoring" for o in by_name.values())
