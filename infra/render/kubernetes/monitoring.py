"""Our objects for kube-prometheus-stack: ServiceMonitors (job label = component, so the shared
rules' `job="api"` etc. match), the shared alert rules as a PrometheusRule, and the shared
dashboards as ConfigMaps Grafana's sidecar loads (`grafana_dashboard: "1"`).

kube-prometheus-stack selects only objects labelled `release: <release name>`.
"""

from __future__ import annotations

from infra.render.kubernetes.workloads import metadata, selector
from infra.render.observability.dashboards import dashboard_json, dashboards
from infra.render.observability.rules import rule_groups
from infra.render.observability.thresholds import SCRAPE_INTERVAL_S

COMPONENT_LABEL = "app.kubernetes.io/component"


def _release(release: str) -> dict:
    return {"release": release}


def service_monitor(name: str, ns: str, component: str, port: str, release: str) -> dict:
    meta = metadata(name, ns, component)
    meta["labels"] |= _release(release)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta,
        "spec": {
            "jobLabel": COMPONENT_LABEL,
            "selector": {"matchLabels": selector(component)},
            "namespaceSelector": {"matchNames": [ns]},
            "endpoints": [{"port": port, "path": "/metrics", "interval": f"{SCRAPE_INTERVAL_S}s"}],
        },
    }


def prometheus_rule(ns: str, release: str) -> dict:
    meta = metadata("ai-service", ns, "monitoring")
    meta["labels"] |= _release(release)
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": meta, "spec": rule_groups()}


def dashboard_config_maps(monitoring_ns: str) -> list[dict]:
    out = []
    for uid, model in dashboards().items():
        meta = metadata(f"dashboard-{uid}", monitoring_ns, "monitoring")
        meta["labels"]["grafana_dashboard"] = "1"
        out.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {f"{uid}.json": dashboard_json(model)}}
        )
    return out


def custom_objects(ns: str, release: str) -> list[dict]:
    return [
        service_monitor("ai-service-api", ns, "api", "http", release),
        service_monitor("ai-service-worker", ns, "worker", "metrics", release),
        service_monitor("redis", ns, "redis", "metrics", release),
        prometheus_rule(ns, release),
    ]
