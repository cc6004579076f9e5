"""NetworkPolicies of the service namespace: deny everything, then open exactly

    gateway (envoy proxies) ──8000──> api          prometheus (monitoring ns) ──8000/8001/9121──> api, workers, redis
    api, workers ──6379──> redis                    api, workers, migrate ──> Postgres (5432/25060), HTTPS (443)
    every pod ──53──> cluster DNS                   gateway ──8089──> cert-manager's HTTP-01 solver pods
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.kubernetes.redis import PORT as REDIS_PORT
from infra.kubernetes.workloads import metadata, selector
from infra.observability.metrics import API_PORT, REDIS_EXPORTER_PORT, WORKER_METRICS_PORT

POSTGRES_PORTS = (5432, 25060)  # libpq default and DigitalOcean managed Postgres
ACME_SOLVER_PORT = 8089
NAMESPACE_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace


@dataclass(frozen=True)
class Peers:
    """Where the pods we trust live (namespaces and pod labels of the add-ons)."""

    gateway_namespace: str
    gateway_pods: dict
    monitoring_namespace: str
    prometheus_pods: dict
    dns_namespace: str = "kube-system"
    dns_pods: dict | None = None


def _from_ns(namespace: str, pods: dict) -> dict:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}}, "podSelector": {"matchLabels": pods}}


def _ports(*ports: int, protocol: str = "TCP") -> list[dict]:
    return [{"protocol": protocol, "port": p} for p in ports]


def _policy(name: str, ns: str, pod_selector: dict, ingress: list | None = None, egress: list | None = None) -> dict:
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec: dict = {"podSelector": pod_selector, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata(name, ns, "network"),
            "spec": spec}


def _component(*names: str) -> dict:
    return {"matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": list(names)}]}


def policies(ns: str, peers: Peers) -> list[dict]:
    prometheus = _from_ns(peers.monitoring_namespace, peers.prometheus_pods)
    gateway = _from_ns(peers.gateway_namespace, peers.gateway_pods)
    dns = {"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: peers.dns_namespace}},
           "podSelector": {"matchLabels": peers.dns_pods or {"k8s-app": "kube-dns"}}}
    app_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "ai-service"}, **_component("api", "worker")}}
    return [
        _policy("default-deny", ns, {}, ingress=[], egress=[]),
        _policy("dns-egress", ns, {}, egress=[{"to": [dns], "ports": _ports(53, protocol="UDP") + _ports(53)}]),
        _policy("api-ingress", ns, {"matchLabels": selector("api")},
                ingress=[{"from": [gateway], "ports": _ports(API_PORT)},
                         {"from": [prometheus], "ports": _ports(API_PORT)}]),
        _policy("worker-ingress", ns, {"matchLabels": selector("worker")},
                ingress=[{"from": [prometheus], "ports": _ports(WORKER_METRICS_PORT)}]),
        _policy("redis-ingress", ns, {"matchLabels": selector("redis")},
                ingress=[{"from": [app_pods], "ports": _ports(REDIS_PORT)},
                         {"from": [prometheus], "ports": _ports(REDIS_EXPORTER_PORT)}]),
        _policy("app-egress", ns, {"matchLabels": {"app.kubernetes.io/name": "ai-service"},
                                   **_component("api", "worker", "migrate")},
                egress=[{"to": [{"podSelector": {"matchLabels": selector("redis")}}], "ports": _ports(REDIS_PORT)},
                        # Managed Postgres and object storage/OpenAI live outside the cluster at addresses
                        # the cluster cannot know in advance: open the ports, not the whole internet.
                        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _ports(*POSTGRES_PORTS, 443)}]),
        _policy("acme-solver-ingress", ns, {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}},
                ingress=[{"from": [gateway], "ports": _ports(ACME_SOLVER_PORT)}]),
    ]
