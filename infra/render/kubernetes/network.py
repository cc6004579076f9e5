"""NetworkPolicies of the service namespace: deny everything, then open exactly

    gateway (envoy proxies) ──port──> api          prometheus (monitoring ns) ──port/8001/9121──> api, workers, redis
    api, workers, schedules ──6379──> redis         api, workers, migrate, schedules ──> Postgres (5432/25060), HTTPS (443)
    every pod ──53──> cluster DNS                   gateway ──8089──> cert-manager's HTTP-01 solver pods
    api, workers ──port──> each accessory           gateway ──port──> a `public` accessory;  accessories ──> HTTPS (443)
    an accessory with `callsApi` ──8000──> api      (no other accessory reaches the API)

`port` is the API's (`ai-service:port`, 8000 by default). Bring-your-own Redis drops the redis rules and,
like a bring-your-own database, opens its URL's port outside.
"""  # noqa: E501 (a diagram or table)

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from infra.render.kubernetes.accessories import COMPONENT as ACCESSORY
from infra.render.kubernetes.redis import PORT as REDIS_PORT
from infra.render.kubernetes.workloads import metadata, selector
from infra.render.observability.metrics import API_PORT, REDIS_EXPORTER_PORT, WORKER_METRICS_PORT
from infra.settings.extras import Accessory

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


def _ports(*ports: int | None, protocol: str = "TCP") -> list[dict]:
    return [{"protocol": protocol, "port": p} for p in ports if p is not None]


def _policy(name: str, ns: str, pod_selector: dict, ingress: list | None = None, egress: list | None = None) -> dict:
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec: dict = {"podSelector": pod_selector, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, ns, "network"),
        "spec": spec,
    }


def _component(*names: str) -> dict:
    return {"matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": list(names)}]}


def _pods(*components: str) -> dict:
    return {"matchLabels": {"app.kubernetes.io/name": "ai-service"}, **_component(*components)}


def url_port(url: str, default: int) -> int:
    """The port of a bring-your-own URL (its scheme's default when it names none or cannot be read offline)."""
    try:
        return urlsplit(url).port or default
    except ValueError:
        return default


def _accessory_policies(ns: str, gateway: dict, accessories: Iterable[Accessory], api_port: int) -> list[dict]:
    served = [a for a in accessories if a.port]
    out = [
        _policy(
            "accessory-egress",
            ns,
            {"matchLabels": {"app.kubernetes.io/component": ACCESSORY}},
            egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _ports(443)}],
        )
    ]
    for a in served:
        clients = [{"from": [{"podSelector": _pods("api", "worker")}], "ports": _ports(a.port)}]
        if a.public:
            clients.append({"from": [gateway], "ports": _ports(a.port)})
        out.append(
            _policy(f"accessory-{a.name}-ingress", ns, {"matchLabels": selector(ACCESSORY, a.name)}, ingress=clients)
        )
    callers = [a for a in accessories if a.calls_api]
    if callers:
        from_callers = [{"podSelector": {"matchLabels": selector(ACCESSORY, a.name)}} for a in callers]
        out.append(
            _policy(
                "api-from-accessories",
                ns,
                {"matchLabels": selector("api")},
                ingress=[{"from": from_callers, "ports": _ports(api_port)}],
            )
        )
        out += [
            _policy(
                f"accessory-{a.name}-to-api",
                ns,
                {"matchLabels": selector(ACCESSORY, a.name)},
                egress=[{"to": [{"podSelector": {"matchLabels": selector("api")}}], "ports": _ports(api_port)}],
            )
            for a in callers
        ]
    if served:
        out.append(
            _policy(
                "accessory-clients-egress",
                ns,
                _pods("api", "worker"),
                egress=[
                    {"to": [{"podSelector": {"matchLabels": selector(ACCESSORY, a.name)}}], "ports": _ports(a.port)}
                    for a in served
                ],
            )
        )
    return out


def policies(
    ns: str,
    peers: Peers,
    redis: bool = True,
    outside_ports: Iterable[int] = (),
    accessories: tuple[Accessory, ...] = (),
    api_port: int = API_PORT,
) -> list[dict]:
    """`redis` false = bring-your-own Redis; `outside_ports` = the ports of bring-your-own URLs."""
    prometheus = _from_ns(peers.monitoring_namespace, peers.prometheus_pods)
    gateway = _from_ns(peers.gateway_namespace, peers.gateway_pods)
    dns = {
        "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: peers.dns_namespace}},
        "podSelector": {"matchLabels": peers.dns_pods or {"k8s-app": "kube-dns"}},
    }
    to_redis = (
        [{"to": [{"podSelector": {"matchLabels": selector("redis")}}], "ports": _ports(REDIS_PORT)}] if redis else []
    )
    # Managed Postgres and object storage/OpenAI live outside the cluster at addresses the
    # cluster cannot know in advance: open the ports, not the whole internet.
    outside = list(dict.fromkeys([*POSTGRES_PORTS, 443, *sorted(outside_ports)]))
    redis_ingress = (
        [
            _policy(
                "redis-ingress",
                ns,
                {"matchLabels": selector("redis")},
                ingress=[
                    {"from": [{"podSelector": _pods("api", "worker", "schedule")}], "ports": _ports(REDIS_PORT)},
                    {"from": [prometheus], "ports": _ports(REDIS_EXPORTER_PORT)},
                ],
            )
        ]
        if redis
        else []
    )
    return [
        _policy("default-deny", ns, {}, ingress=[], egress=[]),
        _policy("dns-egress", ns, {}, egress=[{"to": [dns], "ports": _ports(53, protocol="UDP") + _ports(53)}]),
        _policy(
            "api-ingress",
            ns,
            {"matchLabels": selector("api")},
            ingress=[{"from": [gateway], "ports": _ports(api_port)}, {"from": [prometheus], "ports": _ports(api_port)}],
        ),
        _policy(
            "worker-ingress",
            ns,
            {"matchLabels": selector("worker")},
            ingress=[{"from": [prometheus], "ports": _ports(WORKER_METRICS_PORT)}],
        ),
        *redis_ingress,
        _policy(
            "app-egress",
            ns,
            _pods("api", "worker", "migrate", "schedule"),
            egress=[*to_redis, {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _ports(*outside)}],
        ),
        _policy(
            "acme-solver-ingress",
            ns,
            {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}},
            ingress=[{"from": [gateway], "ports": _ports(ACME_SOLVER_PORT)}],
        ),
        *(_accessory_policies(ns, gateway, accessories, api_port) if accessories else []),
    ]
