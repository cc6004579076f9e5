"""Monthly cost rules for target kubernetes (DOKS); list prices in prices.py.

Nodes are counted at the autoscaler's minimum (what runs when idle) and the basis names the
maximum. Envoy Gateway gives each Gateway a `LoadBalancer` Service: one DO load balancer.
Every PersistentVolumeClaim (Redis's, Prometheus's, Loki's) is a DO block volume.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from infra.tooling.cost.aws import _alb
from infra.tooling.cost.digitalocean import _item, _price
from infra.tooling.cost.items import CostItem, with_context
from infra.tooling.resources import PlannedResource
from infra.tooling.values import unwrapped


def _cluster(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    pool = props.get("nodePool", {})
    size = pool.get("size", "")
    nodes = int(pool.get("minNodes") or pool.get("nodeCount") or 1)
    price = _price(f"do.droplet.{size}", f"node size {size}")
    yield _item(
        r,
        price.usd * nodes,
        f"{nodes} × {size} nodes at ${price.usd:g}/month (autoscaler minimum; "
        f"up to {int(pool.get('maxNodes', nodes))}) ({price.source}, {price.checked})",
    )
    if props.get("ha"):
        ha = _price("do.kubernetes.ha_control_plane", "HA control plane")
        yield _item(r, ha.usd, f"highly available control plane ${ha.usd:g}/month ({ha.source}, {ha.checked})")


def _gateway(r: PlannedResource) -> Iterable[CostItem]:
    lb = _price("do.loadbalancer.small", "load balancer")
    yield _item(
        r,
        lb.usd,
        f"DO load balancer for the Gateway's LoadBalancer Service, ${lb.usd:g}/month ({lb.source}, {lb.checked})",
    )


def _gib(quantity: str) -> float:
    number = float(re.sub(r"[A-Za-z]+$", "", quantity))
    return number / 1024 if quantity.endswith("Mi") else number


def _claims(value: Any) -> Iterable[float]:
    """Storage requests of every volumeClaimTemplate (or enabled `persistence.size`) in a manifest or Helm values
    tree."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("volumeClaimTemplates", "volumeClaimTemplate"):
                for template in child if isinstance(child, list) else [child]:
                    yield _gib(template["spec"]["resources"]["requests"]["storage"])
            elif key == "persistence" and isinstance(child, dict) and child.get("enabled") and "size" in child:
                yield _gib(child["size"])  # the Helm-chart convention (Loki's singleBinary.persistence)
            else:
                yield from _claims(child)
    elif isinstance(value, list):
        for child in value:
            yield from _claims(child)


def _volumes(r: PlannedResource) -> Iterable[CostItem]:
    total = sum(_claims(unwrapped(r.inputs)))
    if total:
        gib = _price("do.volume.gib_month", "block storage")
        yield _item(
            r,
            total * gib.usd,
            f"{total:g} GiB block storage (PVC) at ${gib.usd:g}/GiB-month ({gib.source}, {gib.checked})",
        )


def _spaces(r: PlannedResource) -> Iterable[CostItem]:
    spaces = _price("do.spaces.subscription", "Spaces")
    yield _item(
        r,
        spaces.usd,
        f"Spaces subscription ${spaces.usd:g}/month ({spaces.unit}; {spaces.source}, {spaces.checked}); "
        "one subscription covers every bucket of the account",
    )


def _service(r: PlannedResource, resources: list[PlannedResource]) -> Iterable[CostItem]:
    """A Service of type LoadBalancer makes the cluster's cloud create a load balancer."""
    if (unwrapped(r.inputs).get("spec") or {}).get("type") != "LoadBalancer":
        return
    clouds = {x.type.split(":", 1)[0] for x in resources}
    if "aws" in clouds:
        yield from (
            CostItem(i.resource, i.type, i.monthly_usd, "Service type LoadBalancer on EKS: " + i.basis)
            for i in _alb(
                PlannedResource(r.type, r.name, r.urn, r.parent, True, False, {"loadBalancerType": "network"})
            )
        )
        return
    lb = _price("do.loadbalancer.small", "load balancer")
    yield _item(
        r,
        lb.usd,
        f"Service type LoadBalancer: one DO load balancer node, ${lb.usd:g}/month "
        f"(priced as DigitalOcean; {lb.source}, {lb.checked})",
    )


COST_RULES = {
    "kubernetes:core/v1:Service": with_context(_service),
    "digitalocean:index/kubernetesCluster:KubernetesCluster": _cluster,
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": _gateway,
    "kubernetes:apps/v1:StatefulSet": _volumes,
    "kubernetes:helm.sh/v3:Release": _volumes,
    "digitalocean:index/spacesBucket:SpacesBucket": _spaces,
}

# Objects inside the cluster cost nothing beyond the nodes (and the volumes/LBs priced above).
FREE_KINDS = {
    "Deployment",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
    "ConfigMap",
    "Secret",
    "Namespace",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Ingress",
    "IngressClass",
    "GatewayClass",
    "HTTPRoute",
    "ClusterIssuer",
    "Issuer",
    "Certificate",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "BackendTrafficPolicy",
    "ClientTrafficPolicy",
    "SecurityPolicy",
    "EnvoyProxy",
    "LimitRange",
    "ResourceQuota",
}


class _KubernetesFree(frozenset):
    """Every kubernetes:<group>/<version>:<Kind> of a free kind, whatever its API version."""

    def __contains__(self, type_: object) -> bool:
        return isinstance(type_, str) and type_.startswith("kubernetes:") and type_.rsplit(":", 1)[-1] in FREE_KINDS


FREE_TYPES = _KubernetesFree()
