"""Central logs on Kubernetes: Loki (Helm, single binary, persistent volume) and Alloy (Helm,
DaemonSet reading the app namespace's pod logs), in the monitoring namespace next to
kube-prometheus-stack.

Our own objects are ConfigMaps: the Loki ruler's rule file (mounted into Loki), the Grafana
datasource and the logs dashboard (both picked up by kube-prometheus-stack's Grafana sidecars).
The Loki config the chart renders reuses `infra.render.observability.logs` (schema, limits, ruler),
so labels, retention and the alert are the same as on the docker hosts. Helm ignores
misspelled values: tests check every key path set here against
tests/kubernetes/chart_keys/<chart>-<version>.txt.
"""

from __future__ import annotations

from typing import Any

import yaml

from infra.render.kubernetes.charts import KUBE_PROMETHEUS_STACK, Chart
from infra.render.kubernetes.workloads import metadata
from infra.render.observability import logs
from infra.render.observability.dashboards import dashboard_json
from infra.render.observability.log_dashboard import LOGS_DASHBOARD_UID, logs_dashboard

# renovate: datasource=helm depName=loki registryUrl=https://grafana.github.io/helm-charts
LOKI_CHART_VERSION = "6.29.0"
# renovate: datasource=helm depName=alloy registryUrl=https://grafana.github.io/helm-charts
ALLOY_CHART_VERSION = "0.12.5"

NAMESPACE = KUBE_PROMETHEUS_STACK.namespace
LOKI_CHART = Chart("loki", "loki", LOKI_CHART_VERSION, "https://grafana.github.io/helm-charts", NAMESPACE)
ALLOY_CHART = Chart("alloy", "alloy", ALLOY_CHART_VERSION, "https://grafana.github.io/helm-charts", NAMESPACE)

LOKI_URL = f"http://{LOKI_CHART.release}.{NAMESPACE}.svc:{logs.LOKI_PORT}"  # the single-binary Service
# kube-prometheus-stack names its Alertmanager Service <fullname>-alertmanager (fullname = release name here).
ALERTMANAGER_URL = f"http://{KUBE_PROMETHEUS_STACK.release}-alertmanager.{NAMESPACE}.svc:9093"
LOKI_STORAGE_GI = 10
LOKI_DATA_DIR = "/var/loki"  # the chart's persistent volume
RULES_CONFIG_MAP = "loki-rules"
COMPONENT = "logs"


def loki_values(stack: str, retention_days: int, storage_gi: int = LOKI_STORAGE_GI) -> dict[str, Any]:
    """Single binary, filesystem storage on its PersistentVolume, no gateway/caches/canary."""
    docker_host = logs.loki_config(
        logs.LokiInputs(stack=stack, retention_days=retention_days, alertmanager_url=ALERTMANAGER_URL, memory_mib=512)
    )
    ruler = {k: v for k, v in docker_host["ruler"].items() if k != "ring"}
    ruler["rule_path"] = f"{LOKI_DATA_DIR}/rules-temp"
    return {
        "deploymentMode": "SingleBinary",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": logs.schema_config(),
            "limits_config": logs.limits_config(retention_days),
            "compactor": {**docker_host["compactor"], "working_directory": f"{LOKI_DATA_DIR}/compactor"},
            "rulerConfig": ruler,
            "querier": docker_host["querier"],
            "ingester": docker_host["ingester"],
            "pattern_ingester": {"enabled": False},
            "analytics": {"reporting_enabled": False},
        },
        "singleBinary": {
            "replicas": 1,
            "persistence": {"enabled": True, "size": f"{storage_gi}Gi"},
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
            "extraEnv": [{"name": "GOMEMLIMIT", "value": "400MiB"}],
            # The ruler reads <directory>/<tenant>/*.yml; our ConfigMap holds the one rule file.
            "extraVolumes": [{"name": "rules", "configMap": {"name": RULES_CONFIG_MAP}}],
            "extraVolumeMounts": [
                {"name": "rules", "mountPath": f"{logs.LOKI_RULES_DIR}/{logs.TENANT}", "readOnly": True}
            ],
        },
        "ruler": {"enabled": True},  # its config; in SingleBinary mode it runs inside the one pod
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        "minio": {"enabled": False},
        "sidecar": {"rules": {"enabled": False}},
    }


def alloy_values(app_namespace: str) -> dict[str, Any]:
    """A DaemonSet: each node's Alloy tails the app namespace's pod log files under /var/log/pods."""
    return {
        "alloy": {
            "configMap": {"create": True, "content": logs.alloy_kubernetes_config(app_namespace, LOKI_URL)},
            "mounts": {"varlog": True},
            "enableReporting": False,
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "extraEnv": [{"name": "GOMEMLIMIT", "value": "200MiB"}],
        },
        "controller": {"type": "daemonset"},
        "crds": {"create": False},  # PodLogs CRDs are not used
    }


def _config_map(name: str, data: dict[str, str], **labels: str) -> dict[str, Any]:
    meta = metadata(name, NAMESPACE, COMPONENT)
    meta["labels"] |= labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def objects() -> list[dict[str, Any]]:
    """Rule file for the Loki ruler, Grafana datasource and dashboard (sidecar-loaded by label)."""
    datasource = yaml.safe_dump({"apiVersion": 1, "datasources": [logs.loki_datasource(LOKI_URL)]}, sort_keys=False)
    return [
        _config_map(RULES_CONFIG_MAP, {logs.LOKI_RULES_FILE: logs.render_log_rules_yaml()}),
        _config_map("grafana-datasource-loki", {"loki.yaml": datasource}, grafana_datasource="1"),
        _config_map(
            f"dashboard-{LOGS_DASHBOARD_UID}",
            {f"{LOGS_DASHBOARD_UID}.json": dashboard_json(logs_dashboard())},
            grafana_dashboard="1",
        ),
    ]
