"""Who can reach whom: the rendered NetworkPolicies evaluated like the API server would
(label selectors, namespace selectors, ports), over the pods of the service, its accessories
and its peers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from infra.render.kubernetes import charts
from infra.tooling.values import Secret

NS = "ai-service"


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict
    ip: str = "10.244.0.10"

    @property
    def ns_labels(self) -> dict:
        return {"kubernetes.io/metadata.name": self.namespace}


def _app(component: str, **extra) -> Pod:
    return Pod(NS, {"app.kubernetes.io/name": "ai-service", "app.kubernetes.io/component": component, **extra})


PODS = {
    "api": _app("api"),
    "worker": _app("worker", **{"app.kubernetes.io/instance": "documents"}),
    "migrate": _app("migrate"),
    "schedule": _app("schedule", **{"app.kubernetes.io/instance": "cleanup"}),
    "redis": _app("redis"),
    # accessories of tests/kubernetes/conftest.py: whatsapp public, helpdesk private, sync without a port
    "whatsapp": _app("accessory", **{"app.kubernetes.io/instance": "whatsapp"}),
    "helpdesk": _app("accessory", **{"app.kubernetes.io/instance": "helpdesk"}),
    "sync": _app("accessory", **{"app.kubernetes.io/instance": "sync"}),
    "gateway": Pod(charts.ENVOY_GATEWAY.namespace, dict(charts.ENVOY_PROXY_POD_LABELS)),
    "prometheus": Pod(charts.KUBE_PROMETHEUS_STACK.namespace, dict(charts.PROMETHEUS_POD_LABELS)),
    "dns": Pod("kube-system", {"k8s-app": "kube-dns"}),
    "stranger": Pod("default", {"app": "other"}),
    "solver": Pod(NS, {"acme.cert-manager.io/http01-solver": "true"}),
}
INTERNET = Pod("", {}, ip="203.0.113.7")


def _matches(selector: dict | None, labels: dict) -> bool:
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        value, op = labels.get(expr["key"]), expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and expr["key"] not in labels:
            return False
        if op == "DoesNotExist" and expr["key"] in labels:
            return False
    return True


def _peer_matches(peer: dict, other: Pod, policy_ns: str) -> bool:
    if "ipBlock" in peer:
        import ipaddress

        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if not other.namespace:  # outside the cluster: only ipBlock peers match
        return False
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], other.ns_labels):
            return False
    elif other.namespace != policy_ns:
        return False
    return _matches(peer.get("podSelector"), other.labels)


def _port_ok(rule: dict, port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    return not ports or any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports)


def _allowed(policies, pod: Pod, other: Pod, port: int, protocol: str, direction: str) -> bool:
    """Is traffic admitted on `pod`'s side (direction Ingress: from other; Egress: to other)?"""
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and _matches(p["spec"]["podSelector"], pod.labels)
        and direction in p["spec"]["policyTypes"]
    ]
    if not selecting:
        return True  # no policy isolates this pod in that direction
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        _port_ok(rule, port, protocol)
        and (peers_key not in rule or any(_peer_matches(peer, other, pod.namespace) for peer in rule[peers_key]))
        for p in selecting
        for rule in p["spec"].get(key) or []
    )


def can_reach(policies, src: Pod, dst: Pod, port: int, protocol: str = "TCP") -> bool:
    egress_ok = not src.namespace or src.namespace != NS or _allowed(policies, src, dst, port, protocol, "Egress")
    ingress_ok = not dst.namespace or dst.namespace != NS or _allowed(policies, dst, src, port, protocol, "Ingress")
    return egress_ok and ingress_ok


def _policies(objects) -> list[dict]:
    found = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert found, "no NetworkPolicy rendered"
    return found


@pytest.fixture(scope="module")
def policies(objects):
    return _policies(objects)


@pytest.fixture(scope="module")
def extras_policies(extras_objects):
    return _policies(extras_objects)


@pytest.mark.parametrize(
    "src,dst,port,expected",
    [
        ("gateway", "api", 8000, True),
        ("stranger", "api", 8000, False),
        ("gateway", "worker", 8001, False),
        ("gateway", "redis", 6379, False),
        ("api", "redis", 6379, True),
        ("worker", "redis", 6379, True),
        ("migrate", "redis", 6379, False),
        ("schedule", "redis", 6379, True),  # enqueues for the workers
        ("stranger", "redis", 6379, False),
        ("prometheus", "api", 8000, True),
        ("prometheus", "worker", 8001, True),
        ("prometheus", "redis", 9121, True),
        ("prometheus", "redis", 6379, False),
        ("api", "worker", 8001, False),
        ("redis", "api", 8000, False),
        ("gateway", "solver", 8089, True),
        ("stranger", "solver", 8089, False),
    ],
)
def test_reachability_between_pods(policies, src, dst, port, expected):
    assert can_reach(policies, PODS[src], PODS[dst], port) is expected


@pytest.mark.parametrize("component", ["api", "worker", "migrate", "schedule", "redis"])
def test_every_pod_resolves_dns(policies, component):
    assert can_reach(policies, PODS[component], PODS["dns"], 53, "UDP")


@pytest.mark.parametrize(
    "component,port,expected",
    [
        ("api", 443, True),
        ("worker", 443, True),
        ("migrate", 25060, True),
        ("api", 5432, True),
        ("schedule", 25060, True),
        ("schedule", 443, True),
        ("api", 22, False),
        ("redis", 443, False),
        ("redis", 25060, False),
        ("api", 6543, False),
    ],
)
def test_egress_outside_the_cluster(policies, component, port, expected):
    assert can_reach(policies, PODS[component], INTERNET, port) is expected


@pytest.mark.parametrize(
    "src,dst,port,expected",
    [
        ("api", "whatsapp", 3000, True),
        ("worker", "whatsapp", 3000, True),
        ("gateway", "whatsapp", 3000, True),  # public: true
        ("api", "helpdesk", 8080, True),
        ("worker", "helpdesk", 8080, True),
        ("gateway", "helpdesk", 8080, False),  # private by default
        ("api", "helpdesk", 9999, False),  # only its own port
        ("migrate", "helpdesk", 8080, False),
        ("schedule", "helpdesk", 8080, False),
        ("redis", "helpdesk", 8080, False),
        ("prometheus", "helpdesk", 8080, False),
        ("stranger", "helpdesk", 8080, False),
        ("stranger", "whatsapp", 3000, False),
        ("whatsapp", "helpdesk", 8080, False),  # accessories do not reach each other
        ("gateway", "sync", 8080, False),
        ("api", "sync", 8080, False),
        ("helpdesk", "redis", 6379, False),
        ("helpdesk", "api", 8000, False),
        ("sync", "redis", 6379, False),
        # whatsapp has callsApi: the API's port, nothing else of the service
        ("whatsapp", "api", 8000, True),
        ("whatsapp", "api", 8001, False),
        ("whatsapp", "worker", 8001, False),
        ("whatsapp", "redis", 6379, False),
        ("sync", "api", 8000, False),
    ],
)
def test_only_the_service_reaches_an_accessory(extras_policies, src, dst, port, expected):
    assert can_reach(extras_policies, PODS[src], PODS[dst], port) is expected


@pytest.mark.parametrize("accessory", ["whatsapp", "helpdesk", "sync"])
def test_accessories_resolve_dns_and_reach_only_https_outside(extras_policies, accessory):
    pod = PODS[accessory]
    assert can_reach(extras_policies, pod, PODS["dns"], 53, "UDP")
    assert can_reach(extras_policies, pod, INTERNET, 443)
    assert not can_reach(extras_policies, pod, INTERNET, 25060)  # not the service's database
    assert not can_reach(extras_policies, pod, INTERNET, 22)


def test_accessories_do_not_change_what_the_service_may_reach(policies, extras_policies):
    for src, dst, port in [
        ("gateway", "api", 8000),
        ("api", "redis", 6379),
        ("prometheus", "worker", 8001),
        ("stranger", "api", 8000),
        ("migrate", "redis", 6379),
    ]:
        assert can_reach(extras_policies, PODS[src], PODS[dst], port) is can_reach(policies, PODS[src], PODS[dst], port)


def test_namespace_starts_from_default_deny(policies):
    deny = next(p for p in policies if p["metadata"]["name"] == "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}


def test_only_an_accessory_with_calls_api_reaches_the_api(plan_stack, extras_policies, tmp_path_factory):
    from tests.kubernetes.conftest import ACCESSORIES, _objects, _render

    assert any(p["metadata"]["name"] == "api-from-accessories" for p in extras_policies)
    assert can_reach(extras_policies, PODS["whatsapp"], PODS["api"], 8000)
    quiet = [{k: v for k, v in a.items() if k != "callsApi"} for a in ACCESSORIES]
    plan = plan_stack("prod", accessories=Secret(quiet))
    without = _policies(_objects(_render(plan, tmp_path_factory)))
    assert not any(p["metadata"]["name"] == "api-from-accessories" for p in without)
    assert not can_reach(without, PODS["whatsapp"], PODS["api"], 8000)
