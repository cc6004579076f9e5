"""Pinned Helm charts and the values we set on them (plain dicts).

Helm ignores misspelled values, so tests check every key path set here against the keys the
chart documents (tests/kubernetes/chart_keys/<chart>-<version>.txt). Bump a version and its
keys file together (Renovate opens the bump; the keys test then names what moved).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.render.observability.alertmanager import NULL_RECEIVER, AlertingInputs, alertmanager_config
from infra.render.observability.thresholds import SCRAPE_INTERVAL_S


@dataclass(frozen=True)
class Chart:
    release: str  # Helm release name (also what kube-prometheus-stack's `release:` selectors match)
    chart: str
    version: str
    repository: str  # "" for OCI charts (the chart is the full oci:// reference)
    namespace: str


# renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
KUBE_PROMETHEUS_STACK_VERSION = "79.5.0"
# renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
CERT_MANAGER_VERSION = "v1.19.1"
# renovate: datasource=docker depName=docker.io/envoyproxy/gateway-helm
ENVOY_GATEWAY_VERSION = "v1.6.0"

KUBE_PROMETHEUS_STACK = Chart(
    "kube-prometheus-stack",
    "kube-prometheus-stack",
    KUBE_PROMETHEUS_STACK_VERSION,
    "https://prometheus-community.github.io/helm-charts",
    "monitoring",
)
CERT_MANAGER = Chart("cert-manager", "cert-manager", CERT_MANAGER_VERSION, "https://charts.jetstack.io", "cert-manager")
ENVOY_GATEWAY = Chart(
    "envoy-gateway", "oci://docker.io/envoyproxy/gateway-helm", ENVOY_GATEWAY_VERSION, "", "envoy-gateway-system"
)

# Labels of the pods the service's NetworkPolicies admit.
ENVOY_PROXY_POD_LABELS = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}

GRAFANA_ADMIN_SECRET = "grafana-admin"  # keys admin-user, admin-password (the chart's default password is public)
SLACK_SECRET = "alertmanager-slack"  # key url; mounted at /etc/alertmanager/secrets/<name>/<key>
SLACK_WEBHOOK_FILE = f"/etc/alertmanager/secrets/{SLACK_SECRET}/url"


def kube_prometheus_stack_values(stack: str, storage_gi: int, slack: bool) -> dict[str, Any]:
    alerting = AlertingInputs(slack_enabled=slack, webhook_file=SLACK_WEBHOOK_FILE)
    config = alertmanager_config(alerting)
    # The chart's own always-firing Watchdog/InfoInhibitor alerts must never reach Slack.
    config["route"]["routes"].insert(
        0, {"matchers": ['alertname=~"Watchdog|InfoInhibitor"'], "receiver": NULL_RECEIVER}
    )
    return {
        "prometheus": {
            "prometheusSpec": {
                "scrapeInterval": f"{SCRAPE_INTERVAL_S}s",
                "retention": "30d",  # the SLO period
                "retentionSize": f"{max(storage_gi - 2, 1)}GB",  # leave room in the volume for the WAL
                "externalLabels": {"stack": stack},  # Alertmanager groups and inhibits per stack
                "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": f"{storage_gi}Gi"}},
                        }
                    }
                },
            }
        },
        "alertmanager": {
            "config": config,
            "alertmanagerSpec": {
                "secrets": [SLACK_SECRET] if slack else [],
                "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            },
        },
        "grafana": {
            "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "sidecar": {"dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1"}},
        },
    }


def cert_manager_values() -> dict[str, Any]:
    return {
        "crds": {"enabled": True, "keep": True},
        # Issue certificates for Gateway listeners (cert-manager.io/cluster-issuer on the Gateway).
        "config": {
            "apiVersion": "controller.config.cert-manager.io/v1alpha1",
            "kind": "ControllerConfiguration",
            "enableGatewayAPI": True,
        },
        "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }


def envoy_gateway_values() -> dict[str, Any]:
    return {
        "deployment": {
            "envoyGateway": {
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1024Mi"}}
            }
        }
    }
